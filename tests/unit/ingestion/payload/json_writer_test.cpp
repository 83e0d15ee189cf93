#include "ingestion/payload/json_writer.hpp"

#include <catch2/catch.hpp>

using namespace chatops::ingestion::payload;
using nlohmann::json;

namespace {

json parsed(std::string text) {
  INFO(text);
  auto j = json::parse(text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

}  // namespace

TEST_CASE("an object writer writes the text of the object a json would hold", "[payload][json_writer]") {
  JsonObjectWriter f;
  f["name"] = "deploy";
  f["who"] = std::string("ann");
  f["ref"] = std::string_view("refs/heads/main");
  f["forced"] = true;
  f["deleted"] = false;
  f["count"] = std::size_t{3};
  f["delta"] = std::int64_t{-12};
  f["ratio"] = 0.25;
  f["nothing"] = nullptr;
  f["labels"] = json{{"team", "ops"}};
  const std::string text = std::move(f).text();
  CHECK(text ==
        R"({"name":"deploy","who":"ann","ref":"refs/heads/main","forced":true,"deleted":false,"count":3,)"
        R"("delta":-12,"ratio":0.25,"nothing":null,"labels":{"team":"ops"}})");
  CHECK(parsed(text) == json{{"name", "deploy"}, {"who", "ann"}, {"ref", "refs/heads/main"}, {"forced", true},
                             {"deleted", false}, {"count", 3}, {"delta", -12}, {"ratio", 0.25},
                             {"nothing", nullptr}, {"labels", {{"team", "ops"}}}});
}

TEST_CASE("an empty object writer writes {}", "[payload][json_writer]") {
  JsonObjectWriter f;
  CHECK(std::move(f).text() == "{}");
}

TEST_CASE("setting a key again replaces its value where it stands", "[payload][json_writer]") {
  JsonObjectWriter f;
  f["url"] = "https://example.org/repository";
  f["repo"] = "o/r";
  f["sender"] = "ann";
  f["url"] = "https://example.org/compare/a...b";  // longer
  f["repo"] = 7;                                    // shorter, another type
  f["after"] = "x";
  f["url"] = "";
  CHECK(std::move(f).text() == R"({"url":"","repo":7,"sender":"ann","after":"x"})");
}

TEST_CASE("keys and values are escaped as JSON, invalid UTF-8 replaced", "[payload][json_writer]") {
  JsonObjectWriter f;
  f["line"] = std::string("a\r\nb\"c\\d\x01") + "\xff" + "é";
  f["quote\"key"] = 1;
  f["quote\"key"] = 2;
  const json object = parsed(std::move(f).text());
  CHECK(object["line"] == "a\r\nb\"c\\d\x01\xEF\xBF\xBD\xC3\xA9");
  CHECK(object["quote\"key"] == 2);
  CHECK(object.size() == 2);
}

TEST_CASE("objects and arrays nest, and an array gives a slice of its elements", "[payload][json_writer]") {
  JsonArrayWriter commits;
  for (int i = 1; i <= 5; ++i) {
    JsonObjectWriter c;
    c["id"] = i;
    c["title"] = "commit, \"" + std::to_string(i) + "\"";
    commits.push_back(std::move(c));
  }
  CHECK(commits.size() == 5);

  JsonObjectWriter f;
  f["first"] = commits.slice(0, 2);
  f["last"] = commits.slice(3, 10);
  f["none"] = commits.slice(9, 1);
  JsonObjectWriter inner;
  inner["count"] = 2;
  f["more"] = std::move(inner);
  f["all"] = std::move(commits);
  const json object = parsed(std::move(f).text());
  CHECK(object["first"] == json::array({{{"id", 1}, {"title", "commit, \"1\""}}, {{"id", 2}, {"title", "commit, \"2\""}}}));
  CHECK(object["last"] == json::array({{{"id", 4}, {"title", "commit, \"4\""}}, {{"id", 5}, {"title", "commit, \"5\""}}}));
  CHECK(object["none"] == json::array());
  CHECK(object["more"] == json{{"count", 2}});
  CHECK(object["all"].size() == 5);
}

TEST_CASE("an object writer gives back the JSON text of a value it holds", "[payload][json_writer]") {
  JsonObjectWriter f;
  f["is_pending"] = true;
  f["action"] = "update";
  f["count"] = 3;
  f["action"] = "close";
  CHECK(f.raw("is_pending") == "true");
  CHECK(f.raw("action") == "\"close\"");
  CHECK(f.raw("count") == "3");
  CHECK(f.raw("absent").empty());
}
