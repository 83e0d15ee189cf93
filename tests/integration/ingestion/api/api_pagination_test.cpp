// Pagination against the test's API: Link rel="next" (GitHub's style), a next URL in the body, a
// cursor in the body, the page cap, and a next page elsewhere refused.
#include <catch2/catch.hpp>

#include <atomic>

#include "tests/integration/ingestion/api/poller.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

constexpr int kPerPage = 10;

int page_of(const ApiRequest& r, const std::string& param = "page") {
  return r.params.contains(param) ? std::stoi(r.params.at(param)) : 1;
}

// Items total..1 newest first, kPerPage a page.
std::string page_items(int total, int page) {
  const int last = total - (page - 1) * kPerPage, first = std::max(1, last - kPerPage + 1);
  return last < 1 ? "[]" : json_items(first, last);
}

int pages_of(int total) { return (total + kPerPage - 1) / kPerPage; }

}  // namespace

TEST_CASE("api pagination: Link rel=next is followed up to max_pages", "[api][pagination]") {
  TestApi api;
  std::atomic<int> total{25};
  api.route("/releases", [&](const ApiRequest& r) {
    const int page = page_of(r);
    ApiAnswer a{.body = page_items(total, page)};
    std::string link = "<" + api.url("/releases?per_page=10&page=" + std::to_string(pages_of(total))) + ">; rel=\"last\"";
    if (page < pages_of(total))
      link = "<" + api.url("/releases?per_page=10&page=" + std::to_string(page + 1)) + ">; rel=\"next\", " + link;
    a.headers.emplace_back("Link", link);
    return a;
  });
  Poller poller("url: \"" + api.url("/releases") + "\", query: {per_page: 10}, key: /id, first_poll: emit, "
                "interval: 1h, pagination: {link_header: true, max_pages: 2}");
  REQUIRE(poller.wait_events(20));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  CHECK(poller.events().size() == 20);  // pages 1 and 2 only
  const auto requests = api.requests("/releases");
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].query == "per_page=10");
  CHECK(requests[1].query == "per_page=10&page=2");
}

TEST_CASE("api pagination: every page up to the last, as one listing", "[api][pagination]") {
  TestApi api;
  std::atomic<int> total{25};
  api.route("/releases", [&](const ApiRequest& r) {
    const int page = page_of(r);
    ApiAnswer a{.body = page_items(total, page)};
    // A relative link, as some APIs give it.
    if (page < pages_of(total)) a.headers.emplace_back("Link", "</releases?page=" + std::to_string(page + 1) + ">; rel=next");
    return a;
  });
  Poller poller("url: \"" + api.url("/releases") + "\", key: /id, interval: 50ms, pagination: {link_header: true}");
  REQUIRE(api.wait_for("/releases", 6));  // two runs of three pages
  CHECK(poller.events().empty());        // baseline of all 25
  total = 27;                            // two new at the top: everything shifts by two
  REQUIRE(poller.wait_events(2));
  const auto asked = api.count("/releases");
  REQUIRE(api.wait_for("/releases", asked + 6));
  CHECK(names(poller.events()) == std::vector<std::string>{"item 27", "item 26"});
}

TEST_CASE("api pagination: the next page's URL from the body", "[api][pagination]") {
  TestApi api;
  api.route("/v1/items", [&](const ApiRequest& r) {
    const int page = page_of(r);
    const std::string next = page < 3 ? "\"/v1/items?page=" + std::to_string(page + 1) + "\"" : "null";
    return ApiAnswer{.body = R"({"data":)" + page_items(30, page) + R"(,"links":{"next":)" + next + "}}"};
  });
  Poller poller("url: \"" + api.url("/v1/items") + "\", items: /data, key: /id, first_poll: emit, interval: 1h, "
                "pagination: {next_pointer: /links/next}");
  REQUIRE(poller.wait_events(30));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  CHECK(poller.events().size() == 30);
  CHECK(api.count("/v1/items") == 3);
}

TEST_CASE("api pagination: a cursor from the body goes into cursor_param", "[api][pagination]") {
  TestApi api;
  api.route("/list", [&](const ApiRequest& r) {
    const int page = r.params.contains("after") ? std::stoi(r.params.at("after").substr(1)) : 1;
    const std::string cursor = page < 4 ? "\"c" + std::to_string(page + 1) + "\"" : "\"\"";
    return ApiAnswer{.body = R"({"results":)" + page_items(40, page) + R"(,"meta":{"next_cursor":)" + cursor + "}}"};
  });
  Poller poller("url: \"" + api.url("/list") + "\", query: {limit: 10}, items: /results, key: /id, first_poll: emit, "
                "interval: 1h, pagination: {next_pointer: /meta/next_cursor, cursor_param: after, max_pages: 3}");
  REQUIRE(poller.wait_events(30));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  CHECK(poller.events().size() == 30);
  const auto requests = api.requests("/list");
  REQUIRE(requests.size() == 3);
  CHECK(requests[2].query == "limit=10&after=c3");
}

TEST_CASE("api pagination: a next page on another server is not followed", "[api][pagination]") {
  TestApi api, elsewhere;
  api.route("/items", [&](const ApiRequest&) {
    return ApiAnswer{.body = json_items(1, 2), .headers = {{"Link", "<" + elsewhere.url("/steal") + ">; rel=\"next\""}}};
  });
  Poller poller("url: \"" + api.url("/items") + "\", key: /id, auth: {type: bearer, token: s3cret}, "
                "pagination: {link_header: true}");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(poller.status().last_error, Catch::Contains("another server"));
  CHECK(elsewhere.count("/steal") == 0);
}

TEST_CASE("api pagination: a loop of next links ends", "[api][pagination]") {
  TestApi api;
  api.route("/items", [&](const ApiRequest&) {
    return ApiAnswer{.body = json_items(1, 2), .headers = {{"Link", "</items>; rel=\"next\""}}};
  });
  Poller poller("url: \"" + api.url("/items") + "\", key: /id, first_poll: emit, interval: 1h, "
                "pagination: {link_header: true, max_pages: 50}");
  REQUIRE(poller.wait_events(2));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  CHECK(api.count("/items") == 1);
  CHECK(poller.wait_state(ingestion::SourceState::Running));
}
