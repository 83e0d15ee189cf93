#include "bot/commands/command.hpp"

#include <spdlog/spdlog.h>

#include "bindings/template.hpp"

namespace chatops::bot {

using bindings::BindResult;
using bindings::BindType;
using bindings::IrcContext;

namespace {

bool is_one_word(std::string_view word) {
  if (word.empty()) return false;
  for (const char c : word)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return true;
}

std::string reply_target(const IrcContext& irc) { return irc.channel.empty() ? irc.nick : irc.channel; }

}  // namespace

CommandTable::CommandTable(bindings::BindTable& binds, CommandOptions options, ReplySink sink,
                           std::function<text::CaseMapping()> casemapping)
    : binds_(binds),
      options_(std::move(options)),
      sink_(std::move(sink)),
      casemapping_(std::move(casemapping)),
      per_user_(options_.user_burst, options_.user_rate),
      per_channel_(options_.channel_burst, options_.channel_rate) {
  binds_.on_refused = [this](bindings::BindId id, const bindings::BindContext& context) { refused(id, context); };
}

const CommandSpec* CommandTable::find(std::string_view word) const {
  const auto mapping = casemapping_();
  for (const auto& spec : specs_) {
    if (text::equal_folded(spec.name, word, mapping)) return &spec;
    for (const auto& alias : spec.aliases)
      if (text::equal_folded(alias, word, mapping)) return &spec;
  }
  return nullptr;
}

Result<void> CommandTable::add(CommandSpec spec, CommandHandler handler) {
  const auto flags = bindings::FlagMask::parse(spec.flags);
  if (!flags) return fail("command " + spec.name + ": " + flags.error().message);
  std::vector<std::string> words{spec.name};
  words.insert(words.end(), spec.aliases.begin(), spec.aliases.end());
  for (const auto& word : words) {
    if (!is_one_word(word)) return fail("command \"" + word + "\": a command is one word");
    if (find(word)) return fail("command \"" + word + "\" is declared twice");
  }
  const std::size_t index = specs_.size();
  specs_.push_back(std::move(spec));
  handlers_.push_back(std::move(handler));
  const bindings::Handler bound = [this, index](const bindings::BindContext& context) {
    if (const auto* irc = context.irc()) run(index, *irc, Clock::now());
    return BindResult::Stop;
  };
  const bindings::Origin origin{"command " + specs_[index].name};
  for (const auto& word : words) {
    std::vector<std::pair<BindType, std::string>> masks{{BindType::Pub, options_.prefix + word},
                                                        {BindType::Msg, options_.prefix + word}};
    if (!options_.prefix.empty()) masks.emplace_back(BindType::Msg, word);
    for (const auto& [type, mask] : masks) {
      auto id = binds_.bind(type, specs_[index].flags, mask, bound, origin);
      if (!id) return std::unexpected(id.error());
      command_of_bind_[*id] = index;
    }
  }
  return {};
}

bool CommandTable::may_use(const CommandSpec& spec, const IrcContext& irc) const {
  const auto flags = bindings::FlagMask::parse(spec.flags);
  if (!flags) return false;
  if (flags->anyone()) return true;
  if (!irc.known_user) return false;
  return flags->matches(irc.known_user->global_flags, irc.known_user->flags_on(irc.channel, casemapping_()));
}

std::string CommandTable::usage_line(const CommandSpec& spec) const {
  return options_.prefix + spec.name + (spec.usage.empty() ? "" : " " + spec.usage);
}

bool CommandTable::take_token(const IrcContext& irc, Clock::time_point now) {
  // A known user is one person under any nick; an unknown one is told apart by host, so that
  // changing nick does not buy a fresh bucket.
  const auto user = irc.known_user ? "handle " + irc.known_user->handle
                                   : "host " + text::fold(irc.host, casemapping_());
  const auto channel = text::fold(irc.channel, casemapping_());
  // Both or neither: a refused command costs no token.
  if (!per_user_.ready(user, now) || (!channel.empty() && !per_channel_.ready(channel, now))) return false;
  per_user_.try_take(user, now);
  if (!channel.empty()) per_channel_.try_take(channel, now);
  return true;
}

void CommandTable::run(std::size_t index, const IrcContext& irc, Clock::time_point now) {
  const auto& spec = specs_.at(index);
  if (!take_token(irc, now)) {
    spdlog::debug("command {} from {}: over the rate limit, not answered", spec.name, irc.nick);
    return;
  }
  Reply reply;
  try {
    reply = handlers_.at(index)(CommandRequest{irc, spec, command_args(irc.text)});
  } catch (const std::exception& e) {
    // A failing command is reported to whoever asked, once, and never takes the bot down.
    spdlog::error("command {} from {} failed: {}", spec.name, irc.nick, e.what());
    reply = Reply{{irc.nick + ": " + spec.name + " failed: " + e.what()}};
  }
  spdlog::info("command {} from {} ({}) in {}", spec.name, irc.nick,
               irc.known_user ? irc.known_user->handle : "unknown user", irc.channel.empty() ? "private" : irc.channel);
  deliver(irc, std::move(reply));
}

void CommandTable::refused(bindings::BindId id, const bindings::BindContext& context) {
  const auto found = command_of_bind_.find(id);
  const auto* irc = context.irc();
  if (found == command_of_bind_.end() || !irc) return;
  if (!take_token(*irc, Clock::now())) return;
  const auto& spec = specs_[found->second];
  spdlog::info("command {} from {}: refused (needs flags {})", spec.name, irc->nick, spec.flags);
  deliver(*irc, Reply{{irc->nick + ": sorry, " + options_.prefix + spec.name + " needs flags " + spec.flags +
                       (irc->known_user ? "." : " and I do not know you (say " + options_.prefix + "whoami).")}});
}

void CommandTable::deliver(const IrcContext& irc, Reply reply) {
  auto later = std::move(reply.later);
  say(irc, std::move(reply));
  if (!later) return;
  // Only who asked and where outlive this dispatch: the user list may change meanwhile.
  IrcContext asker;
  asker.nick = irc.nick;
  asker.channel = irc.channel;
  SlowWork guarded = [later = std::move(later), nick = irc.nick]() -> Reply {
    try {
      return later();
    } catch (const std::exception& e) {
      spdlog::error("command from {} failed: {}", nick, e.what());
      return Reply{{nick + ": failed: " + e.what()}};
    }
  };
  auto done = [this, asker = std::move(asker)](Reply answer) { deliver(asker, std::move(answer)); };
  if (offload_) offload_(std::move(guarded), std::move(done));
  else done(guarded());
}

void CommandTable::say(const IrcContext& irc, Reply reply) {
  // Every line is made inert: an argument echoed back cannot end the line, start a CTCP or
  // carry formatting.
  for (auto& line : reply.lines) line = bindings::inert_text(line);
  std::erase_if(reply.lines, [](const std::string& line) { return line.empty(); });
  if (reply.lines.empty()) return;
  const bool in_channel = !irc.channel.empty();
  if (in_channel && !reply.privately && reply.lines.size() <= options_.max_channel_lines) {
    for (const auto& line : reply.lines) sink_(irc.channel, line, false);
    return;
  }
  if (in_channel)
    sink_(reply_target(irc), irc.nick + ": " + std::to_string(reply.lines.size()) + " lines sent to you by notice.",
          false);
  for (const auto& line : reply.lines) sink_(irc.nick, line, true);
}

std::optional<std::string> addressed_command(std::string_view text, std::string_view own_nick, std::string_view prefix,
                                             text::CaseMapping mapping) {
  if (own_nick.empty() || text.size() <= own_nick.size() + 1) return std::nullopt;
  if (!text::equal_folded(text.substr(0, own_nick.size()), own_nick, mapping)) return std::nullopt;
  const char separator = text[own_nick.size()];
  if (separator != ':' && separator != ',') return std::nullopt;
  auto rest = text.substr(own_nick.size() + 1);
  const auto start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) return std::nullopt;
  rest.remove_prefix(start);
  return std::string(prefix) + std::string(rest);
}

std::vector<std::string> command_args(std::string_view text) {
  std::vector<std::string> words;
  std::size_t at = text.find_first_not_of(' ');
  if (at == std::string_view::npos) return words;
  at = text.find(' ', at);  // past the command word
  while (at != std::string_view::npos) {
    const auto start = text.find_first_not_of(' ', at);
    if (start == std::string_view::npos) break;
    at = text.find(' ', start);
    words.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
  }
  return words;
}

}  // namespace chatops::bot
