#include "bot/app.hpp"

#include <csignal>
#include <ctime>
#include <future>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bindings/config_binds.hpp"
#include "bindings/handlers/handlers_config.hpp"
#include "bot/delivery_config.hpp"
#include "bot/irc_events.hpp"
#include "bot/summary.hpp"
#include "core/tls/tls.hpp"
#include "ingestion/journal/journal_config.hpp"
#ifdef CHATOPS_WITH_KAFKA
#include "ingestion/bus/kafka_bus_config.hpp"
#endif

namespace chatops::bot {

using namespace std::chrono_literals;

namespace {
// A receiver without `irc:`: the client the rest of the app is wired to, never started (a
// receiver says nothing), so its server is never reached.
irc::ClientConfig receiver_irc_config() {
  irc::ClientConfig c;
  c.servers.push_back({.host = "unused.invalid", .port = 6697, .tls = true});
  c.nick = "receiver";
  return c;
}
}  // namespace

Result<std::unique_ptr<App>> App::create(const AppConfig& config, std::string version) {
  std::unique_ptr<App> app(new App(config, std::move(version)));
  if (auto built = app->build(config.root); !built) return std::unexpected(built.error());
  return app;
}

App::App(const AppConfig& config, std::string version)
    : config_path_(config.path), started_sections_(restart_sections(config.root)), version_(std::move(version)) {}

App::~App() {
  // No new requests, then no new submissions; then the journal answers what is queued (the
  // completions still use the sources' runtimes, which the manager owns), and only then the rest.
  if (http_) http_->stop();
  if (manager_) manager_->stop();
#ifdef CHATOPS_WITH_KAFKA
  // The bus before the journal: the producer answers (and saves the cursors of) what it holds.
  bus_speaker_.reset();
  bus_producer_.reset();
#endif
  journal_.reset();
  manager_.reset();
}

Result<void> App::build(const config::Node& root) {
  auto journal = ingestion::Journal::open(ingestion::journal_options(root.map("storage")));
  if (!journal) return std::unexpected(journal.error());
  journal_ = std::move(*journal);

  auto http = http::server_options(root.map("http"));
  if (!http) return std::unexpected(http.error());
  http_ = std::make_unique<http::Server>(*http, &registry_);

  auto bus = ingestion::bus::bus_options(root.map("bus"));
  if (!bus) return std::unexpected(bus.error());
  if (auto built = build_bus(*bus); !built) return built;
  ingestion::SourceStore* store = journal_.get();
#ifdef CHATOPS_WITH_KAFKA
  if (bus_producer_) store = bus_producer_.get();
#endif
  manager_ = std::make_unique<ingestion::IngestionManager>(*store, ingestion::SourceServices{http_.get()}, &registry_);
  if (auto configured = manager_->configure(sources_run_here(root)); !configured) return configured;
#ifdef CHATOPS_WITH_KAFKA
  if (bus_speaker_) manager_->also_report([this] { return bus_speaker_->report(); });
#endif

  auto users = bindings::UserList::from(root["users"]);
  if (!users) return std::unexpected(users.error());
  users_ = std::move(*users);

  // A receiver says nothing: it may have no `irc:` (its client is then never started either).
  if (!root.has("irc") && bus_role_ != ingestion::bus::Role::Receiver)
    return fail("missing irc: (only a bus receiver runs without IRC)");
  auto irc_config = root.has("irc") ? irc::ClientConfig::from(root.map("irc")) : receiver_irc_config();
  if (!irc_config) return std::unexpected(irc_config.error());
  // TLS is the openssl module's: a missing one stops start-up at the first server that needs it.
  for (std::size_t i = 0; root.has("irc") && i < irc_config->servers.size(); ++i)
    if (irc_config->servers[i].tls)
      if (auto loaded = tls::load_module(); !loaded)
        return std::unexpected(root.map("irc")["servers"].items()[i]["tls"].error(loaded.error().message));
  for (const auto& channel : irc_config->channels) channels_.push_back(channel.name);
  sts_store_ = std::make_unique<JournalStsStore>(*journal_);
  irc_ = std::make_unique<irc::Client>(io_, *irc_config, sts_store_.get());
  port_ = std::make_unique<ClientPort>(*irc_, [this](const std::string& target) {
    return mutes_.channel_muted(target, casemapping());
  });

  planner_ = std::make_unique<Planner>(*port_);
  command_worker_ = std::make_unique<CommandWorker>(io_);
  auto binds = bindings::parse_binds(root["binds"]);
  if (!binds) return std::unexpected(binds.error());
  auto commands = command_settings(root);
  if (!commands) return std::unexpected(commands.error());
  command_settings_ = std::move(*commands);
  const auto handler_options = bindings::handlers::handler_options(root.map("handlers"));
  programs_ = std::make_unique<bindings::handlers::ProgramPool>(handler_options.programs);
  handler_services_ = {.lua = handler_options.lua,
                       .max_output = handler_options.max_output,
                       .programs = programs_.get(),
                       .post = [this](std::function<void()> work) { asio::post(io_, std::move(work)); },
                       .resume = [this](const std::string& waiting_for) { dispatcher_->target_ready(waiting_for); }};
  if (auto rebuilt = rebuild_binds(*binds); !rebuilt) return rebuilt;

  register_metrics();
  auto options = dispatcher_options(root.map("delivery"), irc_config->flood_burst, irc_config->flood_rate);
  options.on_latency = [this](std::chrono::duration<double> d) { latency_->observe(d.count()); };
  options.holds_source = [this](const std::string& source) { return mutes_.source_muted(source); };
  dispatcher_ = std::make_unique<Dispatcher>(
      *journal_, [this](const ingestion::IngestionEvent& e) { return planner_->plan(binds_, e); }, *port_, options);

  restore_controls();
  restore_users();
  if (auto routed = add_observability_routes(); !routed) return routed;
  journal_->hand_committed_to_reader();  // the dispatcher need not read back what was just written
  journal_->set_on_new_events([this](std::int64_t) { asio::post(io_, [this] { dispatcher_->pump(); }); });
  wire_irc();
  return {};
}

config::Node App::sources_run_here(const config::Node& root) const {
  // A speaker's events come from the bus: the sources of its file run on the receivers (the file
  // lists them for its binds' sake), and are not built here, where nothing would start them.
  return bus_role_ == ingestion::bus::Role::Speaker ? config::Node() : root["sources"];
}

Result<void> App::build_bus(const ingestion::bus::BusOptions& bus) {
  bus_role_ = bus.role;
#ifdef CHATOPS_WITH_KAFKA
  if (bus.role == ingestion::bus::Role::Receiver) {
    auto producer = ingestion::bus::open_bus_producer(bus, *journal_, &registry_);
    if (!producer) return std::unexpected(producer.error());
    bus_producer_ = std::move(*producer);
    spdlog::info("bus: receiver: sources' events go to topic {} on {}", bus.topic, bus.brokers);
  } else if (bus.role == ingestion::bus::Role::Speaker) {
    // What a previous run journaled and did not say is still on the bus, after the committed
    // offset: whichever speaker holds the partition now says it (a standby may have already).
    auto handed = journal_->hand_back_pending("handed back to the bus at a speaker's start");
    if (!handed) return std::unexpected(handed.error());
    if (*handed) spdlog::info("bus: {} events not said by the previous run are left to the bus", *handed);
    auto speaker = ingestion::bus::make_bus_speaker(bus, *journal_, &registry_);
    if (!speaker) return std::unexpected(speaker.error());
    bus_speaker_ = std::move(*speaker);
    spdlog::info("bus: speaker: consuming topic {} in group {} on {}", bus.topic, bus.group, bus.brokers);
  }
#endif
  return {};
}

Result<void> App::rebuild_binds(const std::vector<bindings::ConfigBind>& binds) {
  binds_ = bindings::BindTable{};
  binds_.on_handler_failure = [this](const bindings::Origin& origin, const std::string& what) {
    planner_->handler_failed(origin, what);
  };
  // Commands first: a config bind on the same word (`!status`) replaces the built-in.
  if (auto commands = build_commands(); !commands) return commands;
  if (auto installed = bindings::install_binds(binds_, binds, *planner_, &handler_services_); !installed)
    return std::unexpected(installed.error());
  return {};
}

void App::wire_irc() {
  irc_->on_joined = [this](const std::string& channel) {
    // Who is already there, and logged in to which account (extended-join and account-notify
    // only tell about later joins and changes).
    if (irc_->isupport().get("WHOX")) irc_->send(whox_query(channel));
    dispatcher_->target_ready(channel);
  };
  irc_->on_registered = [this] { dispatcher_->pump(); };  // private-message targets are ready now
  irc_->on_disconnected = [this](const std::string&) {
    accounts_.clear();  // learnt again from the next connection's joins
    dispatcher_->connection_lost();
  };
  irc_->on_join_failed = [](const std::string& channel, const std::string& reason) {
    spdlog::error("cannot join {}: {}; its events are kept in the journal", channel, reason);
  };
  irc_->on_message = [this](const irc::Message& m) { on_irc_message(m); };
}

void App::on_irc_message(const irc::Message& m) {
  const auto mapping = irc_->isupport().casemapping();
  accounts_.observe(m, mapping);
  for (const auto& d : irc_binds(m, irc_->status().nick, users_, irc_->isupport(), commands_->options().prefix, &accounts_))
    binds_.dispatch(d.type, d.match_text, bindings::BindContext(d.context), mapping);
}

void App::arm_minute_timer() {
  // time and cron binds run at the start of every minute.
  const auto now = std::chrono::system_clock::now();
  const auto next = std::chrono::ceil<std::chrono::minutes>(now + 1ms);
  minute_timer_.expires_after(next - now);
  minute_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&t, &local);
    binds_.dispatch_minute(local, binds_.has_clock_binds() ? clock_data() : nlohmann::json::object());
    arm_minute_timer();
  });
}

nlohmann::json App::clock_data() {
  constexpr auto kWindow = std::chrono::hours(24);  // what "events" counts per source
  constexpr std::size_t kAlertScan = 500;           // Alertmanager notifications looked through
  SummaryInput input{manager_->reports(), {}, {}, 0};
  if (auto received = journal_->received_per_source(kWindow)) input.received = std::move(*received);
  else spdlog::error("summary: {}", received.error().message);
  if (auto alerts = journal_->history(kAlertScan, "alertmanager/*")) input.alert_events = std::move(*alerts);
  else spdlog::error("summary: {}", alerts.error().message);
  if (auto backlog = journal_->backlog()) input.backlog = *backlog;
  return clock_summary(input);
}

void App::arm_prune_timer() {
  prune_timer_.expires_after(1h);
  prune_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    const auto now = std::chrono::system_clock::now();
    if (auto pruned = journal_->prune(now); !pruned)
      spdlog::error("journal: pruning failed: {}", pruned.error().message);
    else if (pruned->events)
      spdlog::info("journal: pruned {} done events", pruned->events);
    prune_dedupe_keys(now, 0);
  });
}

// A step per handler, so that what is due on the io thread (IRC, the dispatcher) runs between
// them; the timer is armed again once the walk is done.
void App::prune_dedupe_keys(std::chrono::system_clock::time_point now, std::int64_t deleted) {
  constexpr std::size_t kKeysPerStep = 2000;
  if (stopping_) return;
  auto step = journal_->prune_dedupe_keys(now, kKeysPerStep);
  if (!step) {
    spdlog::error("journal: pruning dedupe keys failed: {}", step.error().message);
  } else if (!step->finished) {
    asio::post(io_, [this, now, deleted = deleted + step->deleted] { prune_dedupe_keys(now, deleted); });
    return;
  } else if (deleted + step->deleted > 0) {
    spdlog::info("journal: pruned {} dedupe keys", deleted + step->deleted);
  }
  arm_prune_timer();
}

int App::run() {
  if (auto started = http_->start(); !started) {
    spdlog::critical("{}", started.error().message);
    return 1;
  }
  manager_->start();  // a speaker has none (sources_run_here)
#ifdef CHATOPS_WITH_KAFKA
  if (bus_speaker_) bus_speaker_->start();
#endif
  // A receiver says nothing: its events are said by the speaker.
  if (bus_role_ != ingestion::bus::Role::Receiver) irc_->start();
  asio::post(io_, [this] { dispatcher_->pump(); });  // replay what a previous run left undone
  arm_minute_timer();
  arm_prune_timer();
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.async_wait([this](const asio::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    shutdown();
  });
  arm_reload_signal();
  io_.run();
  return 0;
}

void App::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  // Stop taking events first; whatever is journaled but unsaid waits for the next start.
  http_->stop();
  manager_->stop();
#ifdef CHATOPS_WITH_KAFKA
  if (bus_speaker_) bus_speaker_->stop();
#endif
  minute_timer_.cancel();
  prune_timer_.cancel();
  mute_timer_.cancel();
  reload_signal_.cancel();
  irc_->stop("shutting down", [this] { io_.stop(); });
}

}  // namespace chatops::bot
