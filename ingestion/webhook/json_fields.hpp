#pragma once
// Webhook bodies as JSON: the content-type rules every provider shares, on top of the payload
// helpers (ingestion/payload/json.hpp), which providers use through this header.
#include <expected>
#include <string>
#include <string_view>

#include "ingestion/payload/json.hpp"
#include "ingestion/payload/json_writer.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

using nlohmann::json;
using payload::as_text;
using payload::ascii_lower;
using payload::bool_at;
using payload::compile_pointer;
using payload::find;
using payload::first_line;
using payload::int_at;
using payload::is_token;
using payload::kMaxJsonDepth;
using payload::or_null;
using payload::text_at;
using payload::to_json;
using payload::Value;

// What a provider writes an event's fields with: `f["key"] = value`, written straight as the JSON
// text the journal stores (payload/json_writer.hpp).
using Fields = payload::JsonObjectWriter;
using FieldsArray = payload::JsonArrayWriter;

// [{"count": total - shown}] when not all of a list is shown, else []: a template's
// {{#more_commits}}… and {{count}} more{{/more_commits}}.
FieldsArray more_count(std::size_t total, std::size_t shown);

// A parsed request body: the JSON text and its DOM. Valid while the request it came from lives.
class JsonBody {
 public:
  Value root() const { return document_.root(); }
  // The JSON text (the body, or the decoded `payload` field of a form body): what events keep as `raw`.
  std::string_view text() const { return text_; }

 private:
  friend std::expected<JsonBody, Rejection> parse_json_body(const Request& request);
  std::string decoded_;  // a form body's payload; a JSON body is read in place
  std::string_view text_;
  payload::JsonDocument document_;
};

// The body as JSON. Content-Type must be application/json or */*+json, or
// application/x-www-form-urlencoded with a `payload` field holding the JSON (GitHub's form mode):
// otherwise 415 (cause unsupported_media_type). A body that does not parse (the reason gives line
// and column), is not valid UTF-8 or nests deeper than kMaxJsonDepth is a 400 (cause malformed_json).
std::expected<JsonBody, Rejection> parse_json_body(const Request& request);

// A 400 naming what is wrong (cause e.g. "missing_field").
Rejection bad_request(std::string_view cause, std::string reason);

// The default template of an event a provider does not say by default (the twin of another event,
// an unfinished state): it renders nothing, so a bind without a template of its own says nothing,
// while a bind with its own template still hears the event.
inline constexpr std::string_view kQuietTemplate =
    "{{! not said by default: a bind with a template of its own says it }}";

}  // namespace chatops::ingestion::webhook
