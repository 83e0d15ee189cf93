#pragma once
// A command table on a real bind table, fed with IRC lines the way the application feeds it
// (irc_binds, then dispatch), recording what the bot would say.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bindings/bind_table.hpp"
#include "bindings/users.hpp"
#include "bot/account_tracker.hpp"
#include "bot/commands/command.hpp"
#include "bot/irc/isupport.hpp"
#include "bot/irc/message.hpp"
#include "bot/irc_events.hpp"

namespace chatops::test {

struct Said {
  std::string target, text;
  bool notice = false;
  friend bool operator==(const Said&, const Said&) = default;
};

inline std::ostream& operator<<(std::ostream& out, const Said& s) {
  return out << (s.notice ? "NOTICE " : "PRIVMSG ") << s.target << " :" << s.text;
}

inline bindings::User user(std::string handle, std::string hostmask, std::string global, std::string account = "",
                           std::vector<std::pair<std::string, std::string>> channels = {}) {
  bindings::User u;
  u.handle = std::move(handle);
  u.hostmasks = {std::move(hostmask)};
  u.account = std::move(account);
  u.global_flags = *bindings::FlagSet::parse(global);
  for (auto& [channel, flags] : channels) u.channel_flags.emplace_back(channel, *bindings::FlagSet::parse(flags));
  return u;
}

struct CommandHarness {
  explicit CommandHarness(bot::CommandOptions options = {})
      : table(binds, options, [this](const std::string& target, const std::string& text, bool notice) {
          said.push_back({target, text, notice});
        }) {}

  // One line from the server, e.g. ":alice!a@example.org PRIVMSG #ops :!status".
  void line(const std::string& raw) {
    auto m = irc::parse(raw);
    REQUIRE(m);
    accounts.observe(*m, text::CaseMapping::Rfc1459);
    for (const auto& d : bot::irc_binds(*m, "opsbot", users, isupport, table.options().prefix, &accounts))
      binds.dispatch(d.type, d.match_text, bindings::BindContext(d.context), text::CaseMapping::Rfc1459);
  }
  void from(const std::string& who, const std::string& target, const std::string& text) {
    line(":" + who + " PRIVMSG " + target + " :" + text);
  }
  std::vector<Said> take() { return std::exchange(said, {}); }

  bindings::BindTable binds;
  bindings::UserList users;
  bot::AccountTracker accounts;
  irc::ISupport isupport;
  std::vector<Said> said;
  bot::CommandTable table;
};

}  // namespace chatops::test
