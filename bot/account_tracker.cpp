#include "bot/account_tracker.hpp"

namespace chatops::bot {

namespace {
// "*" (and "0" on some servers) means logged out.
std::string_view logged_in_as(std::string_view account) { return account == "*" || account == "0" ? "" : account; }
}  // namespace

void AccountTracker::set(std::string_view nick, std::string_view account, text::CaseMapping mapping) {
  auto key = text::fold(nick, mapping);
  if (!accounts_.contains(key) && accounts_.size() >= max_nicks_) accounts_.erase(accounts_.begin());
  accounts_[std::move(key)] = std::string(logged_in_as(account));
}

void AccountTracker::observe(const irc::Message& m, text::CaseMapping mapping) {
  const auto nick = m.prefix().nick;
  if (nick.empty()) return;
  if (m.command == "JOIN" && m.params.size() >= 3) {  // extended-join: JOIN #chan account :realname
    set(nick, m.params[1], mapping);
  } else if (m.command == "ACCOUNT" && !m.params.empty()) {  // account-notify
    set(nick, m.params[0], mapping);
  } else if (m.command == "NICK" && !m.params.empty()) {
    const auto found = accounts_.find(text::fold(nick, mapping));
    if (found == accounts_.end()) return;
    auto account = std::move(found->second);
    accounts_.erase(found);
    set(m.params[0], account, mapping);
  } else if (m.command == "QUIT") {
    accounts_.erase(text::fold(nick, mapping));
  } else if (auto tag = m.tag("account")) {  // account-tag on any message
    set(nick, *tag, mapping);
  }
}

std::optional<std::string> AccountTracker::account_of(std::string_view nick, text::CaseMapping mapping) const {
  const auto found = accounts_.find(text::fold(nick, mapping));
  if (found == accounts_.end()) return std::nullopt;
  return found->second;
}

}  // namespace chatops::bot
