#pragma once
// How a bind's mask (or a user's hostmask) is compared with text: the one place that decides the
// wildcard syntax and the case rules per bind type.
#include <optional>
#include <string>
#include <string_view>

#include "bindings/bind_type.hpp"
#include "core/text/casemap.hpp"

namespace chatops::bindings {

struct MaskRules {
  bool eggdrop_wildcards = false;                 // `%` and `~` besides `*` and `?`
  std::optional<text::CaseMapping> casemapping;   // nullopt: case-sensitive
};

// IRC types: Eggdrop wildcards under the server's casemapping. Others (time, cron, ingestion
// topics): `*` and `?`, case-sensitive.
MaskRules mask_rules(BindType type, text::CaseMapping server);
// IRC hostmasks (nick!user@host): `*` and `?` under the server's casemapping.
MaskRules hostmask_rules(text::CaseMapping server);

bool has_wildcards(std::string_view mask, const MaskRules& rules);
bool mask_matches(std::string_view mask, std::string_view text, const MaskRules& rules);
// The key under which a wildcard-free mask equals `text`: folded when case-insensitive.
std::string exact_key(std::string_view text, const MaskRules& rules);

}  // namespace chatops::bindings
