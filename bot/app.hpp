#pragma once
// The application: owns every component and wires them as docs/architecture.md draws them.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>

#include <asio.hpp>

#include "bindings/bind_table.hpp"
#include "bindings/handlers/handler.hpp"
#include "bindings/handlers/program_pool.hpp"
#include "bindings/config_binds.hpp"
#include "bindings/users.hpp"
#include "bot/account_tracker.hpp"
#include "bot/alertmanager/silences.hpp"
#include "bot/app_config.hpp"
#include "bot/commands/builtins.hpp"
#include "bot/commands/command.hpp"
#include "bot/commands/commands_config.hpp"
#include "bot/commands/mutes.hpp"
#include "bot/commands/worker.hpp"
#include "bot/dispatcher.hpp"
#include "bot/irc/client.hpp"
#include "bot/irc_port.hpp"
#include "bot/journal_sts_store.hpp"
#include "bot/planner.hpp"
#include "core/metrics.hpp"
#include "ingestion/bus/bus_config.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/manager.hpp"
#include "http/server.hpp"

namespace chatops::ingestion::bus {
class Producer;
class Speaker;
}  // namespace chatops::ingestion::bus

namespace chatops::bot {

class App final : public BotControl {
 public:
  // `version` is what `!status` and `!version` say.
  static Result<std::unique_ptr<App>> create(const AppConfig& config, std::string version);
  ~App();
  // Serves until SIGINT or SIGTERM; returns the process exit code.
  int run();

 private:
  App(const AppConfig& config, std::string version);
  // Builds every component from `root`, which the app does not keep: what it needs later (a
  // reload's comparison, the commands' settings) it keeps as text or as typed options.
  Result<void> build(const config::Node& root);
  // The Kafka journal (`bus:`): a receiver's sources submit to the bus; a speaker consumes it.
  Result<void> build_bus(const ingestion::bus::BusOptions& bus);
  config::Node sources_run_here(const config::Node& root) const;  // `sources:`, but on a speaker
  // The file's `commands:` and `alertmanager:`, checked (the HTTP client's module loaded when
  // silencing is on): what build_commands() builds from.
  struct CommandSettings {
    CommandsConfig commands;
    std::optional<SilenceApiOptions> alertmanager;
  };
  static Result<CommandSettings> command_settings(const config::Node& root);
  Result<void> build_commands();
  // A new bind table: the commands, then the binds of config.yml (at start and at a reload).
  Result<void> rebuild_binds(const std::vector<bindings::ConfigBind>& binds);
  void wire_irc();
  void on_irc_message(const irc::Message& m);
  void arm_minute_timer();
  nlohmann::json clock_data();  // what time and cron binds' templates see (bot/summary.hpp)
  void arm_prune_timer();
  void prune_dedupe_keys(std::chrono::system_clock::time_point now, std::int64_t deleted);
  void shutdown();
  // /healthz/live, /healthz/ready (and /healthz) and /metrics: gathered on the io thread, which
  // owns what they report, and answered without holding the HTTP loop.
  void serve_health(http::Responder responder, bool ready);
  void serve_metrics(http::Responder responder);
  Result<void> add_observability_routes();
  void register_metrics();

  // BotControl, for the built-in commands (bot/app_commands.cpp); on the io thread.
  BotStatus status() override;
  std::vector<ingestion::SourceReport> sources() override;
  std::vector<bindings::BindInfo> binds() override;
  bool set_paused(const std::string& source, bool paused) override;
  Result<std::vector<ingestion::IngestionEvent>> history(std::size_t limit, const std::string& topic_mask) override;
  void mute(Mute mute) override;
  std::optional<Mute> unmute(MuteKind kind, const std::string& name) override;
  const Mutes& mutes() const override { return mutes_; }
  bool is_channel(const std::string& name) const override;
  text::CaseMapping casemapping() const override;
  const bindings::UserList& users() const override { return users_; }
  Result<void> put_user(bindings::User user) override;
  Result<void> remove_user(const std::string& handle) override;
  const SeenNick* seen(const std::string& nick) const override { return accounts_.seen(nick, casemapping()); }
  std::vector<Ack> acks() override;
  Result<void> ack(Ack ack) override;
  std::vector<std::string> reload(const std::string& by) override;  // bot/app_reload.cpp
  // The sections that live as long as the process, as YAML, in a fixed order: what a reload compares.
  static std::vector<std::string> restart_sections(const config::Node& root);
  void arm_reload_signal();  // SIGHUP: reload
  std::shared_ptr<SilenceClient> silence_client() override { return silence_client_; }
  void restore_users();  // those added from IRC, from the journal
  // Mutes and pauses live in the journal's state table, so that a restart keeps them.
  void restore_controls();
  void remember(const std::string& key, const std::string& value,
                std::optional<std::chrono::system_clock::time_point> until = std::nullopt);
  void forget(const std::string& key);
  void release(const Mute& ended);  // what waited is planned again
  void arm_mute_timer();

  std::string config_path_;
  // restart_sections() at start: what irc, http, storage, log and delivery run on. Kept as text: a
  // handle on the validated configuration would hold all of its YAML nodes (~260 KB).
  const std::vector<std::string> started_sections_;
  CommandSettings command_settings_;  // as last loaded (at start, or by a reload)
  std::string version_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  asio::io_context io_;
  asio::signal_set signals_{io_};
  asio::signal_set reload_signal_{io_, SIGHUP};
  asio::steady_timer minute_timer_{io_};
  asio::steady_timer prune_timer_{io_};
  asio::steady_timer mute_timer_{io_};
  metrics::Registry registry_;
  metrics::Histogram* latency_ = nullptr;
  std::unique_ptr<ingestion::Journal> journal_;
  ingestion::bus::Role bus_role_ = ingestion::bus::Role::Off;
#ifdef CHATOPS_WITH_KAFKA
  std::unique_ptr<ingestion::bus::Producer> bus_producer_;  // receiver: where sources submit
  std::unique_ptr<ingestion::bus::Speaker> bus_speaker_;    // speaker: consumes the bus
#endif
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<ingestion::IngestionManager> manager_;
  bindings::UserList users_;
  bindings::BindTable binds_;
  std::unique_ptr<Planner> planner_;
  std::unique_ptr<JournalStsStore> sts_store_;  // outlives irc_
  std::unique_ptr<irc::Client> irc_;
  std::unique_ptr<ClientPort> port_;
  std::unique_ptr<Dispatcher> dispatcher_;
  AccountTracker accounts_;
  Mutes mutes_;
  std::unique_ptr<CommandTable> commands_;
  std::vector<std::unique_ptr<CommandTable>> retired_commands_;  // replaced by reloads; see reload()
  std::unique_ptr<CommandWorker> command_worker_;  // the commands' slow work (bot/commands/worker.hpp)
  std::shared_ptr<SilenceClient> silence_client_;  // when alertmanager.url is configured
  std::vector<std::string> channels_;  // configured
  bool stopping_ = false;
  bindings::handlers::HandlerServices handler_services_;  // for Lua and program handlers of binds
  // Last: destroyed first, stopping programs still running while everything they report to is there.
  std::unique_ptr<bindings::handlers::ProgramPool> programs_;
};

}  // namespace chatops::bot
