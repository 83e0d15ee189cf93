#include "bot/account_tracker.hpp"

namespace chatops::bot {

namespace {
// "*" (and "0" on some servers) means logged out.
std::string logged_in_as(std::string_view account) {
  return account == "*" || account == "0" ? std::string() : std::string(account);
}
}  // namespace

SeenNick& AccountTracker::entry(std::string_view nick, text::CaseMapping mapping) {
  auto key = text::fold(nick, mapping);
  if (!nicks_.contains(key) && nicks_.size() >= max_nicks_) nicks_.erase(nicks_.begin());
  auto& seen = nicks_[std::move(key)];
  seen.nick = std::string(nick);
  return seen;
}

void AccountTracker::observe(const irc::Message& m, text::CaseMapping mapping) {
  const auto who = m.prefix();
  if (who.nick.empty() || who.user.empty()) return;  // a server, or a prefix without user@host
  if (m.command == "QUIT") {
    nicks_.erase(text::fold(who.nick, mapping));
    return;
  }
  if (m.command == "NICK" && !m.params.empty()) {
    const auto found = nicks_.find(text::fold(who.nick, mapping));
    SeenNick moved = found == nicks_.end() ? SeenNick{} : std::move(found->second);
    if (found != nicks_.end()) nicks_.erase(found);
    auto& renamed = entry(m.params[0], mapping);
    renamed.account = std::move(moved.account);
    renamed.user = who.user;
    renamed.host = who.host;
    return;
  }
  auto& seen = entry(who.nick, mapping);
  seen.user = who.user;
  seen.host = who.host;
  if (m.command == "JOIN" && m.params.size() >= 3) seen.account = logged_in_as(m.params[1]);  // extended-join
  else if (m.command == "ACCOUNT" && !m.params.empty()) seen.account = logged_in_as(m.params[0]);  // account-notify
  else if (auto tag = m.tag("account")) seen.account = logged_in_as(*tag);                      // account-tag
}

std::optional<std::string> AccountTracker::account_of(std::string_view nick, text::CaseMapping mapping) const {
  const auto* s = seen(nick, mapping);
  return s ? s->account : std::nullopt;
}

const SeenNick* AccountTracker::seen(std::string_view nick, text::CaseMapping mapping) const {
  const auto found = nicks_.find(text::fold(nick, mapping));
  return found == nicks_.end() ? nullptr : &found->second;
}

}  // namespace chatops::bot
