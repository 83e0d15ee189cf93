#include "ingestion/payload/json.hpp"

#include <algorithm>
#include <cctype>

#include "core/text/utf8.hpp"

namespace chatops::ingestion::payload {

namespace {

// Why simdjson refused a text, with the line and column that nlohmann's parser reports for it (only
// on this error path).
std::string malformed_reason(const std::string& text, simdjson::error_code error) {
  try {
    const json parsed = json::parse(text);
    (void)parsed;
  } catch (const json::parse_error& e) {
    return std::string("malformed JSON: ") + e.what();
  }
  // Valid JSON that simdjson cannot represent, e.g. an integer beyond 64 bits.
  return std::string("unsupported JSON: ") + simdjson::error_message(error);
}

// The thread's spare parser: each document takes it and gives it back when done. One that grew past
// this for a large document is dropped instead, so that it does not hold the memory.
constexpr std::size_t kKeptParserCapacity = 1024 * 1024;
thread_local std::unique_ptr<simdjson::dom::parser> spare_parser;

std::unique_ptr<simdjson::dom::parser> take_parser() {
  if (spare_parser) return std::move(spare_parser);
  auto parser = std::make_unique<simdjson::dom::parser>();
  if (parser->allocate(4096, kMaxJsonDepth)) return nullptr;  // out of memory
  return parser;
}

}  // namespace

JsonDocument::~JsonDocument() {
  if (parser_ && !spare_parser && parser_->capacity() <= kKeptParserCapacity) spare_parser = std::move(parser_);
}

std::expected<JsonDocument, std::string> parse_json(const std::string& text) {
  JsonDocument doc;
  doc.parser_ = take_parser();
  if (!doc.parser_) return std::unexpected("out of memory");
  const auto error = doc.parser_->parse(text).get(doc.root_);
  if (error == simdjson::DEPTH_ERROR) return std::unexpected("JSON nested deeper than " + std::to_string(kMaxJsonDepth));
  if (error) return std::unexpected(malformed_reason(text, error));
  return doc;
}

Result<std::string> compile_pointer(const std::string& pointer) {
  try {
    (void)json::json_pointer(pointer);  // the syntax check only; lookups go through simdjson
    return pointer;
  } catch (const json::exception&) {
    return fail("\"" + pointer + "\" is not a JSON pointer (RFC 6901, e.g. /event/id)");
  }
}

std::optional<Value> find(Value v, std::string_view pointer) {
  Value found;
  if (v.at_pointer(pointer).get(found)) return std::nullopt;
  return found;
}

std::string as_text(std::optional<Value> value, std::string_view fallback) {
  if (!value) return std::string(fallback);
  switch (value->type()) {
    case simdjson::dom::element_type::STRING: return std::string(value->get_string().value_unsafe());
    case simdjson::dom::element_type::INT64: return std::to_string(value->get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64: return std::to_string(value->get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE: return json(value->get_double().value_unsafe()).dump();
    case simdjson::dom::element_type::BOOL: return value->get_bool().value_unsafe() ? "true" : "false";
    default: return std::string(fallback);
  }
}

std::string text_at(Value v, std::string_view pointer, std::string_view fallback) {
  return as_text(find(v, pointer), fallback);
}

std::int64_t int_at(Value v, std::string_view pointer, std::int64_t fallback) {
  const auto found = find(v, pointer);
  std::int64_t n;
  return found && found->is_int64() && !found->get_int64().get(n) ? n : fallback;
}

bool bool_at(Value v, std::string_view pointer, bool fallback) {
  const auto found = find(v, pointer);
  bool b;
  return found && found->is_bool() && !found->get_bool().get(b) ? b : fallback;
}

json to_json(Value v) {
  using Type = simdjson::dom::element_type;
  switch (v.type()) {
    case Type::ARRAY: {
      json out = json::array();
      for (Value item : v.get_array()) out.push_back(to_json(item));
      return out;
    }
    case Type::OBJECT: {
      json out = json::object();
      for (auto [key, value] : v.get_object()) out[std::string(key)] = to_json(value);
      return out;
    }
    case Type::STRING: return std::string(v.get_string().value_unsafe());
    case Type::INT64: return v.get_int64().value_unsafe();
    case Type::UINT64: return v.get_uint64().value_unsafe();
    case Type::DOUBLE: return v.get_double().value_unsafe();
    case Type::BOOL: return v.get_bool().value_unsafe();
    case Type::NULL_VALUE: return nullptr;
  }
  return nullptr;
}

void append_json(std::string& out, const json& value) {
  nlohmann::detail::serializer<json> serializer(nlohmann::detail::output_adapter<char>(out), ' ',
                                                json::error_handler_t::replace);
  serializer.dump(value, false, false, 0);
}

void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::ranges::all_of(text, [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (!plain) return append_json(out, json(text));
  out += '"';
  out += text;
  out += '"';
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

}  // namespace chatops::ingestion::payload
