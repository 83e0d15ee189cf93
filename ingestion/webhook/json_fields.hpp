#pragma once
// Reading untrusted webhook payloads: the body as JSON (with the content-type rules every provider
// shares), and lookups that never throw (absent, null or wrongly typed values give the fallback).
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

using nlohmann::json;

// Deeper documents are refused: copying or printing them would recurse that deep.
inline constexpr std::size_t kMaxJsonDepth = 128;

// The body as JSON. Content-Type must be application/json or */*+json, or
// application/x-www-form-urlencoded with a `payload` field holding the JSON (GitHub's form mode):
// otherwise 415 (cause unsupported_media_type). A body that does not parse, is not valid UTF-8 or
// nests deeper than kMaxJsonDepth is a 400 (cause malformed_json).
std::expected<json, Rejection> parse_json_body(const Request& request);

// A 400 naming what is wrong (cause e.g. "missing_field").
Rejection bad_request(std::string_view cause, std::string reason);

// A JSON pointer checked once (config time); a malformed one is an error naming it.
Result<json::json_pointer> compile_pointer(const std::string& pointer);

// The value at `pointer`, or nullptr when absent (never throws, also on a malformed pointer).
const json* find(const json& j, const json::json_pointer& pointer);
const json* find(const json& j, std::string_view pointer);

// Strings as they are, numbers and booleans as JSON text; otherwise `fallback`.
std::string text_at(const json& j, std::string_view pointer, std::string_view fallback = "");
std::string as_text(const json* value, std::string_view fallback = "");
std::int64_t int_at(const json& j, std::string_view pointer, std::int64_t fallback = 0);
bool bool_at(const json& j, std::string_view pointer, bool fallback = false);

// The first line of `text`, cut to at most `max` characters (UTF-8 aware) ending with "…".
std::string first_line(std::string_view text, std::size_t max = 70);

// Empty text as null, which templates treat as false in {{#section}}s.
nlohmann::json or_null(std::string text);

std::string ascii_lower(std::string_view s);

// Printable ASCII without spaces (for values taken from headers into topics and keys).
bool is_token(std::string_view s);

}  // namespace chatops::ingestion::webhook
