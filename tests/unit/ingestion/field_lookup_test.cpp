// A few top-level fields read without building the object: the same answers from text and object.
#include <catch2/catch.hpp>

#include "ingestion/field_lookup.hpp"

using namespace chatops::ingestion;

namespace {
const nlohmann::json kLookupFields = {{"what", "pushes"},     {"repo", "org/repo"}, {"count", 3},
                                      {"digest", true},       {"empty", ""},        {"nested", {{"repo", "inner"}}},
                                      {"list", {"a", "b"}},   {"none", nullptr}};
}  // namespace

TEST_CASE("top-level strings and booleans read from the fields' text equal those of their object", "[fields]") {
  const EventFields as_object(kLookupFields);
  const auto as_text = EventFields::from_text(kLookupFields.dump());
  for (const auto* fields : {&as_object, &as_text}) {
    INFO(fields->holds_text());
    const auto found = field_strings(*fields, {"what", "repo", "count", "missing", "empty", "nested", "list", "none"});
    REQUIRE(found.size() == 8);
    CHECK(found[0] == "pushes");
    CHECK(found[1] == "org/repo");
    CHECK_FALSE(found[2]);  // a number is not a string
    CHECK_FALSE(found[3]);
    CHECK(found[4] == "");
    CHECK_FALSE(found[5]);
    CHECK_FALSE(found[6]);
    CHECK_FALSE(found[7]);
    CHECK(field_boolean(*fields, "digest") == true);
    CHECK_FALSE(field_boolean(*fields, "what"));
    CHECK_FALSE(field_boolean(*fields, "missing"));
  }
}

TEST_CASE("fields text that is not an object reads as no fields, as its object does", "[fields]") {
  for (const auto* text : {"not json", "[1, 2]", "\"repo\"", "{\"repo\": \"\xff\"}"}) {
    INFO(text);
    const auto fields = EventFields::from_text(text);
    CHECK_FALSE(field_strings(fields, {"repo"})[0]);
    CHECK_FALSE(field_boolean(fields, "repo"));
  }
}
