#include "bindings/field_filter.hpp"

#include <charconv>
#include <cmath>

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

// A JSON number, or a text that is exactly one (surrounding blanks allowed); NaN otherwise.
double number_of(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nan("");
  const auto& text = value.get_ref<const std::string&>();
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nan("");
  const auto last = text.find_last_not_of(" \t") + 1;
  const char* begin = text.data() + first;
  if (*begin == '+') ++begin;  // from_chars takes no sign but '-'
  double number = 0;
  const auto [end, ec] = std::from_chars(begin, text.data() + last, number);
  if (ec != std::errc() || end != text.data() + last || !std::isfinite(number)) return std::nan("");
  return number;
}

}  // namespace

Result<FieldFilter> FieldFilter::at(const std::string& path) {
  if (path.empty()) return fail("empty field path");
  FieldFilter filter;
  filter.path_ = path;
  try {
    filter.pointer_ = nlohmann::json::json_pointer(path.starts_with('/') ? path : dotted_to_pointer(path));
  } catch (const nlohmann::json::exception& e) {
    return fail("invalid field path \"" + path + "\": " + e.what());
  }
  return filter;
}

Result<FieldFilter> FieldFilter::parse(const std::string& path, std::vector<std::string> patterns) {
  if (patterns.empty() && !path.empty()) return fail("filter on \"" + path + "\" lists no values");
  auto filter = at(path);
  if (filter) filter->patterns_ = std::move(patterns);
  return filter;
}

Result<FieldFilter> FieldFilter::parse(const std::string& path, std::vector<Condition> comparisons) {
  if (comparisons.empty() && !path.empty()) return fail("filter on \"" + path + "\" has no comparison");
  auto filter = at(path);
  if (filter) filter->comparisons_ = std::move(comparisons);
  return filter;
}

bool FieldFilter::matches_number(const nlohmann::json& value) const {
  const double number = number_of(value);
  for (const auto& comparison : comparisons_)
    if (!comparison.holds(number)) return false;  // NaN holds for none
  return true;
}

bool FieldFilter::matches_scalar(const nlohmann::json& value) const {
  if (value.is_null() || value.is_object() || value.is_array()) return false;
  if (!comparisons_.empty()) return matches_number(value);
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
