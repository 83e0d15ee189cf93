#include <catch2/catch.hpp>

#include "bot/backlog.hpp"

using namespace chatops::bot;

namespace {
Output output(std::int64_t id, std::string group, std::string text = "") {
  Output o;
  o.key = {id, "0:#ops"};
  o.target = "#ops";
  o.text = text.empty() ? "event " + std::to_string(id) : text;
  o.digest_group = std::move(group);
  o.what = "pushes";
  o.scope = "org/repo";
  return o;
}

std::vector<Send> pop_all(Backlog& b) {
  std::vector<Send> sends;
  while (!b.empty()) sends.push_back(b.pop());
  return sends;
}
}  // namespace

TEST_CASE("a backlog within capacity is said in order, line by line", "[backlog]") {
  Backlog b;
  for (int i = 1; i <= 3; ++i) b.push(output(i, "g"));
  REQUIRE(b.coalesce(10) == 0);
  auto sends = pop_all(b);
  REQUIRE(sends.size() == 3);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(sends[i].text == "event " + std::to_string(i + 1));
    REQUIRE(sends[i].sent == std::vector<DeliveryKey>{{i + 1, "0:#ops"}});
  }
}

TEST_CASE("a burst over capacity becomes the first line and one digest per group", "[backlog]") {
  Backlog b;
  for (int i = 1; i <= 40; ++i) b.push(output(i, "push org/repo", "alice pushed " + std::to_string(i)));
  b.push(output(41, "pr org/repo", "pull request"));
  REQUIRE(b.lines() == 41);
  REQUIRE(b.coalesce(10) == 39);
  REQUIRE(b.lines() == 3);
  auto sends = pop_all(b);
  REQUIRE(sends.size() == 3);
  REQUIRE(sends[0].text == "alice pushed 1");
  REQUIRE(sends[1].text == "… and 39 more pushes in org/repo (latest: alice pushed 40)");
  REQUIRE(sends[1].digested.size() == 39);
  REQUIRE(sends[1].sent.empty());
  REQUIRE(sends[2].text == "pull request");
}

TEST_CASE("every output is either sent or digested exactly once", "[backlog]") {
  Backlog b;
  std::vector<Send> sends;
  std::int64_t next = 1;
  // Interleave arrivals, coalescing and sending, as the dispatcher does under a burst.
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 7; ++k, ++next) b.push(output(next, next % 3 ? "a" : "b"));
    b.coalesce(5);
    for (int k = 0; k < 2 && !b.empty(); ++k) sends.push_back(b.pop());
  }
  auto rest = pop_all(b);
  sends.insert(sends.end(), rest.begin(), rest.end());
  std::vector<int> seen(static_cast<std::size_t>(next), 0);
  for (const auto& s : sends) {
    for (const auto& k : s.sent) ++seen[static_cast<std::size_t>(k.event_id)];
    for (const auto& k : s.digested) ++seen[static_cast<std::size_t>(k.event_id)];
  }
  for (std::int64_t id = 1; id < next; ++id) REQUIRE(seen[static_cast<std::size_t>(id)] == 1);
  REQUIRE(b.lines() == 0);
}

TEST_CASE("outputs without a digest group are never coalesced", "[backlog]") {
  Backlog b;
  for (int i = 1; i <= 5; ++i) b.push(output(i, ""));
  REQUIRE(b.coalesce(1) == 0);
  REQUIRE(pop_all(b).size() == 5);
}

TEST_CASE("a multi-line output counts each of its lines", "[backlog]") {
  Backlog b;
  b.push(output(1, "g", "one\ntwo\nthree"));
  REQUIRE(b.lines() == 3);
}

TEST_CASE("the digest line strips formatting and shortens the latest text", "[backlog]") {
  auto line = digest_line(2, "alert notifications", "", "\x02\x03" "04FIRING\x0f " + std::string(200, 'x'));
  REQUIRE(line.rfind("… and 2 more alert notifications (latest: FIRING …)", 0) == 0);
  const std::string word(200, 'y');  // one word longer than the whole summary: cut
  REQUIRE(digest_line(2, "events", "", word) == "… and 2 more events (latest: " + std::string(120, 'y') + "…)");
}

TEST_CASE("the digest line never cuts a URL: it keeps it whole or leaves it out", "[backlog]") {
  const std::string url = "https://github.com/Codertocat/Hello-World/compare/6113728f27ae82c7b1a177c8d03f9e96e0adf246...abc";
  const std::string text = "Codertocat/Hello-World Codertocat pushed 3 commits to a-branch-with-a-long-name " + url;
  REQUIRE(digest_line(5, "pushes", "Codertocat/Hello-World", text) ==
          "… and 5 more pushes in Codertocat/Hello-World (latest: Codertocat/Hello-World Codertocat pushed 3 commits "
          "to a-branch-with-a-long-name …)");
  REQUIRE(digest_line(1, "pushes", "", url + std::string(60, '0')) == "… and 1 more pushes (latest: " + url +
                                                                        std::string(60, '0') + " …)");
}

TEST_CASE("the late marker says the age in the largest two units", "[backlog]") {
  using namespace std::chrono_literals;
  REQUIRE(late_marker(45s) == "[45s late]");
  REQUIRE(late_marker(12min + 30s) == "[12m late]");
  REQUIRE(late_marker(2h) == "[2h late]");
  REQUIRE(late_marker(2h + 5min + 3s) == "[2h 5m late]");
  REQUIRE(late_marker(72h + 4h + 1min) == "[3d 4h late]");
}

TEST_CASE("a digest's scope and topic cannot inject lines or formatting", "[backlog]") {
  // A `repo` field holding CR/LF and colour codes once made one digest three channel lines.
  auto line = digest_line(5, "deploy/\x03" "04done\r\nQUIT", "org/repo\r\nPRIVMSG #ops :injected\n\x02\x03" "04,01red\x1d",
                          "latest\r\nPRIVMSG #x :y");
  INFO(line);
  CHECK(line.find_first_of("\r\n\x02\x03\x1d") == std::string::npos);
  CHECK(line == "… and 5 more deploy/done  QUIT in org/repo  PRIVMSG #ops :injected red (latest: latest)");
  // A 300 KB scope is shortened: the digest stays one line.
  auto long_scope = digest_line(2, "generic/x", std::string(300'000, 'r'), "");
  CHECK(long_scope.size() < 200);
}

TEST_CASE("drain gives back every waiting key", "[backlog]") {
  Backlog b;
  for (int i = 1; i <= 6; ++i) b.push(output(i, "g"));
  b.coalesce(2);
  REQUIRE(b.drain().size() == 6);
  REQUIRE(b.empty());
}

namespace {
// An output whose text is rendered when asked: two lines, counted in `rendered`.
Output output_later(std::int64_t id, std::string group, std::vector<std::int64_t>& rendered) {
  Output o = output(id, std::move(group));
  o.text.clear();
  o.render = [id, &rendered]() -> chatops::Result<std::string> {
    rendered.push_back(id);
    return "event " + std::to_string(id) + "\nsecond line";
  };
  o.max_lines = 11;
  return o;
}
}  // namespace

TEST_CASE("a coalesced burst renders only the outputs it says in full and its latest", "[backlog]") {
  Backlog b;
  std::vector<std::int64_t> rendered;
  for (int i = 1; i <= 40; ++i) b.push(output_later(i, "push org/repo", rendered));
  b.push(output_later(41, "pr org/repo", rendered));
  REQUIRE(b.lines() == 41);  // one each until rendered…
  REQUIRE(b.unsure_lines() == 41 * 10);  // …and up to 11
  REQUIRE(b.coalesce(10, [](Output& o) {
    o.text = *o.render();
    o.render = nullptr;
    return true;
  }) == 39);
  CHECK(rendered == std::vector<std::int64_t>{1, 40, 41});
  CHECK(b.unsure_lines() == 0);
  auto sends = pop_all(b);
  REQUIRE(sends.size() == 3);
  CHECK(sends[0].text == "event 1\nsecond line");
  CHECK(sends[1].text == "… and 39 more pushes in org/repo (latest: event 40)");
  CHECK(sends[2].text == "event 41\nsecond line");
}

TEST_CASE("outputs within capacity are all rendered, and their real lines decide the coalescing", "[backlog]") {
  std::vector<std::int64_t> rendered;
  const auto render = [](Output& o) {
    o.text = *o.render();
    o.render = nullptr;
    return true;
  };
  Backlog within;
  for (int i = 1; i <= 3; ++i) within.push(output_later(i, "g", rendered));
  CHECK(within.coalesce(6, render) == 0);  // 6 real lines: said in full
  CHECK(within.lines() == 6);
  CHECK(rendered.size() == 3);
  Backlog over;
  for (int i = 1; i <= 4; ++i) over.push(output_later(i, "g", rendered));
  CHECK(over.coalesce(6, render) == 3);  // 4 counted, 8 real lines
  CHECK(over.lines() == 3);
}

TEST_CASE("an output whose rendering fails leaves the burst, and the one before it becomes the latest", "[backlog]") {
  Backlog b;
  std::vector<std::int64_t> rendered;
  for (int i = 1; i <= 20; ++i) b.push(output_later(i, "g", rendered));
  std::vector<std::int64_t> failed;
  CHECK(b.coalesce(5, [&](Output& o) {
    if (o.key.event_id == 20) {
      failed.push_back(20);
      return false;
    }
    o.text = *o.render();
    o.render = nullptr;
    return true;
  }) == 18);
  CHECK(failed == std::vector<std::int64_t>{20});
  auto sends = pop_all(b);
  REQUIRE(sends.size() == 2);
  CHECK(sends[1].text == "… and 18 more pushes in org/repo (latest: event 19)");
  CHECK(sends[1].digested.size() == 18);
}
