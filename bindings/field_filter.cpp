#include "bindings/field_filter.hpp"

#include "bindings/mask.hpp"
#include "bindings/template.hpp"

namespace chatops::bindings {
namespace {

// "a.b" → "/a/b", escaping what JSON pointers treat specially.
std::string dotted_to_pointer(const std::string& dotted) {
  std::string pointer = "/";
  for (const char c : dotted) {
    if (c == '.') pointer += '/';
    else if (c == '~') pointer += "~0";
    else if (c == '/') pointer += "~1";
    else pointer += c;
  }
  return pointer;
}

}  // namespace

Result<FieldFilter> FieldFilter::parse(const std::string& path, std::vector<std::string> patterns) {
  if (path.empty()) return fail("empty field path");
  if (patterns.empty()) return fail("filter on \"" + path + "\" lists no values");
  FieldFilter filter;
  filter.path_ = path;
  filter.patterns_ = std::move(patterns);
  try {
    filter.pointer_ = nlohmann::json::json_pointer(path.starts_with('/') ? path : dotted_to_pointer(path));
  } catch (const nlohmann::json::exception& e) {
    return fail("invalid field path \"" + path + "\": " + e.what());
  }
  return filter;
}

bool FieldFilter::matches_scalar(const nlohmann::json& value) const {
  if (value.is_null() || value.is_object() || value.is_array()) return false;
  const auto text = field_text(value);
  const MaskRules rules{.eggdrop_wildcards = false, .casemapping = text::CaseMapping::Ascii};
  for (const auto& pattern : patterns_)
    if (mask_matches(pattern, text, rules)) return true;
  return false;
}

bool FieldFilter::matches(const nlohmann::json& fields) const {
  const nlohmann::json* value = nullptr;
  try {
    if (fields.contains(pointer_)) value = &fields.at(pointer_);
  } catch (const nlohmann::json::exception&) {
    // An index such as "01" into an array: no such field.
  }
  if (!value) return false;
  if (!value->is_array()) return matches_scalar(*value);
  for (const auto& element : *value)
    if (matches_scalar(element)) return true;
  return false;
}

}  // namespace chatops::bindings
