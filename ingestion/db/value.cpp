#include "ingestion/db/value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "core/text/utf8.hpp"

namespace chatops::ingestion::db {

namespace {

constexpr std::array<std::pair<Type, std::string_view>, 8> kTypeNames{{{Type::Null, "null"},
                                                                      {Type::Integer, "integer"},
                                                                      {Type::Float, "float"},
                                                                      {Type::Boolean, "boolean"},
                                                                      {Type::Text, "text"},
                                                                      {Type::Time, "time"},
                                                                      {Type::TimeUtc, "time-utc"},
                                                                      {Type::Json, "json"}}};

std::optional<std::int64_t> parse_integer(std::string_view s) {
  std::int64_t v = 0;
  const auto* end = s.data() + s.size();
  if (s.starts_with('+')) s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || p != end || s.empty()) return std::nullopt;
  return v;
}

// Finite numbers only (JSON has no NaN or infinity).
std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto* end = s.data() + s.size();
  if (s.starts_with('+')) s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || p != end || s.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string cut(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && text::is_continuation_byte(text[end])) --end;
  return std::string(text.substr(0, end)) + "…";
}

bool digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

}  // namespace

std::string_view to_string(Type t) {
  for (const auto& [type, name] : kTypeNames)
    if (type == t) return name;
  return "text";
}

nlohmann::json to_json(const Cell& cell, std::size_t max_text) {
  switch (cell.type) {
    case Type::Null:
      return nullptr;
    case Type::Integer:
      if (auto v = parse_integer(cell.text)) return *v;
      if (auto v = parse_number(cell.text)) return *v;  // an unsigned 64-bit value, say
      break;
    case Type::Float:
      if (auto v = parse_number(cell.text)) return *v;
      break;
    case Type::Boolean:
      if (cell.text == "t" || cell.text == "true" || cell.text == "1") return true;
      if (cell.text == "f" || cell.text == "false" || cell.text == "0") return false;
      break;
    case Type::Time:
    case Type::TimeUtc:
      return iso8601(cell.text, cell.type == Type::TimeUtc);
    case Type::Json:
      if (cell.text.size() <= max_text) {
        auto parsed = nlohmann::json::parse(cell.text, nullptr, false);
        if (!parsed.is_discarded()) return parsed;
      }
      break;
    case Type::Text:
      break;
  }
  return cut(cell.text, max_text);
}

std::string iso8601(std::string_view s, bool utc) {
  // YYYY-MM-DD[ T]HH:MM[:SS[.fraction]][zone]
  if (s.size() < 16 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2) ||
      (s[10] != ' ' && s[10] != 'T') || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2))
    return std::string(s);
  std::size_t at = 16;
  if (at < s.size() && s[at] == ':') {
    if (!digits(s, at + 1, 2)) return std::string(s);
    at += 3;
    if (at < s.size() && s[at] == '.') {
      ++at;
      if (!digits(s, at, 1)) return std::string(s);
      while (digits(s, at, 1)) ++at;
    }
  }
  std::string out(s.substr(0, at));
  out[10] = 'T';
  const std::string_view zone = s.substr(at);
  if (zone.empty()) return utc ? out + "Z" : out;
  if (zone == "Z" || zone == "+00" || zone == "+00:00" || zone == "-00" || zone == "+0000") return out + "Z";
  // ±HH, ±HH:MM, ±HHMM → ±HH:MM
  if ((zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2)) {
    if (zone.size() == 3) return out + std::string(zone) + ":00";
    if (zone.size() == 6 && zone[3] == ':' && digits(zone, 4, 2)) return out + std::string(zone);
    if (zone.size() == 5 && digits(zone, 3, 2))
      return out + std::string(zone.substr(0, 3)) + ":" + std::string(zone.substr(3));
  }
  return std::string(s);
}

std::string encode_cursor(const Cell& mark) { return std::string(to_string(mark.type)) + ":" + mark.text; }

Result<Cell> decode_cursor(std::string_view cursor) {
  const auto colon = cursor.find(':');
  if (colon != std::string_view::npos) {
    const auto name = cursor.substr(0, colon);
    for (const auto& [type, type_name] : kTypeNames)
      if (type_name == name && type != Type::Null) return Cell{type, std::string(cursor.substr(colon + 1))};
  }
  return fail("the saved high-water mark \"" + cut(cursor, 60) +
              "\" is not one a db source writes (<type>:<value>); was the source renamed from another kind?");
}

Cell initial_mark(std::string_view text) {
  if (parse_integer(text)) return {Type::Integer, std::string(text)};
  if (parse_number(text)) return {Type::Float, std::string(text)};
  return {Type::Text, std::string(text)};
}

std::optional<bool> numeric_less(const Cell& a, const Cell& b) {
  auto numeric = [](const Cell& c) { return c.type == Type::Integer || c.type == Type::Float; };
  if (!numeric(a) || !numeric(b)) return std::nullopt;
  if (a.type == Type::Integer && b.type == Type::Integer) {
    const auto x = parse_integer(a.text), y = parse_integer(b.text);
    if (x && y) return *x < *y;
  }
  const auto x = parse_number(a.text), y = parse_number(b.text);
  if (!x || !y) return std::nullopt;
  return *x < *y;
}

}  // namespace chatops::ingestion::db
