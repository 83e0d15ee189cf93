// An event's fields in their two forms, object and text: whichever was given, the other is made
// from it, and every change goes through the object, so the two never disagree.
#include <catch2/catch.hpp>

#include <utility>

#include "ingestion/event.hpp"

using chatops::ingestion::EventFields;
using chatops::ingestion::IngestionEvent;

namespace {
// The text form, parsed: what the journal would read back.
nlohmann::json event_fields_reread(const EventFields& fields) { return nlohmann::json::parse(fields.text()); }
}  // namespace

TEST_CASE("event fields given as an object give its text, and the text follows every change", "[event]") {
  IngestionEvent e;
  CHECK(e.fields.object() == nlohmann::json::object());
  CHECK(e.fields.text() == "{}");
  e.fields = {{"repo", "org/api"}, {"n", 3}};
  CHECK_FALSE(e.fields.holds_text());
  CHECK(event_fields_reread(e.fields) == e.fields.object());
  e.fields["n"] = 4;
  e.fields["nested"]["deep"] = true;
  CHECK(event_fields_reread(e.fields) == nlohmann::json{{"repo", "org/api"}, {"n", 4}, {"nested", {{"deep", true}}}});
}

TEST_CASE("event fields given as text give its object, and a change drops the text", "[event]") {
  IngestionEvent e;
  e.fields = EventFields::from_text(R"({"id":7,"name":"x"})");
  CHECK(e.fields.holds_text());
  CHECK(e.fields.text() == R"({"id":7,"name":"x"})");  // as written: not serialised again
  CHECK(std::as_const(e.fields).object() == nlohmann::json{{"id", 7}, {"name", "x"}});
  CHECK(e.fields.holds_text());  // reading keeps the text: it still matches
  e.fields["name"] = "y";        // changing cannot keep it
  CHECK_FALSE(e.fields.holds_text());
  CHECK(event_fields_reread(e.fields) == nlohmann::json{{"id", 7}, {"name", "y"}});
  // Through a json& too (a mapping filling the fields in).
  e.fields = EventFields::from_text(R"({"a":1})");
  nlohmann::json& object = e.fields;
  object["b"] = 2;
  CHECK(event_fields_reread(e.fields) == nlohmann::json{{"a", 1}, {"b", 2}});
}

TEST_CASE("event fields: whatever the order of reads and writes, text and object agree", "[event]") {
  // Every sequence of 6 steps from: read the object, read the text, change a field, replace all.
  for (int sequence = 0; sequence < 2 * 4 * 4 * 4 * 4 * 4 * 4; ++sequence) {
    // The first bit picks the form the fields start in, then two bits per step.
    EventFields fields =
        sequence % 2 ? EventFields::from_text(R"({"start":0})") : EventFields(nlohmann::json{{"start", 0}});
    nlohmann::json expected = {{"start", 0}};
    for (int step = 0, rest = sequence / 2; step < 6; ++step, rest /= 4) {
      switch (rest % 4) {
        case 0: CHECK(std::as_const(fields).object() == expected); break;
        case 1: CHECK(nlohmann::json::parse(fields.text()) == expected); break;
        case 2:
          fields["k" + std::to_string(step)] = step;
          expected["k" + std::to_string(step)] = step;
          break;
        default:
          fields = {{"replaced", step}};
          expected = {{"replaced", step}};
      }
      REQUIRE(nlohmann::json::parse(fields.text()) == fields.object());
    }
  }
}

TEST_CASE("event fields: text taken away leaves an empty object, and bad text reads as {}", "[event]") {
  auto fields = EventFields::from_text(R"({"x":1})");
  CHECK(std::move(fields).text() == R"({"x":1})");
  CHECK(fields.object() == nlohmann::json::object());  // NOLINT(bugprone-use-after-move): defined
  CHECK_FALSE(fields.holds_text());
  CHECK(EventFields::from_text("{not json").object() == nlohmann::json::object());
  // Invalid UTF-8 in the object is replaced in the text (untrusted payloads must not throw).
  EventFields invalid(nlohmann::json{{"text", "caf\xe9"}});
  CHECK(invalid.text() == "{\"text\":\"caf\xef\xbf\xbd\"}");
}

TEST_CASE("event fields: text reads as the object nlohmann's parser makes of it, numbers beyond 64 bits too", "[event]") {
  const std::string text =
      R"({"s":"a\"b\\c\u00e9\n","n":-3,"u":18446744073709551615,"d":0.1,"e":1e300,"t":true,"z":null,)"
      R"("a":[1,{"k":[]}],"o":{"x":{}},"s":"later"})";
  CHECK(EventFields::from_text(text).object() == nlohmann::json::parse(text));
  const std::string huge = R"({"big":123456789012345678901234567890})";
  CHECK(EventFields::from_text(huge).object() == nlohmann::json::parse(huge));
  CHECK(EventFields::from_text("[1,2]").object() == nlohmann::json::array({1, 2}));
}
