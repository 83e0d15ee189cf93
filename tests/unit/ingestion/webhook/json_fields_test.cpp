#include "ingestion/webhook/json_fields.hpp"

#include <catch2/catch.hpp>

#include "webhook_test_support.hpp"

using namespace chatops::ingestion::webhook;
using namespace chatops::ingestion::webhook::test;

namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

Rejection refusal(const Request& r) {
  auto body = parse_json_body(r);
  REQUIRE_FALSE(body);
  return body.error();
}

}  // namespace

TEST_CASE("a JSON body parses and keeps its text as received", "[webhook][json]") {
  const std::string text = R"({"repository": {"full_name": "octo/hello"},  "n": 3})";
  const auto request = json_request(text);
  auto body = parse_json_body(request);  // reads the request's body in place
  REQUIRE(body);
  CHECK(body->text() == text);
  CHECK(text_at(body->root(), "/repository/full_name") == "octo/hello");
}

TEST_CASE("malformed JSON is refused with the line and column", "[webhook][json]") {
  const auto r = refusal(json_request("{\n  \"a\": tru,\n  \"b\": 1\n}"));
  CHECK(r.status == 400);
  CHECK(r.cause == "malformed_json");
  CHECK_THAT(r.reason, Catch::StartsWith("malformed JSON") && Catch::Contains("line 2, column"));
  CHECK(refusal(json_request("")).cause == "malformed_json");
  CHECK(refusal(json_request("{\"a\": 1} trailing")).cause == "malformed_json");
}

TEST_CASE("invalid UTF-8 in a body is refused", "[webhook][json]") {
  const auto r = refusal(json_request("{\"a\": \"\xff\xfe\"}"));
  CHECK(r.cause == "malformed_json");
  CHECK_THAT(r.reason, Catch::Contains("UTF-8"));
}

TEST_CASE("nesting is limited to kMaxJsonDepth", "[webhook][json]") {
  CHECK(parse_json_body(json_request(nested(kMaxJsonDepth))));
  const auto r = refusal(json_request(nested(kMaxJsonDepth + 1)));
  CHECK(r.cause == "malformed_json");
  CHECK(r.reason == "JSON nested deeper than 128");
  // Deep enough to overflow a recursive parser's stack: refused the same way.
  CHECK(refusal(json_request(nested(100000))).reason == "JSON nested deeper than 128");
}

TEST_CASE("valid JSON beyond what 64-bit numbers hold is refused as unsupported", "[webhook][json]") {
  const auto r = refusal(json_request(R"({"n": 123456789012345678901234567890})"));
  CHECK(r.cause == "malformed_json");
  CHECK_THAT(r.reason, Catch::StartsWith("unsupported JSON"));
}

TEST_CASE("content types: JSON, +json, GitHub's form mode, anything else is 415", "[webhook][json]") {
  auto r = json_request("");
  r.headers = {{"Content-Type", "application/vnd.api+json; charset=utf-8"}};
  r.body = R"({"a": 1})";
  CHECK(parse_json_body(r));

  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  r.body = "other=1&payload=%7B%22a%22%3A+%22b+c%22%7D";
  auto form = parse_json_body(r);
  REQUIRE(form);
  CHECK(form->text() == R"({"a": "b c"})");
  CHECK(text_at(form->root(), "/a") == "b c");

  r.body = "other=1";
  CHECK(refusal(r).status == 415);
  r.headers = {{"Content-Type", "text/plain"}};
  CHECK(refusal(r).status == 415);
  r.headers = {};
  CHECK(refusal(r).status == 415);
}

TEST_CASE("lookups never throw and fall back on absent or mistyped values", "[webhook][json]") {
  auto body = parse_json_body(json_request(
      R"({"s": "text", "i": -42, "u": 18446744073709551615, "d": 1.5, "t": true, "z": null,)"
      R"( "list": [10, {"k": "v"}], "a/b": 1, "m~n": 2})"));
  REQUIRE(body);
  const Value p = body->root();
  CHECK(text_at(p, "/s") == "text");
  CHECK(text_at(p, "/i") == "-42");
  CHECK(text_at(p, "/u") == "18446744073709551615");
  CHECK(text_at(p, "/d") == "1.5");
  CHECK(text_at(p, "/t") == "true");
  CHECK(text_at(p, "/z", "none") == "none");
  CHECK(text_at(p, "/list", "none") == "none");
  CHECK(text_at(p, "/missing", "none") == "none");
  CHECK(text_at(p, "/list/1/k") == "v");
  CHECK(text_at(p, "/list/x", "none") == "none");   // not an index
  CHECK(text_at(p, "/list/9", "none") == "none");   // out of range
  CHECK(text_at(p, "/s/deeper", "none") == "none");  // through a string
  CHECK(text_at(p, "no-slash", "none") == "none");   // not a pointer
  CHECK(text_at(p, "/a~1b") == "1");                 // RFC 6901 escapes
  CHECK(text_at(p, "/m~0n") == "2");
  CHECK(int_at(p, "/i") == -42);
  CHECK(int_at(p, "/d", 7) == 7);
  CHECK(int_at(p, "/u", 7) == 7);  // beyond int64
  CHECK(int_at(p, "/s", 7) == 7);
  CHECK(bool_at(p, "/t"));
  CHECK(bool_at(p, "/i", true));
  CHECK(find(p, "/z").has_value());
  CHECK_FALSE(find(p, "/missing").has_value());
}

TEST_CASE("one parser serves request after request, a large one's memory is not kept", "[webhook][json]") {
  std::string large = "[";
  for (int i = 0; i < 200000; ++i) large += std::to_string(i) + ",";
  large.back() = ']';
  for (int round = 0; round < 3; ++round) {
    const auto small_request = json_request(R"({"round": )" + std::to_string(round) + "}");
    auto small = parse_json_body(small_request);
    REQUIRE(small);
    CHECK(int_at(small->root(), "/round") == round);
    {
      const auto large_request = json_request(large);
      auto parsed = parse_json_body(large_request);  // while `small` still holds the thread's parser
      REQUIRE(parsed);
      CHECK(int_at(parsed->root(), "/199999") == 199999);
    }
    CHECK(int_at(small->root(), "/round") == round);  // its DOM untouched by the other parse
  }
}

TEST_CASE("to_json copies a value exactly", "[webhook][json]") {
  const std::string text = R"({"a": [1, -2, 3.25, "x", null, true, {"b": {}}], "c": 18446744073709551615})";
  auto body = parse_json_body(json_request(text));
  REQUIRE(body);
  CHECK(to_json(body->root()) == nlohmann::json::parse(text));
}

TEST_CASE("pointers are checked at config time", "[webhook][json]") {
  CHECK(compile_pointer("/event/id").value() == "/event/id");
  CHECK(compile_pointer("").value().empty());
  auto bad = compile_pointer("event");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("\"event\" is not a JSON pointer"));
}
