#include "bindings/mask.hpp"

#include "core/text/wildcard.hpp"

namespace chatops::bindings {

MaskRules mask_rules(BindType type, text::CaseMapping server) {
  if (is_irc(type)) return {.eggdrop_wildcards = true, .casemapping = server};
  return {.eggdrop_wildcards = false, .casemapping = std::nullopt};
}

MaskRules hostmask_rules(text::CaseMapping server) { return {.eggdrop_wildcards = false, .casemapping = server}; }

bool has_wildcards(std::string_view mask, const MaskRules& rules) {
  // A backslash may escape a wildcard, so a mask holding one goes the wildcard way too.
  return mask.find_first_of(rules.eggdrop_wildcards ? "*?%~\\" : "*?\\") != std::string_view::npos;
}

bool mask_matches(std::string_view mask, std::string_view text, const MaskRules& rules) {
  return text::wildcard_match(mask, text, {.casemapping = rules.casemapping, .eggdrop = rules.eggdrop_wildcards});
}

std::string exact_key(std::string_view text, const MaskRules& rules) {
  return rules.casemapping ? text::fold(text, *rules.casemapping) : std::string(text);
}

}  // namespace chatops::bindings
