#pragma once
// IRC-style wildcard masks, for hostmasks ("*!*@example.org") and bind masks ("github/*").
//   *  any run of bytes, possibly empty        ?  exactly one byte
// With `eggdrop` also (as in Eggdrop's pubm/msgm binds):
//   %  any run of non-space bytes, possibly empty     ~  one or more spaces
// A backslash makes the next wildcard character (or a backslash) literal: "\*", "\?", "\\", and
// with `eggdrop` "\%", "\~". Before anything else a backslash is itself literal, so nicks such
// as "a\b" need no escaping. Matching is on bytes, so '?' is one byte of a UTF-8 character.
#include <optional>
#include <string_view>

#include "core/text/casemap.hpp"

namespace chatops::text {

struct WildcardOptions {
  // How letters compare; nullopt compares bytes exactly. rfc1459 is what servers assume for
  // nicks and channels until ISUPPORT CASEMAPPING says otherwise.
  std::optional<CaseMapping> casemapping = CaseMapping::Rfc1459;
  bool eggdrop = false;  // also treat '%' and '~' as wildcards
};

// Whether the whole of `text` matches `mask`. Time O(len(mask) × len(text)) at worst, never
// exponential: the mask is run as an automaton, not by backtracking.
bool wildcard_match(std::string_view mask, std::string_view text, WildcardOptions opts = {});

}  // namespace chatops::text
