#include "bot/account_tracker.hpp"

namespace chatops::bot {

namespace {
// Marks our WHOX replies (another client's WHO could ask other fields).
constexpr std::string_view kWhoxToken = "152";
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

irc::Message whox_query(const std::string& channel) {
  // Fields come back in the protocol's order: token, channel, user, host, nick, account.
  return irc::Message{{}, "", "WHO", {channel, "%tcuhna," + std::string(kWhoxToken)}};
}

void AccountTracker::observe(const irc::Message& m, text::CaseMapping mapping) {
  if (m.command == "354" && m.params.size() >= 7 && m.params[1] == kWhoxToken) {
    auto& seen = entry(m.params[5], mapping);
    seen.user = m.params[3];
    seen.host = m.params[4];
    seen.account = logged_in_as(m.params[6]);
    return;
  }
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
