#pragma once
// The values a database row holds, as every engine hands them over: a type and the engine's own
// text for it. Fields get typed JSON (integers, floats, booleans, text, timestamps in ISO 8601,
// JSON documents, NULL as null); the high-water mark keeps the engine's text, so that it is bound
// back exactly as the engine wrote it.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace chatops::ingestion::db {

enum class Type {
  Null,
  Integer,  // decimal digits, optionally signed
  Float,    // a decimal number ("1.5", "1e+20", "NaN")
  Boolean,  // t/f, true/false, 1/0
  Text,
  Time,     // a date or timestamp without a zone (or with the one written in the text)
  TimeUtc,  // a timestamp the engine gives in UTC without saying so (MariaDB TIMESTAMP)
  Json,     // a JSON document (PostgreSQL json/jsonb)
};
std::string_view to_string(Type t);

struct Cell {
  Type type = Type::Null;
  std::string text;  // the engine's text; empty for Null
  bool operator==(const Cell&) const = default;
};

// The value for an event's fields. Text longer than `max_text` bytes is cut on a UTF-8 boundary
// and ends with "…"; a number that does not fit (an integer beyond 64 bits, NaN) stays text.
nlohmann::json to_json(const Cell& cell, std::size_t max_text = std::string::npos);

// "2024-05-01 12:00:00.25+00" → "2024-05-01T12:00:00.25Z", "2024-05-01 12:00:00+05:30" →
// "2024-05-01T12:00:00+05:30", "2024-05-01 12:00:00" → "2024-05-01T12:00:00" (no zone: none is
// invented; `utc` appends Z). Text that is not a date and time ("2024-05-01", "infinity") is
// returned unchanged.
std::string iso8601(std::string_view text, bool utc = false);

// The high-water mark as the journal keeps it: "<type>:<text>", e.g. "integer:42",
// "time:2024-05-01 12:00:00+00".
std::string encode_cursor(const Cell& mark);
// The mark of a cursor; an error names what is wrong (the cursor was not written by this kind).
Result<Cell> decode_cursor(std::string_view cursor);

// The mark before the first row, from the `initial:` text: an integer when it reads as one, a
// float when it reads as a number, else text (a date, a name).
Cell initial_mark(std::string_view text);

// Whether `a` sorts before `b` when both are numbers (nullopt otherwise: text and times sort by
// the database's collation and format, which only the database knows).
std::optional<bool> numeric_less(const Cell& a, const Cell& b);

}  // namespace chatops::ingestion::db
