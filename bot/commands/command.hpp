#pragma once
// Commands: the bot's answers to `!status`, `opsbot: status` and `/msg opsbot status`, as
// first-class entries of the bind table. A command declares its name, aliases, the flags it needs,
// its usage and a one-line help; add() installs it as a pub bind (`!name`, each alias too) and as
// msg binds (`name` and `!name`) with those flags, so that `binds` lists it like any other bind.
//
// What a command answers is sanitised (every reply line made inert: no CR, LF, NUL or formatting
// from arguments can reach IRC), rate-limited per user and per channel (over the limit a command
// is dropped without an answer, so that a flood cannot make the bot flood), and capped: in a
// channel more than `max_channel_lines` lines go to the user by private NOTICE instead. Someone
// without the flags is told so once per rate-limit token, never with the command run.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bindings/bind_table.hpp"
#include "bindings/context.hpp"
#include "bindings/flags.hpp"
#include "bot/commands/rate_limit.hpp"
#include "core/error.hpp"
#include "core/text/casemap.hpp"

namespace chatops::bot {

struct CommandSpec {
  std::string name;                  // "pause"
  std::vector<std::string> aliases;  // other words that run it
  std::string flags = "-|-";         // who may run it (bindings/flags.hpp)
  std::string usage;                 // the arguments: "<source>", "" for none
  std::string help;                  // one sentence
};

struct CommandRequest {
  const bindings::IrcContext& irc;  // who asked, and where ("" channel: in private)
  const CommandSpec& spec;
  std::vector<std::string> args;    // the words after the command
};

struct Reply;
// The slow part of a command (a call to Alertmanager that may take its whole timeout): run away
// from the io thread, which keeps speaking and answering meanwhile; its reply is delivered back
// on the io thread. It must capture what it needs by value: the request is gone by then.
using SlowWork = std::function<Reply()>;

// What a command answers. `privately`: by NOTICE to the user even when asked in a channel.
// `later`: the rest of the answer comes from that work (its lines are said after these).
struct Reply {
  std::vector<std::string> lines{};
  bool privately = false;
  SlowWork later{};
};
using CommandHandler = std::function<Reply(const CommandRequest&)>;

// Runs `work` off the io thread and calls `done` with its reply back on the io thread.
using Offload = std::function<void(SlowWork work, std::function<void(Reply)> done)>;

struct CommandOptions {
  std::string prefix = "!";
  std::size_t max_channel_lines = 4;  // longer answers go to the user by private NOTICE
  double user_burst = 4, user_rate = 0.25;       // commands per user: 4 at once, then one per 4 s
  double channel_burst = 6, channel_rate = 0.5;  // per channel: 6 at once, then one per 2 s
};

// Where answers go: the IRC side (NOTICE when `notice`).
using ReplySink = std::function<void(const std::string& target, const std::string& text, bool notice)>;

class CommandTable {
 public:
  using Clock = std::chrono::steady_clock;
  // `binds` and the sink must outlive the table; `casemapping` is asked at each use (the server's
  // may change with ISUPPORT).
  CommandTable(bindings::BindTable& binds, CommandOptions options, ReplySink sink,
               std::function<text::CaseMapping()> casemapping = [] { return text::CaseMapping::Rfc1459; });

  // Fails on invalid flags, a name taken already, or a word that is not one word.
  Result<void> add(CommandSpec spec, CommandHandler handler);

  const std::vector<CommandSpec>& commands() const { return specs_; }
  const CommandSpec* find(std::string_view word) const;  // by name or alias, case-insensitive
  bool may_use(const CommandSpec& spec, const bindings::IrcContext& irc) const;
  // "!pause <source>"
  std::string usage_line(const CommandSpec& spec) const;
  const CommandOptions& options() const { return options_; }

  // Runs the command at `index` (in commands()) as its bind does: rate limit, handler, reply.
  void run(std::size_t index, const bindings::IrcContext& irc, Clock::time_point now);

  // Where a reply's slow work runs; without one it runs at once, on the caller's thread.
  void set_offload(Offload offload) { offload_ = std::move(offload); }

 private:
  void refused(bindings::BindId id, const bindings::BindContext& context);
  bool take_token(const bindings::IrcContext& irc, Clock::time_point now);
  void deliver(const bindings::IrcContext& irc, Reply reply);  // says it, hands its slow work off
  void say(const bindings::IrcContext& irc, Reply reply);

  bindings::BindTable& binds_;
  CommandOptions options_;
  ReplySink sink_;
  Offload offload_;
  std::function<text::CaseMapping()> casemapping_;
  std::vector<CommandSpec> specs_;        // declaration order; never reallocated under a handler
  std::vector<CommandHandler> handlers_;  // same index
  std::unordered_map<bindings::BindId, std::size_t> command_of_bind_;  // → index in specs_
  RateLimiter per_user_, per_channel_;
};

// The text of a channel message addressed to `own_nick` ("opsbot: status", "opsbot, status") as a
// command: prefix + the rest ("!status"); nullopt when it is not addressed to us.
std::optional<std::string> addressed_command(std::string_view text, std::string_view own_nick, std::string_view prefix,
                                             text::CaseMapping mapping);

// The words of a command line after the command word (runs of spaces separate words).
std::vector<std::string> command_args(std::string_view text);

}  // namespace chatops::bot
