#pragma once
// Reading untrusted webhook payloads: the body as JSON (with the content-type rules every provider
// shares), and lookups that never throw (absent, null or wrongly typed values give the fallback).
//
// Payloads are parsed with simdjson into a read-only DOM: a 7.7 KB GitHub push takes about 2 µs,
// against about 60 µs to build (and free) an nlohmann tree, which was most of the receiver's CPU.
// Providers read the few values they need from it and build their (small) nlohmann `fields`; the
// payload itself goes to the journal as the text that was received, never re-serialised.
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
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

using nlohmann::json;

// A value in a parsed payload; valid while the JsonBody it came from lives.
using Value = simdjson::dom::element;

// Deeper documents are refused: copying or printing them would recurse that deep.
inline constexpr std::size_t kMaxJsonDepth = 128;

// A parsed request body: the JSON text and its DOM.
class JsonBody {
 public:
  Value root() const { return root_; }
  // The JSON text (the body, or the decoded `payload` field of a form body): what events keep as `raw`.
  const std::string& text() const { return text_; }

 private:
  friend std::expected<JsonBody, Rejection> parse_json_body(const Request& request);
  std::string text_;
  std::unique_ptr<simdjson::dom::parser> parser_;  // owns the DOM; a pointer so moves keep it in place
  Value root_;
};

// The body as JSON. Content-Type must be application/json or */*+json, or
// application/x-www-form-urlencoded with a `payload` field holding the JSON (GitHub's form mode):
// otherwise 415 (cause unsupported_media_type). A body that does not parse (the reason gives line
// and column), is not valid UTF-8 or nests deeper than kMaxJsonDepth is a 400 (cause malformed_json).
std::expected<JsonBody, Rejection> parse_json_body(const Request& request);

// A 400 naming what is wrong (cause e.g. "missing_field").
Rejection bad_request(std::string_view cause, std::string reason);

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

// A copy of a value as nlohmann::json, for subtrees a provider puts into an event's fields.
json to_json(Value v);

// The first line of `text`, cut to at most `max` characters (UTF-8 aware) ending with "…".
std::string first_line(std::string_view text, std::size_t max = 70);

// Empty text as null, which templates treat as false in {{#section}}s.
nlohmann::json or_null(std::string text);

// The default template of an event a provider does not say by default (the twin of another event,
// an unfinished state): it renders nothing, so a bind without a template of its own says nothing,
// while a bind with its own template still hears the event.
inline constexpr std::string_view kQuietTemplate =
    "{{! not said by default: a bind with a template of its own says it }}";

std::string ascii_lower(std::string_view s);

// Printable ASCII without spaces (for values taken from headers into topics and keys).
bool is_token(std::string_view s);

}  // namespace chatops::ingestion::webhook
