// What a watched file holds, per format, and what a malformed or hostile one gives: an error with
// its line, never an exception, within bounded depth and size.
#include <catch2/catch.hpp>

#include "ingestion/file/formats.hpp"

using namespace chatops::ingestion::file;
using nlohmann::json;

namespace {

Content parsed(const std::string& text, Format f, ContentOptions o = {}) { return parse_content(text, f, o); }

}  // namespace

TEST_CASE("file formats are chosen by extension, text otherwise", "[file]") {
  CHECK(format_of_path("/a/b.json") == Format::Json);
  CHECK(format_of_path("/a/b.YML") == Format::Yaml);
  CHECK(format_of_path("/a/b.yaml") == Format::Yaml);
  CHECK(format_of_path("/a/b.csv") == Format::Csv);
  CHECK(format_of_path("/a/b.xml") == Format::Xml);
  CHECK(format_of_path("/a/b.txt") == Format::Text);
  CHECK(format_of_path("/a.d/README") == Format::Text);
  CHECK(format_of_path("/a/b.text") == Format::Text);
}

TEST_CASE("JSON and YAML files become their values, a malformed one an error with its line", "[file]") {
  CHECK(parsed(R"({"a": [1, "x"], "b": {"c": true}})", Format::Json).value() ==
        json::parse(R"({"a": [1, "x"], "b": {"c": true}})"));
  const auto bad = parsed("{\n  \"a\": 1,\n  \"b\": oops\n}", Format::Json);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().line == 3);
  const auto yaml = parsed("service: api\nversion: '2'\nreplicas: 3\nratio: 0.5\non: true\nnone: ~\nlist: [a, b]\n",
                           Format::Yaml);
  CHECK(yaml.value() == json::parse(R"({"service": "api", "version": "2", "replicas": 3, "ratio": 0.5, "on": true,
                                        "none": null, "list": ["a", "b"]})"));
  const auto bad_yaml = parsed("a: 1\nb: [1, 2\nc: 3\n", Format::Yaml);
  REQUIRE_FALSE(bad_yaml);
  CHECK(bad_yaml.error().line >= 2);
  CHECK_THAT(bad_yaml.error().message, Catch::Contains("malformed YAML"));
}

TEST_CASE("CSV files with a header row: quoting, embedded newlines and delimiters", "[file]") {
  const auto rows = parsed("host,note\nweb1,\"says \"\"hi\"\", twice\"\nweb2,\"two\nlines\"\n", Format::Csv);
  REQUIRE(rows);
  CHECK(rows.value() == json::parse(R"([{"host": "web1", "note": "says \"hi\", twice"},
                                        {"host": "web2", "note": "two\nlines"}])"));
  const auto semicolons = parsed("a;b\n1;2\n", Format::Csv, ContentOptions{.csv_delimiter = ';'});
  CHECK(semicolons.value() == json::parse(R"([{"a": "1", "b": "2"}])"));
  const auto short_row = parsed("a,b\n1,2\n3\n4,5\n", Format::Csv);
  REQUIRE_FALSE(short_row);
  CHECK(short_row.error().line == 3);
  CHECK_THAT(short_row.error().message, Catch::Contains("1 fields, the header has 2"));
  const auto stray_quote = parsed("a,b\n1,2\n3,x\"y\n", Format::Csv);
  REQUIRE_FALSE(stray_quote);
  CHECK(stray_quote.error().line == 3);
  const auto unclosed = parsed("a,b\n1,\"2\n3,4\n", Format::Csv);
  REQUIRE_FALSE(unclosed);
  CHECK_THAT(unclosed.error().message, Catch::Contains("not closed"));
  CHECK_FALSE(parsed("", Format::Csv));
}

TEST_CASE("XML files: attributes as @name, text, repeated elements as lists", "[file]") {
  const auto doc = parsed(R"(<deploy env="prod"><service name="api">v2</service><host>a</host><host>b</host>
                             <host>c</host><empty/></deploy>)",
                          Format::Xml);
  REQUIRE(doc);
  CHECK(doc.value() == json::parse(R"({"deploy": {"@env": "prod", "service": {"@name": "api", "#text": "v2"},
                                       "host": ["a", "b", "c"], "empty": ""}})"));
  const auto bad = parsed("<a>\n<b>\n</a>\n", Format::Xml);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().line == 3);
  CHECK_THAT(bad.error().message, Catch::Contains("malformed XML"));
}

TEST_CASE("hostile files: a billion laughs, deep nesting and too many values are refused or inert", "[file][hostile]") {
  std::string laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
  for (int i = 1; i < 10; ++i)
    laughs += "<!ENTITY lol" + std::to_string(i) + " \"" + [&] {
      std::string s;
      for (int k = 0; k < 10; ++k) s += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
      return s;
    }() + "\">\n";
  laughs += "]>\n<lolz>&lol9;</lolz>\n";
  const auto xml = parsed(laughs, Format::Xml);
  // pugixml never expands declared entities: the text stays small (or the reference is refused).
  if (xml) CHECK(xml->dump().size() < 1000);

  std::string deep_xml;
  for (int i = 0; i < 1000; ++i) deep_xml += "<a>";
  for (int i = 0; i < 1000; ++i) deep_xml += "</a>";
  const auto deep = parsed(deep_xml, Format::Xml);
  REQUIRE_FALSE(deep);
  CHECK_THAT(deep.error().message, Catch::Contains("deeper than"));

  const auto deep_json = parsed(std::string(5000, '[') + std::string(5000, ']'), Format::Json);
  REQUIRE_FALSE(deep_json);
  CHECK_THAT(deep_json.error().message, Catch::Contains("deeper than"));

  const auto deep_yaml = parsed(std::string(500, '[') + std::string(500, ']'), Format::Yaml);
  REQUIRE_FALSE(deep_yaml);

  std::string aliases = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    aliases += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) +
               ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
               char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
  const auto laughs_yaml = parsed(aliases, Format::Yaml);
  REQUIRE_FALSE(laughs_yaml);
  CHECK_THAT(laughs_yaml.error().message, Catch::Contains("values"));

  std::string many = "a\n";
  for (int i = 0; i < 2000; ++i) many += "x\n";
  CHECK_FALSE(parsed(many, Format::Csv, ContentOptions{.values = 1000}));
  CHECK(parsed(many, Format::Csv, ContentOptions{.values = 5000}));
}

TEST_CASE("plain text files are their text", "[file]") {
  CHECK(parsed("hello\nworld\n", Format::Text).value() == "hello\nworld\n");
}
