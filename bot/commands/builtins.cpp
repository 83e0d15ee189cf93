#include "bot/commands/builtins.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "bindings/config_binds.hpp"
#include "bindings/field_filter.hpp"
#include "bindings/template.hpp"
#include "core/text/utf8.hpp"

namespace chatops::bot {

namespace {

constexpr std::size_t kDefaultHistory = 5;
constexpr std::size_t kMaxHistory = 20;
constexpr std::size_t kHistoryScan = 500;  // said events looked through for one source's history
constexpr std::size_t kMaxErrorBytes = 120;
constexpr std::size_t kMaxEchoBytes = 40;  // of an argument echoed back

std::string joined(const std::vector<std::string>& words, std::string_view separator = ", ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : std::string(separator)) + w;
  return out;
}

// An argument as it is quoted back: short and inert (CommandTable makes the whole line inert too).
std::string echo(std::string_view arg) { return "'" + text::shortened(bindings::inert_text(arg), kMaxEchoBytes) + "'"; }

Reply line(std::string text) { return Reply{{std::move(text)}}; }
Reply to_user(const CommandRequest& r, const std::string& text) { return line(r.irc.nick + ": " + text); }

std::string utc_time(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:02}:{:02}:{:02}", utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string mute_text(const Mute& m) {
  if (!m.until) return m.name;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(*m.until - std::chrono::system_clock::now());
  return m.name + " (" + duration_text(left) + " left)";
}

std::string source_names(BotControl& control) {
  std::vector<std::string> names;
  for (const auto& s : control.sources()) names.push_back(s.name);
  return names.empty() ? "none is configured" : "sources: " + joined(names);
}

bool has_source(BotControl& control, const std::string& name) {
  for (const auto& s : control.sources())
    if (s.name == name) return true;
  return false;
}

Reply help(const CommandTable& table, const CommandRequest& r) {
  const auto& prefix = table.options().prefix;
  if (!r.args.empty()) {
    const auto* spec = table.find(r.args[0]);
    if (!spec || !table.may_use(*spec, r.irc))
      return to_user(r, "no command " + echo(r.args[0]) + " for you (say " + prefix + "help for the list).");
    std::string text = table.usage_line(*spec) + " — " + spec->help;
    if (spec->flags != "-|-" && spec->flags != "-" && spec->flags != "*") text += " Needs flags " + spec->flags + ".";
    if (!spec->aliases.empty()) text += " Also " + prefix + joined(spec->aliases, ", " + prefix) + ".";
    return line(text);
  }
  std::vector<std::string> names;
  for (const auto& spec : table.commands())
    if (table.may_use(spec, r.irc)) names.push_back(spec.name);
  return line("Commands: " + joined(names) + ". Say " + prefix + "help <command> for one.");
}

Reply whoami(const CommandTable& table, const CommandRequest& r) {
  const auto& irc = r.irc;
  const auto login = irc.account.empty() ? std::string("not logged in") : "account " + irc.account;
  if (!irc.known_user)
    return to_user(r, "I do not know you (" + irc.nick + "!" + irc.user + "@" + irc.host + ", " + login +
                          "); you may use " + table.options().prefix + "help.");
  const auto& user = *irc.known_user;
  std::string flags = "flags " + user.global_flags.str();
  for (const auto& [channel, set] : user.channel_flags) flags += ", " + set.str() + " on " + channel;
  const auto how = !user.account.empty() && !irc.account.empty() ? "by account " + irc.account : std::string("by hostmask");
  return to_user(r, "you are " + user.handle + " (recognised " + how + "), " + flags + ".");
}

Reply status(BotControl& control) {
  const auto s = control.status();
  Reply reply;
  reply.lines.push_back(fmt::format("chatops-bot {}, up {}; IRC {} {} as {}{}", s.version, duration_text(s.uptime),
                                    s.irc_server, s.irc_state, s.nick,
                                    s.joined.empty() ? "" : " in " + joined(s.joined)));
  std::string journal = s.journal_error.empty()
                            ? fmt::format("journal: {} event{} waiting", s.backlog, s.backlog == 1 ? "" : "s")
                            : "journal: " + text::shortened(s.journal_error, kMaxErrorBytes);
  if (s.journal_error.empty() && s.backlog > 0) journal += " (oldest " + duration_text(s.oldest_pending) + ")";
  std::vector<std::string> muted;
  for (const auto& m : control.mutes().all()) muted.push_back(mute_text(m));
  journal += "; muted: " + (muted.empty() ? std::string("nothing") : joined(muted));
  reply.lines.push_back(journal);
  if (const auto acks = control.acks(); !acks.empty()) {
    std::vector<std::string> acked;
    for (const auto& a : acks) acked.push_back(a.id + " " + a.alert + " by " + a.by);
    reply.lines.push_back("acknowledged: " + joined(acked));
  }
  for (const auto& source : control.sources()) reply.lines.push_back(source_line(source));
  return reply;
}

Reply sources(BotControl& control) {
  Reply reply;
  for (const auto& source : control.sources()) reply.lines.push_back(source_line(source));
  if (reply.lines.empty()) reply.lines.push_back("No source is configured.");
  return reply;
}

Reply binds(BotControl& control) {
  // As Eggdrop's .binds: type, flags, mask, hits, and what it is.
  Reply reply;
  for (const auto& b : control.binds())
    reply.lines.push_back(fmt::format("{} {} {} hits {} ({})", bindings::to_string(b.type), b.flags, b.mask, b.hits,
                                      b.origin));
  if (reply.lines.empty()) reply.lines.push_back("No binds.");
  return reply;
}

Reply pause(BotControl& control, const CommandRequest& r, bool paused) {
  if (r.args.size() != 1) return to_user(r, "usage: " + std::string(paused ? "pause" : "resume") + " <source>");
  const auto& name = r.args[0];
  if (!control.set_paused(name, paused)) return to_user(r, "no source named " + echo(name) + " (" + source_names(control) + ").");
  if (!paused) return line(name + " resumed.");
  return line(name + " paused: it takes nothing until resumed (a webhook answers 503 with Retry-After).");
}

Reply mute(BotControl& control, const CommandRequest& r) {
  if (r.args.empty() || r.args.size() > 2) return to_user(r, "usage: mute <channel|source> [duration: 30s, 10m, 2h, 1d]");
  const auto& name = r.args[0];
  Mute m{control.is_channel(name) ? MuteKind::Channel : MuteKind::Source, name, std::nullopt,
         r.irc.known_user ? r.irc.known_user->handle : r.irc.nick};
  if (m.kind == MuteKind::Source && !has_source(control, name))
    return to_user(r, "no channel or source named " + echo(name) + " (" + source_names(control) + ").");
  std::string how_long = "until unmuted";
  if (r.args.size() == 2) {
    const auto d = parse_mute_duration(r.args[1]);
    if (!d) return to_user(r, "invalid duration " + echo(r.args[1]) + " (30s, 10m, 2h, 1d; at most a year).");
    m.until = std::chrono::system_clock::now() + *d;
    how_long = "for " + duration_text(*d);
  }
  control.mute(std::move(m));
  return line("Muted " + name + " " + how_long + ": its events wait in the journal.");
}

Reply unmute(BotControl& control, const CommandRequest& r) {
  if (r.args.size() != 1) return to_user(r, "usage: unmute <channel|source>");
  const auto& name = r.args[0];
  const auto kind = control.is_channel(name) ? MuteKind::Channel : MuteKind::Source;
  if (!control.unmute(kind, name)) return to_user(r, echo(name) + " is not muted.");
  return line("Unmuted " + name + ": what waited is said now.");
}

std::optional<std::size_t> parse_count(const std::string& text) {
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr != text.data() + text.size() || n == 0) return std::nullopt;
  return std::min(n, kMaxHistory);
}

Reply history(BotControl& control, const CommandRequest& r) {
  // history [source|topic] [n] [field=value …]
  std::size_t count = kDefaultHistory;
  std::string what;
  std::vector<bindings::FieldFilter> filters;
  for (const auto& arg : r.args) {
    if (const auto equals = arg.find('='); equals != std::string::npos && equals > 0) {
      auto filter = bindings::FieldFilter::parse(arg.substr(0, equals), {arg.substr(equals + 1)});
      if (!filter) return to_user(r, "invalid filter " + echo(arg) + ": " + text::shortened(filter.error().message, kMaxErrorBytes));
      filters.push_back(std::move(*filter));
    } else if (auto n = parse_count(arg)) {
      count = *n;
    } else if (what.empty()) {
      what = arg;
    } else {
      return to_user(r, "usage: history [source|topic] [n] [field=value …]");
    }
  }
  const bool by_source = !what.empty() && has_source(control, what);
  const auto mask = what.empty() || by_source ? std::string("*") : what;
  // Filtered by source or field, more events are looked through for `count` that match.
  auto events = control.history(by_source || !filters.empty() ? kHistoryScan : count, mask);
  if (!events) return to_user(r, "cannot read the journal: " + text::shortened(events.error().message, kMaxErrorBytes));
  Reply reply;
  const auto acks = control.acks();
  for (const auto& event : *events) {
    if (by_source && event.source != what) continue;
    if (!filters.empty()) {
      const auto data = bindings::template_data(bindings::BindContext(event), false);
      if (!std::ranges::all_of(filters, [&data](const bindings::FieldFilter& f) { return f.matches(data); })) continue;
    }
    reply.lines.push_back(history_line(event) + acked_text(event, acks));
    if (reply.lines.size() == count) break;
  }
  if (reply.lines.empty()) return to_user(r, "nothing said" + (what.empty() ? std::string() : " for " + echo(what)) + " in the journal's retention.");
  return reply;
}

}  // namespace

std::string source_line(const ingestion::SourceReport& r) {
  const auto state = r.paused ? std::string("paused") : std::string(ingestion::to_string(r.status.state));
  const auto kind = r.family == r.kind ? r.kind : r.kind + " " + r.family;
  auto out = fmt::format("{} ({}): {}, {} accepted, {} duplicates, {} refused", r.name, kind, state, r.accepted,
                         r.duplicates, r.refused);
  if (r.restarts) out += fmt::format(", {} restarts", r.restarts);
  if (r.lag) out += fmt::format(", lag {}", *r.lag);
  if (r.outstanding) out += fmt::format(", {} outstanding", *r.outstanding);
  if (!r.status.last_error.empty()) out += ", last error: " + text::shortened(r.status.last_error, kMaxErrorBytes);
  return out;
}

std::string history_line(const ingestion::IngestionEvent& event) {
  std::string said;
  if (!event.default_template.empty())
    if (auto compiled = bindings::Template::compile(event.default_template))
      if (auto text = compiled->render(bindings::template_data(bindings::BindContext(event), false)))
        said = *text;
  said = said.substr(0, said.find('\n'));  // the first line of what it says
  return "#" + std::to_string(event.id) + " " + utc_time(event.time) + " " + event.source + " " + event.topic +
         (said.empty() ? "" : ": " + said);
}

Result<void> add_builtin_commands(CommandTable& table, BotControl& control, const BuiltinFlags& flags) {
  const std::vector<std::pair<CommandSpec, CommandHandler>> commands{
      {{"help", {}, "-|-", "[command]", "What you may ask me, or what one command does."},
       [&table](const CommandRequest& r) { return help(table, r); }},
      {{"whoami", {}, "-|-", "", "Who I take you for, and your flags."},
       [&table](const CommandRequest& r) { return whoami(table, r); }},
      {{"version", {}, "-|-", "", "The bot's version."},
       [&control](const CommandRequest&) { return line("chatops-bot " + control.status().version); }},
      {{"status", {}, flags.read, "", "IRC, uptime, the journal's backlog, mutes, and each source's state."},
       [&control](const CommandRequest&) { return status(control); }},
      {{"sources", {}, flags.read, "", "Each source: state, counters, last error."},
       [&control](const CommandRequest&) { return sources(control); }},
      {{"binds", {}, flags.read, "", "Every bind: type, flags, mask, hits, where it was declared."},
       [&control](const CommandRequest&) { return binds(control); }},
      {{"history", {}, flags.read, "[source|topic] [n] [field=value …]",
        "The last events said (5, at most 20), newest first; field=value keeps those whose field matches."},
       [&control](const CommandRequest& r) { return history(control, r); }},
      {{"pause", {}, flags.control, "<source>",
        "Stop taking events from a source: a poller stops polling, a webhook answers 503 with Retry-After."},
       [&control](const CommandRequest& r) { return pause(control, r, true); }},
      {{"resume", {}, flags.control, "<source>", "Take events from a paused source again."},
       [&control](const CommandRequest& r) { return pause(control, r, false); }},
      {{"mute", {}, flags.control, "<channel|source> [duration]",
        "Say nothing in a channel, or nothing from a source; events wait in the journal until the mute ends."},
       [&control](const CommandRequest& r) { return mute(control, r); }},
      {{"unmute", {}, flags.control, "<channel|source>", "End a mute: what waited is said."},
       [&control](const CommandRequest& r) { return unmute(control, r); }},
      {{"reload", {}, flags.owner, "",
        "Read config.yml again: sources, binds, templates, users and commands swapped if it is valid."},
       [&control](const CommandRequest& r) {
         return Reply{control.reload(r.irc.known_user ? r.irc.known_user->handle : r.irc.nick)};
       }},
  };
  for (const auto& [spec, handler] : commands)
    if (auto added = table.add(spec, handler); !added) return added;
  if (auto added = add_user_commands(table, control, flags.owner); !added) return added;
  return add_alert_commands(table, control, flags);
}

}  // namespace chatops::bot
