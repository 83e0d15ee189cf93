#include "ingestion/db/fields_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "ingestion/db/value.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::db {

namespace {

// The common cases without an allocation; the rest as to_json() makes them.
void append_value(std::string& out, const Cell& cell, std::size_t max_text) {
  switch (cell.type) {
    case Type::Null:
      out += "null";
      return;
    case Type::Integer: {
      std::string_view digits = cell.text;
      if (digits.starts_with('+')) digits.remove_prefix(1);
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec == std::errc{} && end == digits.data() + digits.size() && !digits.empty()) {
        char buffer[24];
        out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
        return;
      }
      break;
    }
    case Type::Text:
      if (cell.text.size() <= max_text) return payload::append_json_string(out, cell.text);
      break;
    case Type::Time:
    case Type::TimeUtc:
      return payload::append_json_string(out, iso8601(cell.text, cell.type == Type::TimeUtc));
    default:
      break;
  }
  payload::append_json(out, to_json(cell, max_text));
}

}  // namespace

FieldsWriter::FieldsWriter(const std::vector<std::string>& columns, std::size_t max_text) : max_text_(max_text) {
  for (std::size_t i = 0; i < columns.size(); ++i) order_.push_back({i, ""});
  std::ranges::sort(order_, {}, [&](const Column& c) -> const std::string& { return columns[c.index]; });
  for (auto& c : order_) {
    payload::append_json(c.prefix, columns[c.index]);
    c.prefix += ':';
  }
}

std::string FieldsWriter::write(const Row& row) const {
  std::string out;
  out.reserve(64 * order_.size());
  out += '{';
  for (const auto& c : order_) {
    if (&c != &order_.front()) out += ',';
    out += c.prefix;
    append_value(out, row[c.index], max_text_);
  }
  out += '}';
  return out;
}

}  // namespace chatops::ingestion::db
