#include "bot/irc_events.hpp"

#include <sstream>

#include "bot/commands/command.hpp"
#include "core/text/casemap.hpp"

namespace chatops::bot {

using bindings::BindType;

namespace {
std::vector<std::string> words_after_first(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  std::string w;
  in >> w;  // the command word
  while (in >> w) words.push_back(w);
  return words;
}
}  // namespace

std::vector<IrcDispatch> irc_binds(const irc::Message& m, const std::string& own_nick, const bindings::UserList& users,
                                   const irc::ISupport& isupport, std::string_view command_prefix,
                                   const AccountTracker* accounts) {
  const auto mapping = isupport.casemapping();
  const auto who = m.prefix();
  bindings::IrcContext base;
  base.nick = who.nick;
  base.user = who.user;
  base.host = who.host;
  if (auto tagged = m.tag("account")) base.account = *tagged;
  else if (auto tracked = accounts ? accounts->account_of(who.nick, mapping) : std::nullopt) base.account = *tracked;
  if (base.account == "*" || base.account == "0") base.account.clear();
  base.command = m.command;
  base.args = m.params;
  base.known_user = users.find({base.nick, base.user, base.host, base.account}, mapping);

  std::vector<IrcDispatch> out;
  out.push_back({BindType::Raw, m.command, base});
  if (!own_nick.empty() && text::equal_folded(who.nick, own_nick, mapping)) return out;

  const auto userhost = who.nick + "!" + who.user + "@" + who.host;
  if (m.command == "PRIVMSG" && m.params.size() >= 2) {
    const auto& target = m.params[0];
    const auto& text = m.params[1];
    if (text.starts_with('\x01')) return out;  // CTCP (ACTION, VERSION…) is not a command
    auto ctx = base;
    ctx.text = text;
    ctx.args = words_after_first(text);
    if (isupport.is_channel(target)) {
      ctx.channel = target;
      auto command = ctx;
      if (auto addressed = addressed_command(text, own_nick, command_prefix, mapping)) {
        command.text = *addressed;
        command.args = words_after_first(command.text);
      }
      out.push_back({BindType::Pub, command.text, command});
      out.push_back({BindType::Pubm, target + " " + text, ctx});
    } else {
      out.push_back({BindType::Msg, text, ctx});
      out.push_back({BindType::Msgm, text, ctx});
    }
  } else if ((m.command == "JOIN" || m.command == "PART") && !m.params.empty()) {
    auto ctx = base;
    ctx.channel = m.params[0];
    if (m.command == "JOIN" && m.params.size() >= 2 && m.params[1] != "*") ctx.account = m.params[1];  // extended-join
    ctx.known_user = users.find({ctx.nick, ctx.user, ctx.host, ctx.account}, mapping);
    out.push_back({m.command == "JOIN" ? BindType::Join : BindType::Part, ctx.channel + " " + userhost, ctx});
  } else if (m.command == "KICK" && m.params.size() >= 2) {
    auto ctx = base;
    ctx.channel = m.params[0];
    ctx.text = m.param(2);
    out.push_back({BindType::Kick, ctx.channel + " " + m.params[1], ctx});
  } else if (m.command == "NICK" && !m.params.empty()) {
    // Without tracking channel membership the channel part is "*" (a mask "* newnick" or "*").
    out.push_back({BindType::Nick, "* " + m.params[0], base});
  } else if (m.command == "MODE" && m.params.size() >= 2 && isupport.is_channel(m.params[0])) {
    auto ctx = base;
    ctx.channel = m.params[0];
    std::string change;
    for (std::size_t i = 1; i < m.params.size(); ++i) change += (i > 1 ? " " : "") + m.params[i];
    out.push_back({BindType::Mode, ctx.channel + " " + change, ctx});
  }
  return out;
}

}  // namespace chatops::bot
