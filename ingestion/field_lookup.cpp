#include "ingestion/field_lookup.hpp"

#include "ingestion/payload/json.hpp"

namespace chatops::ingestion {

namespace {
// Text that does not parse is {}, as EventFields::object() makes it.
std::optional<payload::Value> member(const std::optional<payload::JsonDocument>& document, std::string_view key) {
  if (!document || !document->root().is_object()) return std::nullopt;
  auto found = document->root()[key];
  if (found.error()) return std::nullopt;
  return found.value_unsafe();
}

std::optional<payload::JsonDocument> parsed(const EventFields& fields) {
  auto document = payload::parse_json(fields.text());
  if (!document) return std::nullopt;
  return std::move(*document);
}

const nlohmann::json* object_member(const EventFields& fields, std::string_view key) {
  const auto& object = fields.object();
  if (!object.is_object()) return nullptr;
  const auto found = object.find(std::string(key));
  return found == object.end() ? nullptr : &*found;
}
}  // namespace

std::vector<std::optional<std::string>> field_strings(const EventFields& fields,
                                                      std::initializer_list<std::string_view> keys) {
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  if (!fields.holds_text()) {
    for (const auto key : keys) {
      const auto* value = object_member(fields, key);
      out.push_back(value && value->is_string() ? std::optional(value->get<std::string>()) : std::nullopt);
    }
    return out;
  }
  const auto document = parsed(fields);
  for (const auto key : keys) {
    const auto value = member(document, key);
    std::string_view text;
    out.push_back(value && !value->get(text) ? std::optional<std::string>(text) : std::nullopt);
  }
  return out;
}

std::optional<bool> field_boolean(const EventFields& fields, std::string_view key) {
  if (!fields.holds_text()) {
    const auto* value = object_member(fields, key);
    return value && value->is_boolean() ? std::optional(value->get<bool>()) : std::nullopt;
  }
  const auto value = member(parsed(fields), key);
  bool flag = false;
  if (!value || value->get(flag)) return std::nullopt;
  return flag;
}

}  // namespace chatops::ingestion
