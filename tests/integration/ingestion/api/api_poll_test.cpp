// `kind: api` against an API the test runs: the compliance harness, first runs (baseline, emit),
// conditional requests (ETag, Last-Modified), changed items, a document that changes, realistic
// GitHub and Statuspage payloads, and what is remembered across restarts.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/crypto.hpp"
#include "tests/integration/ingestion/api/poller.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// A listing of items 1..count that grows, with an ETag of its content.
struct Listing {
  std::mutex m;
  int count = 0;
  bool etag = true;
  bool last_modified = false;
  int not_modified = 0;  // 304s answered
  void add(int n) {
    std::lock_guard lock(m);
    count += n;
  }
  ApiAnswer answer(const ApiRequest& r) {
    std::lock_guard lock(m);
    const auto body = json_items(1, count);
    const auto tag = "\"" + std::to_string(ingestion::api::content_hash(body)) + "\"";
    const auto modified = "Tue, 01 Jul 2025 10:00:" + std::to_string(10 + count % 50) + " GMT";
    ApiAnswer a{.body = body};
    if (etag) {
      a.headers.emplace_back("ETag", tag);
      if (r.header("if-none-match") == tag) {
        ++not_modified;
        return {.status = 304, .headers = a.headers};
      }
    }
    if (last_modified) {
      a.headers.emplace_back("Last-Modified", modified);
      if (r.header("if-modified-since") == modified) {
        ++not_modified;
        return {.status = 304, .headers = a.headers};
      }
    }
    return a;
  }
};

// The test's API serving a Listing of `items` at /items.
struct ListingApi {
  TestApi api;
  Listing listing;
  explicit ListingApi(int items, bool etag = true, bool last_modified = false) {
    listing.etag = etag;
    listing.last_modified = last_modified;
    listing.add(items);
    api.route("/items", [this](const ApiRequest& r) { return listing.answer(r); });
  }
  std::string url() const { return api.url("/items"); }
  int not_modified() {
    std::lock_guard lock(listing.m);
    return listing.not_modified;
  }
};

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(CHATOPS_FIXTURES_DIR) + "/api/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("api: a poller passes the compliance harness", "[api][compliance]") {
  ListingApi items(0);
  const auto kind = api_kind();
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: api, url: \"" + items.url() +
                     "\", key: /id, first_poll: emit, interval: 50ms, backoff: {initial: 20ms, max: 100ms}}",
      .upstream = {.produce = [&](int n) { items.listing.add(n); }},
      .topic_prefix = "api/compliance/",
  };
  compliance::run_compliance(subject);
}

TEST_CASE("api: the first run on 500 items says nothing (baseline), new ones are said once", "[api]") {
  ListingApi items(500);
  Poller poller("url: \"" + items.url() + "\", key: /id, interval: 50ms");
  REQUIRE(items.api.wait_for("/items", 3));
  CHECK(poller.events().empty());
  CHECK(poller.status().state == ingestion::SourceState::Running);
  CHECK(poller.runtime().list_state()->size() == 500 + 3);  // the items, primed, shape, etag
  items.listing.add(2);
  REQUIRE(poller.wait_events(2));
  const auto after = items.api.count("/items");
  REQUIRE(items.api.wait_for("/items", after + 3));
  const auto events = poller.events();
  REQUIRE(events.size() == 2);
  CHECK(names(events) == std::vector<std::string>{"item 502", "item 501"});  // as listed, newest first
  CHECK(events[0].topic == "api/apisrc/new");
  CHECK(events[0].family == "api");
  CHECK(ingestion::payload_text(events[0]) == R"({"id":502,"name":"item 502"})");
  CHECK(events[0].fields["_item"]["key"] == "502");
  CHECK(events[0].fields["_item"]["title"] == "item 502");
  CHECK_FALSE(events[0].default_template.empty());
}

TEST_CASE("api: first_poll: emit says everything already there", "[api]") {
  ListingApi items(5);
  Poller poller("url: \"" + items.url() + "\", key: /id, first_poll: emit, interval: 50ms");
  REQUIRE(poller.wait_events(5));
  REQUIRE(items.api.wait_for("/items", 4));
  CHECK(poller.events().size() == 5);
}

TEST_CASE("api: what was seen is remembered across restarts", "[api]") {
  ListingApi items(3);
  Poller poller("url: \"" + items.url() + "\", key: /id, first_poll: emit, interval: 50ms");
  REQUIRE(poller.wait_events(3));
  poller.stop();
  items.listing.add(2);  // while stopped
  poller.restart();
  REQUIRE(poller.wait_events(5));
  const auto asked = items.api.count("/items");
  REQUIRE(items.api.wait_for("/items", asked + 3));
  CHECK(poller.events().size() == 5);
}

TEST_CASE("api: ETag: the next run asks If-None-Match and a 304 ends it", "[api]") {
  ListingApi items(3);
  Poller poller("url: \"" + items.url() + "\", key: /id, interval: 50ms");
  REQUIRE(items.api.wait_for("/items", 3));
  const auto requests = items.api.requests("/items");
  CHECK_FALSE(requests[0].headers.contains("if-none-match"));
  CHECK(requests[2].headers.at("if-none-match").starts_with('"'));
  CHECK(items.not_modified() >= 1);
  items.listing.add(1);
  REQUIRE(poller.wait_events(1));
  CHECK(poller.events()[0].fields["name"] == "item 4");
}

TEST_CASE("api: Last-Modified: the next run asks If-Modified-Since", "[api]") {
  ListingApi items(1, false, true);
  Poller poller("url: \"" + items.url() + "\", key: /id, interval: 50ms");
  REQUIRE(items.api.wait_for("/items", 3));
  CHECK(items.api.requests("/items")[2].headers.at("if-modified-since") == "Tue, 01 Jul 2025 10:00:11 GMT");
  CHECK(items.not_modified() >= 1);
  items.listing.add(1);
  REQUIRE(poller.wait_events(1));
}

TEST_CASE("api: conditional: false sends no validators", "[api]") {
  ListingApi items(0);
  Poller poller("url: \"" + items.url() + "\", key: /id, interval: 50ms, conditional: false");
  REQUIRE(items.api.wait_for("/items", 3));
  for (const auto& r : items.api.requests("/items")) CHECK_FALSE(r.headers.contains("if-none-match"));
}

TEST_CASE("api: Statuspage incidents: new and changed incidents are said, each change once", "[api]") {
  TestApi api;
  SwitchableBody incidents(fixture("statuspage-incidents.json"));
  api.route("/api/v2/incidents.json", [&](const ApiRequest&) { return incidents.answer(); });
  Poller poller("url: \"" + api.url("/api/v2/incidents.json") +
                "\", items: /incidents, key: /id, emit: new_and_changed, interval: 50ms");
  REQUIRE(api.wait_for("/api/v2/incidents.json", 3));
  CHECK(poller.events().empty());  // baseline
  incidents.set(fixture("statuspage-incidents-updated.json"));  // one resolved, one new
  REQUIRE(poller.wait_events(2));
  const auto asked = api.count("/api/v2/incidents.json");
  REQUIRE(api.wait_for("/api/v2/incidents.json", asked + 3));
  const auto events = poller.events();
  REQUIRE(events.size() == 2);
  std::map<std::string, const ingestion::IngestionEvent*> by_topic;
  for (const auto& e : events) by_topic[e.topic] = &e;
  REQUIRE(by_topic.contains("api/apisrc/new"));
  REQUIRE(by_topic.contains("api/apisrc/changed"));
  const auto& changed = *by_topic["api/apisrc/changed"];
  CHECK(changed.fields["status"] == "resolved");
  CHECK(changed.fields["_item"]["status"] == "resolved");
  CHECK(changed.fields["_item"]["url"] == "https://stspg.io/p7p3k8rp5h3z");
  CHECK(by_topic["api/apisrc/new"]->fields["_item"]["title"] == "Degraded performance for Actions");
}

TEST_CASE("api: GitHub releases: the whole answer is the list, keyed by id", "[api]") {
  TestApi api;
  SwitchableBody releases(fixture("github-releases.json"));
  api.route("/repos/octo/hello/releases", [&](const ApiRequest&) { return releases.answer(); });
  Poller poller("url: \"" + api.url("/repos/octo/hello/releases") +
                "\", key: /id, interval: 50ms, fields: {name: /name, url: /html_url, tag: /tag_name}");
  REQUIRE(api.wait_for("/repos/octo/hello/releases", 2));
  releases.set(fixture("github-releases-new.json"));
  REQUIRE(poller.wait_events(1));
  const auto e = poller.events().at(0);
  CHECK(e.fields["tag"] == "v1.3.0");
  CHECK(e.fields["url"] == "https://github.com/octo/hello/releases/tag/v1.3.0");
  CHECK(e.fields["_item"]["title"] == "v1.3.0: faster");
  CHECK(e.fields["_item"]["url"] == "https://github.com/octo/hello/releases/tag/v1.3.0");
}

TEST_CASE("api: emit: document says the document when it changes, once per change", "[api]") {
  TestApi api;
  std::atomic<int> version{1};
  api.route("/status.json", [&](const ApiRequest&) {
    return ApiAnswer{.body = R"({"page":{"id":"x"},"status":{"indicator":")" +
                             std::string(version < 2 ? "none" : "major") + R"(","v":)" + std::to_string(version.load()) + "}}"};
  });
  Poller poller("url: \"" + api.url("/status.json") + "\", items: /status, emit: document, interval: 50ms");
  REQUIRE(api.wait_for("/status.json", 3));
  CHECK(poller.events().empty());
  version = 2;
  REQUIRE(poller.wait_events(1));
  const auto asked = api.count("/status.json");
  REQUIRE(api.wait_for("/status.json", asked + 3));
  auto events = poller.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].topic == "api/apisrc/changed");
  CHECK(events[0].fields["indicator"] == "major");
  CHECK(events[0].fields["_item"]["url"] == api.url("/status.json"));
  version = 3;
  REQUIRE(poller.wait_events(2));
}

TEST_CASE("api: changing url, items or key starts afresh with a baseline, not a flood", "[api]") {
  ListingApi items(10);
  items.api.route("/other", [&](const ApiRequest&) { return ApiAnswer{.body = json_items(100, 120)}; });
  ingestion::testing::TempDir dir;
  auto journal = ingestion::testing::open_journal(dir.file("j.db"));
  const auto kind = api_kind();
  compliance::Subject first{.kind = kind, .config_yaml = "{name: s, kind: api, url: \"" + items.url() +
                                                         "\", key: /id, interval: 50ms}"};
  {
    compliance::Running r(first, *journal, "s");
    r.start();
    REQUIRE(items.api.wait_for("/items", 2));
  }
  compliance::Subject second{.kind = kind, .config_yaml = "{name: s, kind: api, url: \"" + items.api.url("/other") +
                                                          "\", key: /id, interval: 50ms}"};
  compliance::Running r(second, *journal, "s");
  r.start();
  REQUIRE(items.api.wait_for("/other", 3));
  CHECK(journal->pending_events(0, 100)->empty());
  const auto state = r.runtime.list_state().value();
  CHECK(std::ranges::count_if(state, [](const auto& kv) { return kv.first.starts_with("item:"); }) == 21);
}
