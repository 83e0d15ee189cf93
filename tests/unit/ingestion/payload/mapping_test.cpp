#include "ingestion/payload/mapping.hpp"

#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "ingestion/field_lookup.hpp"

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

TEST_CASE("an object item's fields are its members and the envelope's, kept as text", "[payload]") {
  auto m = mapping_of("{topic: t}");
  REQUIRE(m);
  const std::string text = "{\"b\": [1, 2.5, {\"x\": null}],\n \"a\": \"caf\u00e9 \\\"q\\\"\\n\", \"n\": -3}";
  auto doc = parse_json(text);
  REQUIRE(doc);
  const EnvelopeField envelope{"kafka", {{"offset", 7}, {"key", "k"}}};
  auto e = m->map(doc->root(), {}, {}, &envelope);
  REQUIRE(e);
  CHECK(e->fields.holds_text());  // not built as an object and serialised again
  auto expected = nlohmann::json::parse(text);
  expected["kafka"] = envelope.value;
  CHECK(e->fields.object() == expected);
  CHECK(field_strings(e->fields, {"a", "n"}) == std::vector<std::optional<std::string>>{"café \"q\"\n", std::nullopt});

  SECTION("with no envelope") {
    auto plain = m->map(doc->root());
    REQUIRE(plain);
    CHECK(plain->fields.holds_text());
    CHECK(plain->fields.object() == nlohmann::json::parse(text));
  }
  SECTION("as an object, for a caller that goes on adding to them") {
    auto object = m->map(doc->root(), {}, {}, &envelope, FieldsForm::Object);
    REQUIRE(object);
    CHECK_FALSE(object->fields.holds_text());
    CHECK(object->fields.object() == expected);
  }
  SECTION("an empty object") {
    auto empty = parse_json("{}");
    auto with = m->map(empty->root(), {}, {}, &envelope);
    CHECK(with->fields.object() == nlohmann::json{{"kafka", envelope.value}});
  }
  SECTION("an item that is not an object has the envelope's member alone") {
    auto list = parse_json("[1, 2]");
    CHECK(m->map(list->root(), {}, {}, &envelope)->fields.object() == nlohmann::json{{"kafka", envelope.value}});
  }
  SECTION("invalid UTF-8 in the envelope is replaced, not thrown") {
    const EnvelopeField bad{"redis", {{"id", std::string("a\xff")}}};
    auto replaced = m->map(doc->root(), {}, {}, &bad);
    REQUIRE(replaced);
    CHECK(replaced->fields.object()["redis"]["id"] == "a\xEF\xBF\xBD");
  }
}

TEST_CASE("given the item's text, the fields are that text minified, with an envelope given as text", "[payload]") {
  auto m = mapping_of("{topic: t}");
  REQUIRE(m);
  const std::string text = "{ \"who\" : \"caf\\u00e9\",\n  \"n\": [1, 2.50] }";
  auto doc = parse_json(text);
  REQUIRE(doc);
  const EnvelopeField envelope{"redis", nullptr, R"({"stream":"s","id":"1-0"})"};
  auto e = m->map(doc->root(), {}, {}, &envelope, FieldsForm::Text, text);
  REQUIRE(e);
  REQUIRE(e->fields.holds_text());
  // As received, spaces aside: the escape and the number's digits are kept.
  CHECK(e->fields.text() == R"({"who":"caf\u00e9","n":[1,2.50],"redis":{"stream":"s","id":"1-0"}})");
  CHECK(e->fields.object() == nlohmann::json{{"who", "caf\u00e9"}, {"n", {1, 2.5}}, {"redis", {{"stream", "s"}, {"id", "1-0"}}}});
  // The object form reads the envelope's text as well.
  auto object = m->map(doc->root(), {}, {}, &envelope, FieldsForm::Object, text);
  REQUIRE(object);
  CHECK(object->fields.object() == e->fields.object());
}

TEST_CASE("a repeated name in an item: the last one is the field, read either way", "[payload]") {
  auto m = mapping_of("{topic: t}");
  REQUIRE(m);
  auto repeated = parse_json(R"({"who": "first", "x": 1, "who": "last"})");
  REQUIRE(repeated);
  auto e = m->map(repeated->root());
  REQUIRE(e);
  CHECK(e->fields.object() == nlohmann::json{{"who", "last"}, {"x", 1}});
  CHECK(field_strings(e->fields, {"who"}).front() == "last");

  // The envelope's member replaces the item's own of its name.
  auto clash = parse_json(R"({"kafka": "mine", "y": 2})");
  const EnvelopeField envelope{"kafka", {{"offset", 7}}};
  auto enveloped = m->map(clash->root(), {}, {}, &envelope);
  REQUIRE(enveloped);
  CHECK(enveloped->fields.object() == nlohmann::json{{"kafka", {{"offset", 7}}}, {"y", 2}});
  CHECK(field_strings(enveloped->fields, {"kafka"}).front() == std::nullopt);  // an object, not the item's string
}

TEST_CASE("a mapping with fields: builds them on the item's members", "[payload]") {
  auto m = mapping_of("{topic: t, fields: {who: /user/name}}");
  REQUIRE(m);
  auto doc = parse_json(R"({"user": {"name": "ann"}, "who": "replaced"})");
  const EnvelopeField envelope{"nats", {{"subject", "s"}}};
  auto e = m->map(doc->root(), {}, {}, &envelope);
  REQUIRE(e);
  CHECK(e->fields.object() == nlohmann::json{{"user", {{"name", "ann"}}}, {"who", "ann"}, {"nats", {{"subject", "s"}}}});
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
