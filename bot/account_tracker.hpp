#pragma once
// What the server told about each nick: the services account it is logged in to (extended-join:
// JOIN's second parameter; account-notify: ACCOUNT; account-tag on any message) and its user@host
// (from any line it sent), followed through NICK changes and forgotten on QUIT (and for every nick
// on our own disconnect). For servers whose messages carry account-tag, the tag is trusted first;
// this covers the others' PRIVMSGs, and `!whois <nick>`. Those already in a channel when the bot
// joins it are learnt from a WHOX query (whox_query(), where the server offers WHOX): their
// 354 replies carry user, host and account.
// Bounded: at most `max_nicks` entries (a new nick beyond that evicts an arbitrary one).
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bot/irc/message.hpp"
#include "core/text/casemap.hpp"

namespace chatops::bot {

struct SeenNick {
  std::string nick;                    // as last seen
  std::string user, host;              // "" until a line with a full prefix
  std::optional<std::string> account;  // "" logged out, nullopt unknown
};

// "WHO #ops %tcuhna,<token>": the query whose 354 replies observe() reads.
irc::Message whox_query(const std::string& channel);

class AccountTracker {
 public:
  explicit AccountTracker(std::size_t max_nicks = 20000) : max_nicks_(max_nicks) {}

  // Every inbound line (others are ignored).
  void observe(const irc::Message& m, text::CaseMapping mapping);
  // The account `nick` is logged in to: "" when known to be logged out, nullopt when unknown.
  std::optional<std::string> account_of(std::string_view nick, text::CaseMapping mapping) const;
  const SeenNick* seen(std::string_view nick, text::CaseMapping mapping) const;
  void clear() { nicks_.clear(); }
  std::size_t size() const { return nicks_.size(); }

 private:
  SeenNick& entry(std::string_view nick, text::CaseMapping mapping);

  std::size_t max_nicks_;
  std::unordered_map<std::string, SeenNick> nicks_;  // by folded nick
};

}  // namespace chatops::bot
