#pragma once
// Which services account each nick is logged in to, as the server tells it: extended-join (JOIN's
// second parameter), account-notify (ACCOUNT), WHOX replies are not asked; followed through NICK
// changes and forgotten on QUIT (and for every nick on our own disconnect). For servers whose
// messages carry account-tag, the tag is trusted first; this covers the others' PRIVMSGs.
// Bounded: at most `max_nicks` entries (a new nick beyond that evicts an arbitrary one).
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bot/irc/message.hpp"
#include "core/text/casemap.hpp"

namespace chatops::bot {

class AccountTracker {
 public:
  explicit AccountTracker(std::size_t max_nicks = 20000) : max_nicks_(max_nicks) {}

  // Every inbound line (others are ignored).
  void observe(const irc::Message& m, text::CaseMapping mapping);
  // The account `nick` is logged in to: "" when known to be logged out, nullopt when unknown.
  std::optional<std::string> account_of(std::string_view nick, text::CaseMapping mapping) const;
  void clear() { accounts_.clear(); }
  std::size_t size() const { return accounts_.size(); }

 private:
  void set(std::string_view nick, std::string_view account, text::CaseMapping mapping);

  std::size_t max_nicks_;
  std::unordered_map<std::string, std::string> accounts_;  // folded nick → account ("" logged out)
};

}  // namespace chatops::bot
