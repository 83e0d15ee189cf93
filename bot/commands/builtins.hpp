#pragma once
// The built-in commands (docs/commands.md): help, status, sources, binds, pause, resume, mute,
// unmute, history, whoami, version, reload. They read and act on the bot through BotControl, which the
// application implements (and unit tests with plain data).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bindings/bind_table.hpp"
#include "bindings/users.hpp"
#include "bot/account_tracker.hpp"
#include "bot/alertmanager/silences.hpp"
#include "bot/commands/command.hpp"
#include "bot/commands/mutes.hpp"
#include "core/error.hpp"
#include "ingestion/event.hpp"
#include "ingestion/manager.hpp"

namespace chatops::bot {

struct BotStatus {
  std::string version;
  std::chrono::seconds uptime{0};
  std::string irc_server;  // "host:port"
  std::string irc_state;   // "registered", "connecting"…
  std::string nick;
  std::vector<std::string> joined;
  std::int64_t backlog = 0;  // events not yet said
  std::chrono::seconds oldest_pending{0};
  std::string journal_error;  // "" when the journal answered
};

// An alert acknowledged from IRC (`!ack 3fa9c1`): kept in the journal's state table.
struct Ack {
  std::string id;     // the alert's short id (ingestion/webhook/alertmanager.hpp)
  std::string alert;  // what it is: "HighLatency on a:1"
  std::string by;     // the user's handle (or nick)
  std::chrono::system_clock::time_point at{};
};

class BotControl {
 public:
  virtual ~BotControl() = default;
  virtual BotStatus status() = 0;
  virtual std::vector<ingestion::SourceReport> sources() = 0;
  virtual std::vector<bindings::BindInfo> binds() = 0;
  virtual bool set_paused(const std::string& source, bool paused) = 0;  // false: no such source
  // Said events, newest first; `topic_mask` a wildcard over topics.
  virtual Result<std::vector<ingestion::IngestionEvent>> history(std::size_t limit, const std::string& topic_mask) = 0;
  virtual void mute(Mute mute) = 0;
  virtual std::optional<Mute> unmute(MuteKind kind, const std::string& name) = 0;
  virtual const Mutes& mutes() const = 0;
  virtual bool is_channel(const std::string& name) const = 0;
  virtual text::CaseMapping casemapping() const = 0;

  // Users: those of config.yml and those added from IRC (kept in the journal). Changes take
  // effect once the message being dispatched is done (a bind context points into the list).
  virtual const bindings::UserList& users() const = 0;
  virtual Result<void> put_user(bindings::User user) = 0;  // adds, or replaces one added from IRC
  virtual Result<void> remove_user(const std::string& handle) = 0;
  virtual const SeenNick* seen(const std::string& nick) const = 0;  // what the server told about a nick

  // Alerts acknowledged from IRC, oldest first; ack() replaces an earlier ack of the same id.
  virtual std::vector<Ack> acks() = 0;
  virtual Result<void> ack(Ack ack) = 0;
  // The Alertmanager API for silences; nullptr when `alertmanager.url` is not configured. Used
  // only from the command worker (Reply::later): its calls may take their whole timeout. Shared:
  // a reload may replace it while a call is under way.
  virtual std::shared_ptr<SilenceClient> silence_client() = 0;

  // Reads config.yml again and, when all of it is valid, swaps sources, binds, templates, users
  // and commands (after the message being dispatched); what to tell who asked.
  virtual std::vector<std::string> reload(const std::string& by) = 0;
};

struct BuiltinFlags {
  std::string control = "m|m";  // pause, resume, mute, unmute
  std::string read = "o|o";     // status, sources, binds, history
  std::string owner = "n";      // reload, users, whois, adduser, deluser, chattr
  std::string alerts = "o|o";   // ack, silence, silences, unsilence
};

// Declares the built-in commands on `table`; `control` must outlive it.
Result<void> add_builtin_commands(CommandTable& table, BotControl& control, const BuiltinFlags& flags = {});
// The owner's commands on users (bot/commands/user_commands.cpp); part of the built-ins.
Result<void> add_user_commands(CommandTable& table, BotControl& control, const std::string& flags);

// The alert commands (bot/commands/alert_commands.cpp): ack, silence, silences, unsilence; part of the built-ins.
Result<void> add_alert_commands(CommandTable& table, BotControl& control, const BuiltinFlags& flags);
// " (acked 3fa9c1 by alice)" for the alerts of `event` that are acknowledged, else "".
std::string acked_text(const ingestion::IngestionEvent& event, const std::vector<Ack>& acks);

// One line per source: "github (webhook): running, 12 accepted, 0 refused, last error: …".
std::string source_line(const ingestion::SourceReport& report);
// One history line: "#12 13:45:02 github github/push: the event as its template says it".
std::string history_line(const ingestion::IngestionEvent& event);

}  // namespace chatops::bot
