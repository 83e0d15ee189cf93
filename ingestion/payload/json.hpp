#pragma once
// Reading untrusted JSON payloads (webhook bodies, API responses, stream messages): parsing with
// simdjson into a read-only DOM, and lookups that never throw (absent, null or wrongly typed values
// give the fallback).
//
// simdjson's DOM of a 7.7 KB GitHub push takes about 2 µs, against about 60 µs to build (and free)
// an nlohmann tree. Sources read the few values they need from it and write their (small) `fields`
// (as text with json_writer.hpp, or as an nlohmann object); the payload itself is kept as the text
// that was received, never re-serialised.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "core/error.hpp"

namespace chatops::ingestion::payload {

using nlohmann::json;

// A value in a parsed document; valid while the JsonDocument it came from lives.
using Value = simdjson::dom::element;

// Deeper documents are refused: copying or printing them would recurse that deep.
inline constexpr std::size_t kMaxJsonDepth = 128;

// A parsed document. Its DOM is self-contained (strings copied): the text may go.
class JsonDocument {
 public:
  JsonDocument() = default;
  JsonDocument(JsonDocument&&) noexcept = default;
  JsonDocument& operator=(JsonDocument&&) noexcept = default;
  ~JsonDocument();  // gives the parser back to its thread for the next document

  Value root() const { return root_; }

 private:
  friend std::expected<JsonDocument, std::string> parse_json(const std::string& text);
  // Owns the DOM. Taken from the thread's spare one: building a parser (its buffers sized for the
  // document) for every request was most of the HTTP loop's allocations.
  std::unique_ptr<simdjson::dom::parser> parser_;
  Value root_;
};

// Parses `text` (read in place when it has simdjson's 64 bytes of padding to spare in its
// capacity). Errors say what is wrong, with line and column for malformed JSON, invalid UTF-8, or
// nesting deeper than kMaxJsonDepth.
std::expected<JsonDocument, std::string> parse_json(const std::string& text);

// A JSON pointer (RFC 6901, e.g. /event/id) checked once, at config time: the pointer itself, or
// an error naming it.
Result<std::string> compile_pointer(const std::string& pointer);

// The value at `pointer`, or nullopt when absent (never throws, also on a malformed pointer or an
// index that is not a number).
std::optional<Value> find(Value v, std::string_view pointer);

// Strings as they are, numbers and booleans as JSON text; otherwise `fallback`.
std::string as_text(std::optional<Value> value, std::string_view fallback = "");
std::string text_at(Value v, std::string_view pointer, std::string_view fallback = "");
std::int64_t int_at(Value v, std::string_view pointer, std::int64_t fallback = 0);
bool bool_at(Value v, std::string_view pointer, bool fallback = false);

// A copy of a value as nlohmann::json, for subtrees a source puts into an event's fields.
json to_json(Value v);

// JSON text appended to `out`, as nlohmann::json's dump() writes it (invalid UTF-8 replaced by
// U+FFFD): for sources that write an event's fields as text instead of building the object.
void append_json(std::string& out, const json& value);
// `text` as a JSON string, without an allocation of its own when it is printable ASCII without
// quotes or backslashes.
void append_json_string(std::string& out, std::string_view text);

// The first line of `text`, cut to at most `max` characters (UTF-8 aware) ending with "…".
std::string first_line(std::string_view text, std::size_t max = 70);

// Empty text as null, which templates treat as false in {{#section}}s.
nlohmann::json or_null(std::string text);

std::string ascii_lower(std::string_view s);

// Printable ASCII without spaces (for values taken from headers into topics and keys).
bool is_token(std::string_view s);

}  // namespace chatops::ingestion::payload
