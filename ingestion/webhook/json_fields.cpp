#include "ingestion/webhook/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "core/text/utf8.hpp"

namespace chatops::ingestion::webhook {

namespace {

// Nesting depth of a JSON text, counting brackets outside strings (a linear scan, no recursion).
bool nests_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

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

std::expected<json, Rejection> parse_json_body(const Request& request) {
  const auto content_type = request.header("Content-Type");
  if (!content_type) return std::unexpected(unsupported("missing Content-Type (expected application/json)"));
  std::string media = ascii_lower(content_type->substr(0, content_type->find(';')));
  media.erase(0, media.find_first_not_of(" \t"));
  media.erase(media.find_last_not_of(" \t") + 1);

  std::string form_payload;
  std::string_view text = request.body;
  if (media == "application/x-www-form-urlencoded") {
    auto payload = form_field(request.body, "payload");
    if (!payload) return std::unexpected(unsupported("form body without a payload field"));
    form_payload = std::move(*payload);
    text = form_payload;
  } else if (media != "application/json" && !media.ends_with("+json")) {
    return std::unexpected(unsupported("Content-Type " + media + " is not JSON"));
  }

  if (nests_deeper_than(text, kMaxJsonDepth))
    return std::unexpected(bad_request("malformed_json", "JSON nested deeper than " + std::to_string(kMaxJsonDepth)));
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return std::unexpected(bad_request("malformed_json", std::string("malformed JSON: ") + e.what()));
  }
}

Result<json::json_pointer> compile_pointer(const std::string& pointer) {
  try {
    return json::json_pointer(pointer);
  } catch (const json::exception&) {
    return fail("\"" + pointer + "\" is not a JSON pointer (RFC 6901, e.g. /event/id)");
  }
}

const json* find(const json& j, const json::json_pointer& pointer) {
  try {
    return j.contains(pointer) ? &j.at(pointer) : nullptr;
  } catch (const json::exception&) {  // e.g. "/items/x" on an array
    return nullptr;
  }
}

const json* find(const json& j, std::string_view pointer) {
  auto p = compile_pointer(std::string(pointer));
  return p ? find(j, *p) : nullptr;
}

std::string as_text(const json* value, std::string_view fallback) {
  if (!value) return std::string(fallback);
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number() || value->is_boolean()) return value->dump();
  return std::string(fallback);
}

std::string text_at(const json& j, std::string_view pointer, std::string_view fallback) {
  return as_text(find(j, pointer), fallback);
}

std::int64_t int_at(const json& j, std::string_view pointer, std::int64_t fallback) {
  const json* v = find(j, pointer);
  return v && v->is_number_integer() ? v->get<std::int64_t>() : fallback;
}

bool bool_at(const json& j, std::string_view pointer, bool fallback) {
  const json* v = find(j, pointer);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

std::string first_line(std::string_view text, std::size_t max) {
  text = text.substr(0, text.find_first_of("\r\n"));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  // Count characters, not bytes: a cut never splits a UTF-8 sequence.
  std::size_t chars = 0, cut = text.size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text::is_continuation_byte(text[i])) continue;
    if (chars == max - 1) cut = i;
    if (++chars > max) return std::string(text.substr(0, cut)) + "…";
  }
  return std::string(text);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c > ' ' && c < 0x7f; });
}

nlohmann::json or_null(std::string text) { return text.empty() ? nlohmann::json() : nlohmann::json(std::move(text)); }

}  // namespace chatops::ingestion::webhook
