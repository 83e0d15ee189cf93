#include "ingestion/webhook/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "core/text/utf8.hpp"

namespace chatops::ingestion::webhook {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value of `name` in an application/x-www-form-urlencoded body.
std::optional<std::string> form_field(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    const auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? std::string{} : url_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

Rejection unsupported(std::string reason) { return Rejection{415, "unsupported_media_type", std::move(reason)}; }

}  // namespace

Rejection bad_request(std::string_view cause, std::string reason) {
  return Rejection{400, std::string(cause), std::move(reason)};
}

std::expected<JsonBody, Rejection> parse_json_body(const Request& request) {
  const auto content_type = request.header("Content-Type");
  if (!content_type) return std::unexpected(unsupported("missing Content-Type (expected application/json)"));
  const std::string media = ascii_lower(trim(std::string_view(*content_type).substr(0, content_type->find(';'))));

  JsonBody body;
  const std::string* text = &request.body;
  if (media == "application/x-www-form-urlencoded") {
    auto payload = form_field(request.body, "payload");
    if (!payload) return std::unexpected(unsupported("form body without a payload field"));
    body.decoded_ = std::move(*payload);
    text = &body.decoded_;
  } else if (media != "application/json" && !media.ends_with("+json")) {
    return std::unexpected(unsupported("Content-Type " + media + " is not JSON"));
  }
  body.text_ = *text;
  // Read in place when the text has simdjson's padding to spare (the HTTP server leaves it).
  auto document = payload::parse_json(*text);
  if (!document) return std::unexpected(bad_request("malformed_json", std::move(document.error())));
  body.document_ = std::move(*document);
  return body;
}

FieldsArray more_count(std::size_t total, std::size_t shown) {
  FieldsArray more;
  if (total <= shown) return more;
  Fields count;
  count["count"] = total - shown;
  more.push_back(std::move(count));
  return more;
}

}  // namespace chatops::ingestion::webhook
