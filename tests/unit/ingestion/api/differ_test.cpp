// The item differ, without I/O: pages of JSON in, items to say and state changes out.
#include <catch2/catch.hpp>

#include <string>

#include "ingestion/api/differ.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::api;

namespace {

struct Poller {
  SeenItems seen;
  simdjson::ondemand::parser parser;
  std::int64_t now = 1'700'000'000;

  // One poll over `pages`, committed; returns the differ for inspection.
  std::vector<FoundItem> poll(DiffOptions options, std::vector<std::string> pages, std::vector<StateChange>* state = nullptr) {
    Differ d(options, seen, parser, now++);
    for (auto& page : pages) REQUIRE(d.observe(page));
    auto changes = d.state_changes();
    if (state) *state = changes;
    d.commit();
    return d.found();
  }
};

DiffOptions by_id(EmitMode emit = EmitMode::New) {
  DiffOptions o;
  o.key_pointer = "/id";
  o.emit = emit;
  return o;
}

std::vector<std::string> keys(const std::vector<FoundItem>& found) {
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(f.key + ":" + std::string(to_string(f.change)));
  return out;
}

}  // namespace

TEST_CASE("differ: new items are found once, in listed order, with their own text", "[api][differ]") {
  Poller p;
  auto found = p.poll(by_id(), {R"([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])"});
  REQUIRE(keys(found) == std::vector<std::string>{"1:new", "2:new"});
  CHECK(found[0].json == R"({"id": 1, "name": "a"})");
  CHECK(p.poll(by_id(), {R"([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])"}).empty());
  found = p.poll(by_id(), {R"([{"id": 3, "name": "c"}, {"id": 1, "name": "a"}, {"id": 2, "name": "b"}])"});
  CHECK(keys(found) == std::vector<std::string>{"3:new"});
}

TEST_CASE("differ: a changed item is said with new_and_changed, remembered silently with new", "[api][differ]") {
  Poller quiet, loud;
  const std::string before = R"({"items": [{"id": "x", "status": "investigating"}]})";
  const std::string after = R"({"items": [{"id": "x", "status": "resolved"}]})";
  auto options = by_id();
  options.items_pointer = "/items";
  quiet.poll(options, {before});
  CHECK(quiet.poll(options, {after}).empty());
  CHECK(quiet.poll(options, {after}).empty());

  options.emit = EmitMode::NewAndChanged;
  loud.poll(options, {before});
  auto found = loud.poll(options, {after});
  REQUIRE(keys(found) == std::vector<std::string>{"x:changed"});
  CHECK(found[0].json == R"({"id": "x", "status": "resolved"})");
  CHECK(loud.poll(options, {after}).empty());  // said once
}

TEST_CASE("differ: a baseline remembers everything and says nothing", "[api][differ]") {
  Poller p;
  auto options = by_id(EmitMode::NewAndChanged);
  options.announce = false;
  std::string page = "[";
  for (int i = 0; i < 500; ++i) page += (i ? "," : "") + std::string(R"({"id":)") + std::to_string(i) + "}";
  page += "]";
  std::vector<StateChange> state;
  CHECK(p.poll(options, {page}, &state).empty());
  CHECK(state.size() == 500);
  CHECK(p.seen.items.size() == 500);
  options.announce = true;
  CHECK(p.poll(options, {page}).empty());
}

TEST_CASE("differ: what nothing is committed for is found again", "[api][differ]") {
  Poller p;
  Differ d(by_id(), p.seen, p.parser, 1);
  std::string page = R"([{"id": 1}])";
  REQUIRE(d.observe(page));
  REQUIRE(d.found().size() == 1);
  // No commit (the journal refused): the next poll finds it again.
  CHECK(keys(p.poll(by_id(), {page})) == std::vector<std::string>{"1:new"});
}

TEST_CASE("differ: keys are strings unescaped, numbers as written, or nested", "[api][differ]") {
  Poller p;
  auto options = by_id();
  options.key_pointer = "/meta/id";
  auto found = p.poll(options, {R"([{"meta": {"id": "a\"b"}}, {"x": 1, "meta": {"q": 2, "id": 7.5}}])"});
  CHECK(keys(found) == std::vector<std::string>{"a\"b:new", "7.5:new"});
  CHECK(found[1].json == R"({"x": 1, "meta": {"q": 2, "id": 7.5}})");
}

TEST_CASE("differ: items without a key are known by their content", "[api][differ]") {
  Poller p;
  auto found = p.poll(by_id(), {R"([{"name": "no id"}, "a string", 42, {"id": null}])"});
  REQUIRE(found.size() == 4);
  for (const auto& f : found) CHECK(f.key.starts_with("#"));
  CHECK(found[1].json == R"("a string")");
  CHECK(p.poll(by_id(), {R"([{"name": "no id"}, "a string", 42, {"id": null}])"}).empty());
  // A change makes a new item.
  CHECK(p.poll(by_id(), {R"([{"name": "no id!"}])"}).size() == 1);
}

TEST_CASE("differ: an item listed twice in one poll is said once", "[api][differ]") {
  Poller p;
  auto found = p.poll(by_id(), {R"([{"id": 1}, {"id": 2}])", R"([{"id": 2}, {"id": 3}])"});
  CHECK(keys(found) == std::vector<std::string>{"1:new", "2:new", "3:new"});
}

TEST_CASE("differ: an object is one item, null none", "[api][differ]") {
  Poller p;
  auto options = by_id();
  options.items_pointer = "/release";
  CHECK(keys(p.poll(options, {R"({"release": {"id": 9}})"})) == std::vector<std::string>{"9:new"});
  CHECK(p.poll(options, {R"({"release": null})"}).empty());
}

TEST_CASE("differ: document mode says the value at items when it changes", "[api][differ]") {
  Poller p;
  DiffOptions options;
  options.emit = EmitMode::Document;
  options.items_pointer = "/status";
  auto found = p.poll(options, {R"({"status": {"indicator": "none"}, "page": {"updated_at": "1"}})"});
  REQUIRE(keys(found) == std::vector<std::string>{"document:new"});
  CHECK(found[0].json == R"({"indicator": "none"})");
  CHECK(p.poll(options, {R"({"status": {"indicator": "none"}, "page": {"updated_at": "2"}})"}).empty());
  CHECK(keys(p.poll(options, {R"({"status": {"indicator": "major"}})"})) ==
        std::vector<std::string>{"document:changed"});

  Poller whole;
  options.items_pointer = "";
  whole.poll(options, {"[1, 2]"});
  CHECK(keys(whole.poll(options, {"[1, 2, 3]\n"})) == std::vector<std::string>{"document:changed"});
}

TEST_CASE("differ: beyond `remember`, the oldest items no longer listed are forgotten (ties by key)", "[api][differ]") {
  Poller p;
  auto options = by_id();
  options.remember = 3;
  p.poll(options, {R"([{"id": 1}, {"id": 2}])"});
  p.poll(options, {R"([{"id": 3}])"});
  std::vector<StateChange> state;
  CHECK(keys(p.poll(options, {R"([{"id": 4}, {"id": 3}])"}, &state)) == std::vector<std::string>{"4:new"});
  CHECK(p.seen.items.size() == 3);
  CHECK_FALSE(p.seen.items.contains("1"));  // the oldest absent one
  CHECK(p.seen.items.contains("2"));
  const auto forgotten = std::ranges::count_if(state, [](const StateChange& c) { return !c.value; });
  CHECK(forgotten == 1);
  // Listed items are never forgotten, even past the bound.
  p.poll(options, {R"([{"id": 5}, {"id": 6}, {"id": 7}, {"id": 8}])"});
  CHECK(p.seen.items.size() == 4);
}

TEST_CASE("differ: the next page's pointer is read from each page", "[api][differ]") {
  Poller p;
  auto options = by_id();
  options.items_pointer = "/data";
  options.next_pointer = "/links/next";
  SeenItems seen;
  Differ d(options, seen, p.parser, 1);
  std::string page = R"({"links": {"next": "/items?page=2"}, "data": [{"id": 1}]})";
  auto scan = d.observe(page);
  REQUIRE(scan);
  CHECK(scan->items == 1);
  CHECK(scan->next == "/items?page=2");
  std::string last = R"({"data": [{"id": 2}], "links": {"next": null}})";
  scan = d.observe(last);
  REQUIRE(scan);
  CHECK_FALSE(scan->next);
}

TEST_CASE("differ: a page that is not the expected JSON is an error naming what is wrong", "[api][differ]") {
  Poller p;
  auto options = by_id();
  options.items_pointer = "/incidents";
  Differ d(options, p.seen, p.parser, 1);
  std::string html = "<html>maintenance</html>";
  auto scan = d.observe(html);
  REQUIRE_FALSE(scan);
  CHECK_THAT(scan.error(), Catch::Contains("malformed JSON"));
  std::string other = R"({"incident": []})";
  scan = d.observe(other);
  REQUIRE_FALSE(scan);
  CHECK_THAT(scan.error(), Catch::Contains("no /incidents in it"));
  std::string truncated = R"({"incidents": [{"id": 1}, {"id": 2)";
  CHECK_FALSE(d.observe(truncated));
}

TEST_CASE("differ: hostile pages (deep nesting, huge keys) stay bounded", "[api][differ]") {
  Poller p;
  std::string deep = "[{\"id\": 1, \"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}]";
  Differ d(by_id(), p.seen, p.parser, 1);
  // Skipped over without recursion: refused, or one item (whose event then fails to map).
  const auto scan = d.observe(deep);
  CHECK((!scan || d.found().size() == 1));
  const std::string long_key(5000, 'k');
  auto found = p.poll(by_id(), {R"([{"id": ")" + long_key + R"("}])"});
  REQUIRE(found.size() == 1);
  CHECK(found[0].key.size() < 20);  // remembered by its hash
}

TEST_CASE("differ: state values round-trip", "[api][differ]") {
  const SeenItem item{.hash = 0x00ab'cdef'0123'4567, .first_seen = 1'700'000'000};
  const auto text = item_state_value(item);
  CHECK(text == "00abcdef01234567 1700000000");
  const auto back = parse_item_state(text);
  REQUIRE(back);
  CHECK(back->hash == item.hash);
  CHECK(back->first_seen == item.first_seen);
  CHECK_FALSE(parse_item_state("nonsense"));
  CHECK_FALSE(parse_item_state("00abcdef01234567 x"));
}
