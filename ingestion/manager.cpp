#include "ingestion/manager.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "core/backoff.hpp"

namespace chatops::ingestion {

using namespace std::chrono_literals;

namespace {
constexpr std::chrono::milliseconds kFirstRestart = 200ms;  // then doubling, up to a minute
}

struct IngestionManager::Managed {
  std::string name;
  std::string kind;
  std::unique_ptr<IngestionSource> source;
  Backoff backoff{kFirstRestart, 60s, 2.0, 0.2, std::random_device{}()};
  std::chrono::steady_clock::time_point next_attempt{};
  bool started = false;
  std::atomic<std::uint64_t> accepted{0}, duplicates{0}, refused{0}, restarts{0};
};

IngestionManager::IngestionManager(EventSink& journal, SourceContext context, const std::vector<SourceKind>& kinds)
    : journal_(journal), context_(context), kinds_(kinds) {}

IngestionManager::~IngestionManager() { stop(); }

Result<void> IngestionManager::configure(const config::Node& sources) {
  std::string errors;
  auto note = [&](const std::string& message) { errors += (errors.empty() ? "" : "\n") + message; };
  if (sources.defined() && !sources.is_sequence()) return std::unexpected(sources.error("expected a list of sources"));
  for (const auto& entry : sources.items()) {
    auto validated = validate_source(entry, kinds_);
    if (!validated) {
      note(validated.error().message);
      continue;
    }
    const auto name = validated->node.str("name");
    if (by_name_.contains(name)) {
      note(entry["name"].error("duplicate source name '" + name + "'").message);
      continue;
    }
    auto source = validated->kind->make(validated->node, context_);
    if (!source) {
      note(entry.error(source.error().message).message);
      continue;
    }
    auto managed = std::make_unique<Managed>();
    managed->name = name;
    managed->kind = validated->kind->name;
    managed->source = std::move(*source);
    by_name_[name] = managed.get();
    sources_.push_back(std::move(managed));
  }
  if (!errors.empty()) return fail(errors);
  return {};
}

void IngestionManager::try_start(Managed& m) {
  auto started = m.source->start(*this);
  if (started) {
    m.started = true;
    m.backoff.reset();
    spdlog::info("source {} ({}) started", m.name, m.kind);
    return;
  }
  auto delay = m.backoff.next();
  m.next_attempt = std::chrono::steady_clock::now() + delay;
  spdlog::error("source {} ({}) failed to start: {}; retrying in {} ms", m.name, m.kind, started.error().message,
                std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
}

void IngestionManager::start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    for (auto& m : sources_) try_start(*m);
  }
  supervisor_ = std::thread([this] { supervise(); });
}

void IngestionManager::supervise() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, 500ms, [this] { return stopping_; });
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    for (auto& m : sources_) {
      if (m->started && m->source->status().state == SourceState::Failed) {
        spdlog::warn("source {} ({}) failed: {}; restarting", m->name, m->kind, m->source->status().last_error);
        m->source->stop();
        m->started = false;
        ++m->restarts;
        m->next_attempt = now + m->backoff.next();
      } else if (!m->started && now >= m->next_attempt) {
        try_start(*m);
      }
    }
  }
}

void IngestionManager::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !supervisor_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  for (auto& m : sources_) {
    if (m->started) m->source->stop();
    m->started = false;
  }
}

void IngestionManager::submit(EventBatch batch, Completion done) {
  Managed* m = nullptr;
  if (auto it = by_name_.find(batch.source); it != by_name_.end()) m = it->second;
  for (auto& event : batch.events) {
    event.source = batch.source;
    if (m && event.family.empty()) event.family = m->kind;
  }
  if (!m) return journal_.submit(std::move(batch), std::move(done));
  journal_.submit(std::move(batch), [m, done = std::move(done)](const BatchResult& result) {
    m->accepted += result.count(Submission::Accepted);
    m->duplicates += result.count(Submission::Duplicate);
    m->refused += result.count(Submission::Refused);
    done(result);
  });
}

std::vector<SourceReport> IngestionManager::reports() const {
  std::vector<SourceReport> out;
  for (const auto& m : sources_) {
    out.push_back({m->name, m->kind, m->source->status(), m->accepted.load(), m->duplicates.load(), m->refused.load(),
                   m->restarts.load()});
  }
  return out;
}

bool IngestionManager::all_running() const {
  for (const auto& m : sources_)
    if (m->source->status().state != SourceState::Running) return false;
  return true;
}

}  // namespace chatops::ingestion
