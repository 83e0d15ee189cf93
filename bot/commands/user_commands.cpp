// The owner's commands on users: users, whois, adduser, deluser, chattr (docs/commands.md).
// Users of config.yml are owned by the file: these commands show them but never change them.
#include <set>

#include "bot/commands/builtins.hpp"
#include "core/text/utf8.hpp"

namespace chatops::bot {

namespace {

constexpr std::size_t kMaxWordBytes = 100;  // of a handle, hostmask or account

Reply to_user(const CommandRequest& r, const std::string& text) { return Reply{{r.irc.nick + ": " + text}}; }

std::string flags_text(const bindings::User& user) {
  std::string out = "flags " + user.global_flags.str();
  for (const auto& [channel, set] : user.channel_flags) out += ", " + set.str() + " on " + channel;
  return out;
}

std::string user_line(const bindings::User& u) {
  std::string out = u.handle + " (" + (u.added_by.empty() ? "config.yml" : "added by " + u.added_by) + "): " +
                    flags_text(u);
  if (!u.account.empty()) out += "; account " + u.account;
  if (!u.hostmasks.empty()) {
    out += "; hostmasks";
    for (const auto& mask : u.hostmasks) out += " " + mask;
  }
  return out;
}

bool valid_word(const std::string& word) { return !word.empty() && word.size() <= kMaxWordBytes; }

// "*!bob@*.example.org" or "$a:account".
bool is_hostmask(const std::string& word) {
  const auto bang = word.find('!');
  return bang != std::string::npos && bang > 0 && word.find('@', bang) != std::string::npos;
}

Reply users(BotControl& control) {
  Reply reply;
  for (const auto& u : control.users().users()) reply.lines.push_back(user_line(u));
  if (reply.lines.empty()) reply.lines.push_back("No users.");
  return reply;
}

Reply whois(BotControl& control, const CommandRequest& r) {
  if (r.args.size() != 1) return to_user(r, "usage: whois <nick>");
  const auto* seen = control.seen(r.args[0]);
  if (!seen || seen->user.empty()) return to_user(r, "I have not seen " + r.args[0] + ".");
  const auto login = !seen->account ? std::string("account unknown")
                     : seen->account->empty() ? std::string("not logged in")
                                              : "account " + *seen->account;
  const auto prefix = seen->nick + "!" + seen->user + "@" + seen->host;
  const auto* user = control.users().find({seen->nick, seen->user, seen->host, seen->account.value_or("")},
                                          control.casemapping());
  if (!user) return to_user(r, prefix + " (" + login + ") is not a user I know.");
  return to_user(r, prefix + " (" + login + ") is " + user->handle + ", " + flags_text(*user) + ".");
}

const bindings::User* changeable(BotControl& control, const CommandRequest& r, const std::string& handle,
                                 Reply& refusal) {
  const auto* user = control.users().by_handle(handle, control.casemapping());
  if (!user) refusal = to_user(r, "no user " + handle + " (say !users).");
  else if (user->added_by.empty()) refusal = to_user(r, user->handle + " is declared in config.yml: change it there.");
  return user && !user->added_by.empty() ? user : nullptr;
}

Reply adduser(BotControl& control, const CommandRequest& r) {
  if (r.args.size() < 2 || r.args.size() > 3)
    return to_user(r, "usage: adduser <handle> <nick!user@host | $a:account> [flags]");
  const auto& handle = r.args[0];
  if (!valid_word(handle) || handle.find_first_of("!@$*?#") != std::string::npos)
    return to_user(r, "a handle is a plain word of at most 100 bytes.");
  if (control.users().by_handle(handle, control.casemapping())) return to_user(r, handle + " exists already.");
  bindings::User user;
  user.handle = handle;
  user.added_by = r.irc.known_user ? r.irc.known_user->handle : r.irc.nick;
  const auto& who = r.args[1];
  if (who.starts_with("$a:") && valid_word(who.substr(3))) user.account = who.substr(3);
  else if (is_hostmask(who) && valid_word(who)) user.hostmasks = {who};
  else return to_user(r, "expected nick!user@host (wildcards * and ?) or $a:account, not " + who + ".");
  if (r.args.size() == 3) {
    auto flags = bindings::FlagSet::parse(r.args[2]);
    if (!flags) return to_user(r, flags.error().message + ".");
    user.global_flags = flags->with_implied();
  }
  const auto line = "Added " + user.handle + " (" + (user.account.empty() ? who : "account " + user.account) + "), " +
                    flags_text(user) + ".";
  if (auto put = control.put_user(std::move(user)); !put) return to_user(r, "cannot add: " + put.error().message);
  return Reply{{line}};
}

Reply deluser(BotControl& control, const CommandRequest& r) {
  if (r.args.size() != 1) return to_user(r, "usage: deluser <handle>");
  Reply refusal;
  const auto* user = changeable(control, r, r.args[0], refusal);
  if (!user) return refusal;
  const auto handle = user->handle;
  if (auto removed = control.remove_user(handle); !removed) return to_user(r, "cannot delete: " + removed.error().message);
  return Reply{{"Deleted " + handle + "."}};
}

// "+o-v": the letters after each sign added or removed.
Result<bindings::FlagSet> apply_changes(bindings::FlagSet current, const std::string& changes) {
  std::set<char> letters;
  for (const char c : current.str())
    if (c != '-') letters.insert(c);
  char sign = 0;
  for (const char c : changes) {
    if (c == '+' || c == '-') sign = c;
    else if (!sign) return fail("flag changes start with + or - (+o-v)");
    else if (!bindings::FlagSet::parse(std::string(1, c))) return fail("invalid flag character '" + std::string(1, c) + "'");
    else if (sign == '+') letters.insert(c);
    else letters.erase(c);
  }
  return bindings::FlagSet::parse(std::string(letters.begin(), letters.end()));
}

Reply chattr(BotControl& control, const CommandRequest& r) {
  if (r.args.size() < 2 || r.args.size() > 3) return to_user(r, "usage: chattr <handle> <+flags-flags> [#channel]");
  Reply refusal;
  const auto* found = changeable(control, r, r.args[0], refusal);
  if (!found) return refusal;
  bindings::User user = *found;
  const bool on_channel = r.args.size() == 3;
  if (on_channel && !control.is_channel(r.args[2])) return to_user(r, r.args[2] + " is not a channel.");
  auto* channel_entry = static_cast<std::pair<std::string, bindings::FlagSet>*>(nullptr);
  if (on_channel) {
    for (auto& entry : user.channel_flags)
      if (text::equal_folded(entry.first, r.args[2], control.casemapping())) channel_entry = &entry;
    if (!channel_entry) channel_entry = &user.channel_flags.emplace_back(r.args[2], bindings::FlagSet{});
  }
  auto changed = apply_changes(on_channel ? channel_entry->second : user.global_flags, r.args[1]);
  if (!changed) return to_user(r, changed.error().message + ".");
  (on_channel ? channel_entry->second : user.global_flags) = changed->with_implied();  // as the list will hold them
  std::erase_if(user.channel_flags, [](const auto& entry) { return entry.second.empty(); });
  const auto line = user.handle + ": " + flags_text(user) + ".";
  if (auto put = control.put_user(std::move(user)); !put) return to_user(r, "cannot change: " + put.error().message);
  return Reply{{line}};
}

}  // namespace

Result<void> add_user_commands(CommandTable& table, BotControl& control, const std::string& flags) {
  const std::vector<std::pair<CommandSpec, CommandHandler>> commands{
      {{"users", {}, flags, "", "Every user: where they come from, flags, account, hostmasks."},
       [&control](const CommandRequest&) { return users(control); }},
      {{"whois", {}, flags, "<nick>", "Who a nick on IRC is to me: its hostmask, account and user."},
       [&control](const CommandRequest& r) { return whois(control, r); }},
      {{"adduser", {}, flags, "<handle> <nick!user@host | $a:account> [flags]",
        "Add a user, recognised by hostmask or services account; kept in the journal."},
       [&control](const CommandRequest& r) { return adduser(control, r); }},
      {{"deluser", {}, flags, "<handle>", "Delete a user added from IRC."},
       [&control](const CommandRequest& r) { return deluser(control, r); }},
      {{"chattr", {}, flags, "<handle> <+flags-flags> [#channel]",
        "Change a user's global flags, or their flags on a channel (users added from IRC)."},
       [&control](const CommandRequest& r) { return chattr(control, r); }},
  };
  for (const auto& [spec, handler] : commands)
    if (auto added = table.add(spec, handler); !added) return added;
  return {};
}

}  // namespace chatops::bot
