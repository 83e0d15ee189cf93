#pragma once
// The application: owns every component and wires them as docs/architecture.md draws them.
#include <memory>

#include <asio.hpp>

#include "bindings/bind_table.hpp"
#include "bindings/users.hpp"
#include "bot/app_config.hpp"
#include "bot/dispatcher.hpp"
#include "bot/irc/client.hpp"
#include "bot/irc_port.hpp"
#include "bot/journal_sts_store.hpp"
#include "bot/planner.hpp"
#include "core/metrics.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/manager.hpp"
#include "http/server.hpp"

namespace chatops::bot {

class App {
 public:
  static Result<std::unique_ptr<App>> create(const AppConfig& config);
  ~App();
  // Serves until SIGINT or SIGTERM; returns the process exit code.
  int run();

 private:
  explicit App(const AppConfig& config);
  Result<void> build();
  void wire_irc();
  void on_irc_message(const irc::Message& m);
  void arm_minute_timer();
  void arm_prune_timer();
  void shutdown();
  // /healthz/live, /healthz/ready (and /healthz) and /metrics: gathered on the io thread, which
  // owns what they report, and answered without holding the HTTP loop.
  void serve_health(http::Responder responder, bool ready);
  void serve_metrics(http::Responder responder);
  Result<void> add_observability_routes();
  void register_metrics();

  AppConfig config_;
  asio::io_context io_;
  asio::signal_set signals_{io_};
  asio::steady_timer minute_timer_{io_};
  asio::steady_timer prune_timer_{io_};
  metrics::Registry registry_;
  metrics::Histogram* latency_ = nullptr;
  std::unique_ptr<ingestion::Journal> journal_;
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<ingestion::IngestionManager> manager_;
  bindings::UserList users_;
  bindings::BindTable binds_;
  std::unique_ptr<Planner> planner_;
  std::unique_ptr<JournalStsStore> sts_store_;  // outlives irc_
  std::unique_ptr<irc::Client> irc_;
  std::unique_ptr<ClientPort> port_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::vector<std::string> channels_;  // configured
  bool stopping_ = false;
};

}  // namespace chatops::bot
