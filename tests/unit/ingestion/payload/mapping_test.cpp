#include "ingestion/payload/mapping.hpp"

#include <catch2/catch.hpp>

#include "core/config/node.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::payload;

namespace {

Result<Mapping> mapping_of(const std::string& yaml, MappingKeys keys = {}) {
  config::Schema schema("test", "");
  add_mapping_fields(schema, keys);
  auto raw = config::load_string(yaml, "m.yml");
  REQUIRE(raw);
  auto node = config::validate(schema, *raw);
  if (!node) return std::unexpected(node.error());
  return Mapping::from_config(*node, keys);
}

}  // namespace

TEST_CASE("a mapping turns a JSON item into an event", "[payload]") {
  auto m = mapping_of(R"({topic_pointer: /kind, topic_prefix: "deploy/", dedupe: /id, severity: /level,
                         required: [/id], fields: {who: /user/name}, template: "{{who}} deployed"})");
  REQUIRE(m);
  const std::string text = R"({"id": 42, "kind": "finished", "level": "WARNING", "user": {"name": "ann"}})";
  auto doc = parse_json(text);
  REQUIRE(doc);
  auto e = m->map(doc->root());
  REQUIRE(e);
  CHECK(e->topic == "deploy/finished");
  CHECK(e->dedupe_key == "42");
  CHECK(e->severity == Severity::Warning);
  CHECK(e->fields["who"] == "ann");
  CHECK(e->fields["id"] == 42);  // top-level fields as they are
  CHECK(e->default_template == "{{who}} deployed");
  CHECK(m->has_dedupe());
}

TEST_CASE("a mapping refuses items without what it requires", "[payload]") {
  auto m = mapping_of("{topic_pointer: /kind, required: [/id]}");
  REQUIRE(m);
  auto no_id = parse_json(R"({"kind": "x"})");
  auto e = m->map(no_id->root());
  REQUIRE_FALSE(e);
  CHECK(e.error().cause == "missing_field");
  CHECK(e.error().reason == "missing required field /id");
  auto bad_topic = parse_json("{\"id\": 1, \"kind\": \"a\\nb\"}");
  REQUIRE_FALSE(m->map(bad_topic->root()));  // control characters never make a topic
}

TEST_CASE("topics: fixed, from a header, or the source's own", "[payload]") {
  auto doc = parse_json(R"({"a": 1})");
  auto fixed = mapping_of("{topic: orders/new}");
  CHECK(fixed->map(doc->root())->topic == "orders/new");

  auto by_header = mapping_of("{topic_header: X-Event, topic_prefix: \"hook/\"}", {.headers = true});
  REQUIRE(by_header);
  auto header = [](std::string_view name) -> std::optional<std::string> {
    return name == "X-Event" ? std::optional<std::string>("ping") : std::nullopt;
  };
  CHECK(by_header->map(doc->root(), header)->topic == "hook/ping");
  CHECK(by_header->map(doc->root()).error().cause == "missing_topic");

  auto none = mapping_of("{}", {.topic_required = false});
  REQUIRE(none);
  CHECK(none->map(doc->root(), {}, "api/releases/new")->topic == "api/releases/new");
}

TEST_CASE("mapping keys are checked at load with their position", "[payload]") {
  auto two = mapping_of("{topic: a, topic_pointer: /b}");
  REQUIRE_FALSE(two);
  CHECK_THAT(two.error().message, Catch::Contains("give exactly one of topic, topic_pointer"));
  auto missing = mapping_of("{}");
  REQUIRE_FALSE(missing);
  auto bad = mapping_of("{topic: a, dedupe: \"not/a/pointer\"}");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("m.yml:1:") && Catch::Contains("is not a JSON pointer"));
  auto no_headers = mapping_of("{topic_header: X-Event}");
  REQUIRE_FALSE(no_headers);  // a source without headers does not offer the key
}
