#include "ingestion/manager.hpp"

#include <pthread.h>

#include <algorithm>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "core/backoff.hpp"

namespace chatops::ingestion {

using namespace std::chrono_literals;

namespace {
constexpr std::chrono::milliseconds kFirstRestart = 200ms;  // then doubling, up to a minute
constexpr auto kSupervisionTick = 200ms;
}  // namespace

struct IngestionManager::Managed {
  Managed(std::string n, std::string k, std::string family, SourceStore& store, metrics::Registry* registry)
      : name(std::move(n)), kind(std::move(k)), runtime(name, std::move(family), store, registry) {}
  std::string name, kind;
  SourceRuntime runtime;
  std::unique_ptr<IngestionSource> source;
  // The supervisor thread's alone:
  Backoff backoff{kFirstRestart, 60s, 2.0, 0.2, std::random_device{}()};
  std::chrono::steady_clock::time_point next_attempt{};
  bool started = false;
  std::atomic<std::uint64_t> restarts{0};
  std::string declared;  // the validated entry as YAML: what a reload compares
  const SourceKind* declared_kind = nullptr;
  config::Node validated;
  config::Node entry;  // where the entry is written, for the places of errors (detached: no YAML)
  bool keep = false;  // in a reconfigure's list: the running source of that name stays
};

Result<void> IngestionManager::make_source(Managed& m) {
  auto source = m.declared_kind->make(m.validated, services_);
  if (!source) {
    // Kinds name the place of what they refuse; a message that does not is placed at the entry.
    const auto& message = source.error().message;
    return std::unexpected(m.entry.file() && message.starts_with(*m.entry.file() + ":") ? source.error()
                                                                                          : m.entry.error(message));
  }
  m.source = std::move(*source);
  return {};
}

IngestionManager::IngestionManager(SourceStore& store, SourceServices services, metrics::Registry* registry,
                                   const std::vector<SourceKind>& kinds)
    : store_(store), services_(services), registry_(registry), kinds_(kinds) {
  if (registry_) register_metrics(*registry_);
}

IngestionManager::~IngestionManager() { stop(); }

Result<std::vector<std::unique_ptr<IngestionManager::Managed>>> IngestionManager::build(const config::Node& sources) {
  std::string errors;
  auto note = [&](const std::string& message) { errors += (errors.empty() ? "" : "\n") + message; };
  if (sources.defined() && !sources.is_sequence()) return std::unexpected(sources.error("expected a list of sources"));
  std::map<std::string, bool, std::less<>> names;
  std::vector<std::unique_ptr<Managed>> built;
  for (const auto& entry : sources.items()) {
    auto validated = validate_source(entry, kinds_);
    if (!validated) {
      note(validated.error().message);
      continue;
    }
    const auto name = validated->node.str("name");
    if (!names.emplace(name, true).second) {
      note(entry["name"].error("duplicate source name '" + name + "'").message);
      continue;
    }
    auto managed = std::make_unique<Managed>(name, validated->kind->name, validated->kind->family, store_, registry_);
    managed->declared = YAML::Dump(validated->node.yaml());
    managed->declared_kind = validated->kind;
    managed->validated = validated->node;
    managed->entry = entry.detached();  // not a handle on the whole validated configuration
    built.push_back(std::move(managed));
  }
  if (!errors.empty()) return fail(errors);
  return built;
}

Result<void> IngestionManager::configure(const config::Node& sources) {
  auto built = build(sources);
  if (!built) return std::unexpected(built.error());
  std::string errors;
  for (auto& m : *built) {
    auto made = make_source(*m);
    if (!made) errors += (errors.empty() ? "" : "\n") + made.error().message;
  }
  if (!errors.empty()) return fail(errors);
  std::lock_guard lock(sources_mutex_);
  sources_ = std::move(*built);
  return {};
}

Result<SourceChanges> IngestionManager::reconfigure(const config::Node& sources) {
  auto built = build(sources);
  if (!built) return std::unexpected(built.error());
  SourceChanges changes;
  std::string errors;
  {
    std::lock_guard lock(sources_mutex_);
    for (auto& m : *built) {
      const auto old = std::ranges::find(sources_, m->name, &Managed::name);
      if (old != sources_.end() && (*old)->declared == m->declared) {
        m->keep = true;  // the running one stays, untouched
        continue;
      }
      (old == sources_.end() ? changes.added : changes.changed).push_back(m->name);
      if (old != sources_.end()) m->runtime.set_paused((*old)->runtime.paused());
    }
    for (const auto& old : sources_)
      if (std::ranges::find(*built, old->name, &Managed::name) == built->end()) changes.removed.push_back(old->name);
  }
  // Built outside the lock: reports do not wait for a kind's make().
  for (auto& m : *built)
    if (!m->keep)
      if (auto made = make_source(*m); !made) errors += (errors.empty() ? "" : "\n") + made.error().message;
  if (!errors.empty()) return fail(errors);
  if (changes.empty()) return changes;
  {
    std::lock_guard lock(wake_mutex_);
    pending_ = std::move(*built);
  }
  wake_.notify_all();
  return changes;
}

void IngestionManager::apply_pending() {
  std::optional<std::vector<std::unique_ptr<Managed>>> next;
  {
    std::lock_guard lock(wake_mutex_);
    next.swap(pending_);
  }
  if (!next) return;
  // The new list, at once (reports never see half of it): the kept sources moved over as they
  // run; the others stopped after (a webhook's path is free again before its successor takes it),
  // then the new ones started.
  std::vector<std::unique_ptr<Managed>> stopping;
  {
    std::lock_guard lock(sources_mutex_);
    for (auto& m : *next) {
      if (!m->keep) continue;
      for (auto& old : sources_)
        if (old && old->name == m->name) {
          m = std::move(old);
          break;
        }
    }
    for (auto& old : sources_)
      if (old) stopping.push_back(std::move(old));
    sources_ = std::move(*next);
  }
  for (auto& m : stopping) {
    stop_one(*m);
    spdlog::info("source {} ({}) stopped by a reload", m->name, m->kind);
    retired_.push_back(std::move(m));
  }
  for (auto& m : sources_)
    if (!m->started && m->next_attempt != std::chrono::steady_clock::time_point::max()) start_one(*m);
}

void IngestionManager::start_one(Managed& m) {
  auto& status = m.runtime.status();
  status.set_state(SourceState::Starting);
  m.runtime.open();
  auto started = m.source->start(m.runtime);
  if (started) {
    m.started = true;
    m.backoff.reset();
    spdlog::info("source {} ({}) started", m.name, m.kind);
    return;
  }
  m.runtime.close();
  status.fail(started.error(), SourceState::Failed);
  if (started.error().kind == ErrorKind::Configuration) {
    spdlog::error("source {} ({}) cannot start: {}; it stays stopped until the configuration changes", m.name, m.kind,
                  started.error().message);
    m.next_attempt = std::chrono::steady_clock::time_point::max();
    return;
  }
  const auto delay = m.backoff.next();
  m.next_attempt = std::chrono::steady_clock::now() + delay;
  spdlog::warn("source {} ({}) failed to start: {}; retrying in {} ms", m.name, m.kind, started.error().message,
               delay.count());
}

void IngestionManager::stop_one(Managed& m) {
  if (!m.started) return;
  m.source->stop();
  m.runtime.close();
  m.started = false;
}

void IngestionManager::start() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = false;
  }
  supervisor_ = std::thread([this] { supervise(); });
}

void IngestionManager::supervise() {
  pthread_setname_np(pthread_self(), "supervisor");
  for (auto& m : sources_) start_one(*m);
  for (;;) {
    {
      std::unique_lock lock(wake_mutex_);
      if (wake_.wait_for(lock, kSupervisionTick, [this] { return stopping_ || pending_; }) && stopping_) break;
    }
    apply_pending();
    const auto now = std::chrono::steady_clock::now();
    for (auto& m : sources_) {
      const auto status = m->runtime.status().snapshot();
      // A running source that failed on its own (its thread gave up): stopped, then restarted
      // unless the failure is a configuration one.
      if (m->started && status.state == SourceState::Failed) {
        stop_one(*m);
        if (status.error_kind == ErrorKind::Configuration) {
          m->runtime.status().fail(SourceError{ErrorKind::Configuration, status.last_error}, SourceState::Failed);
          m->next_attempt = std::chrono::steady_clock::time_point::max();
          spdlog::error("source {} ({}) failed: {}; not retried until the configuration changes", m->name, m->kind,
                        status.last_error);
          continue;
        }
        ++m->restarts;
        m->next_attempt = now + m->backoff.next();
        spdlog::warn("source {} ({}) failed: {}; restarting", m->name, m->kind, status.last_error);
      } else if (!m->started && now >= m->next_attempt) {
        start_one(*m);
      }
    }
  }
  for (auto& m : sources_) stop_one(*m);
  std::lock_guard lock(wake_mutex_);
  pending_.reset();  // a reconfigure that came too late: its sources are never started
}

void IngestionManager::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
}

std::vector<SourceReport> IngestionManager::reports() const {
  std::vector<SourceReport> out;
  std::lock_guard lock(sources_mutex_);
  for (const auto& m : sources_)
    out.push_back({m->name, m->kind, m->runtime.family(), m->runtime.status().snapshot(), m->runtime.accepted(),
                   m->runtime.duplicates(), m->runtime.refused(), m->restarts.load(), m->runtime.paused(),
                   std::nullopt, std::nullopt});
  for (const auto& report : extra_reports_) out.push_back(report());
  return out;
}

bool IngestionManager::set_paused(std::string_view name, bool paused) {
  std::lock_guard lock(sources_mutex_);
  for (const auto& m : sources_)
    if (m->name == name) {
      m->runtime.set_paused(paused);
      return true;
    }
  return false;
}

bool IngestionManager::all_running() const {
  std::lock_guard lock(sources_mutex_);
  for (const auto& m : sources_)
    if (m->runtime.status().state() != SourceState::Running) return false;
  return true;
}

void IngestionManager::register_metrics(metrics::Registry& registry) {
  registry.add_collector([this](metrics::MetricWriter& w) {
    for (const auto& r : reports()) {
      const metrics::LabelPairs source{{"source", r.name}};
      w.gauge("chatops_source_up", "1 when the source is running.", r.status.state == SourceState::Running ? 1 : 0,
              source);
      for (const auto state : {SourceState::Starting, SourceState::Running, SourceState::Retrying, SourceState::Failed,
                               SourceState::Stopped})
        w.gauge("chatops_source_state", "The source's state (1 for the current one).", r.status.state == state ? 1 : 0,
                {{"source", r.name}, {"state", std::string(to_string(state))}});
      const bool failing = r.status.state == SourceState::Retrying || r.status.state == SourceState::Failed;
      for (const auto kind : {ErrorKind::Configuration, ErrorKind::Transient})
        w.gauge("chatops_source_error", "1 while the source is failing with an error of this class.",
                failing && r.status.error_kind == kind ? 1 : 0,
                {{"source", r.name}, {"class", std::string(to_string(kind))}});
      const std::pair<const char*, std::uint64_t> counts[] = {{"consumed", r.status.consumed},
                                                              {"processed", r.status.processed},
                                                              {"skipped", r.status.skipped},
                                                              {"failed", r.status.failed},
                                                              {"committed", r.status.committed}};
      for (const auto& [what, n] : counts)
        w.counter("chatops_source_items_total", "Items a source handled, by outcome.", static_cast<double>(n),
                  {{"source", r.name}, {"outcome", what}});
      w.counter("chatops_events_accepted_total", "Events journaled.", static_cast<double>(r.accepted), source);
      w.counter("chatops_events_duplicate_total", "Events suppressed as duplicates (dedupe key seen).",
                static_cast<double>(r.duplicates), source);
      w.counter("chatops_events_refused_total", "Events the journal could not store (not acknowledged).",
                static_cast<double>(r.refused), source);
      w.counter("chatops_source_restarts_total", "Restarts of a failed source.", static_cast<double>(r.restarts),
                source);
      if (r.outstanding)
        w.gauge("chatops_source_outstanding",
                "Messages a consumer has taken and not yet ended (the Kafka journal's speaker: not yet said, so "
                "not yet committed).",
                static_cast<double>(*r.outstanding), source);
    }
  });
}

}  // namespace chatops::ingestion
