// A row's fields written straight to JSON text are, byte for byte, what building the object and
// dumping it gave (the journal's form before).
#include <catch2/catch.hpp>

#include "ingestion/db/fields_writer.hpp"
#include "ingestion/db/value.hpp"

using namespace chatops::ingestion::db;

namespace {

std::string dumped_object(const std::vector<std::string>& columns, const Row& row, std::size_t max_text) {
  nlohmann::json object = nlohmann::json::object();
  for (std::size_t i = 0; i < columns.size(); ++i) object[columns[i]] = to_json(row[i], max_text);
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("Fields written straight to JSON equal the dumped object, keys sorted, every type", "[db][value]") {
  const std::vector<std::string> columns = {"id", "name", "at", "x", "ok", "doc", "gone", "big", "Zed", "é", "q\"uote"};
  const std::vector<Row> rows = {
      {{Type::Integer, "42"}, {Type::Text, "plain text"}, {Type::Time, "2024-05-01 12:00:00.25+00"},
       {Type::Float, "0.1"}, {Type::Boolean, "t"}, {Type::Json, R"({"b": [1, 2.5, null], "a": "x"})"},
       {Type::Null, ""}, {Type::Integer, "18446744073709551615"}, {Type::Text, "tab\there \"quoted\" back\\slash"},
       {Type::Text, "héllo ✓"}, {Type::TimeUtc, "2024-05-01 12:00:00"}},
      {{Type::Integer, "+7"}, {Type::Text, "caf\xe9 not UTF-8"}, {Type::Time, "infinity"}, {Type::Float, "NaN"},
       {Type::Boolean, "maybe"}, {Type::Json, "{not json"}, {Type::Text, std::string("nul\0byte", 8)},
       {Type::Integer, "-9223372036854775808"}, {Type::Text, "line\r\nbreak\x01"}, {Type::Text, ""},
       {Type::Float, "1e+20"}},
      {{Type::Integer, "12x"}, {Type::Text, std::string(100, 'a')}, {Type::TimeUtc, "2024-05-01"},
       {Type::Float, "3"}, {Type::Boolean, "0"}, {Type::Json, R"("just a string")"}, {Type::Text, "ééééé"},
       {Type::Integer, "0"}, {Type::Text, "\x7f"}, {Type::Json, std::string(100, '1')}, {Type::Text, "x"}},
  };
  for (std::size_t max_text : {std::size_t{8}, std::size_t{64 * 1024}}) {
    const FieldsWriter writer(columns, max_text);
    for (const auto& row : rows) {
      INFO("max_text " << max_text);
      CHECK(writer.write(row) == dumped_object(columns, row, max_text));
    }
  }
}

TEST_CASE("Fields of a query without columns are an empty object", "[db][value]") {
  CHECK(FieldsWriter({}, 100).write({}) == "{}");
}
