#include "ingestion/runtime/source_runtime.hpp"

#include <future>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace chatops::ingestion {

namespace {

// What the log says of each event once the journal has answered: an info line per accepted event,
// a warning when the batch was refused (the source retries or its sender does).
class AnswerLog {
 public:
  AnswerLog(const std::string& source, const std::vector<IngestionEvent>& events) : source_(source) {
    if (!spdlog::should_log(spdlog::level::info)) return;  // nothing is copied when nothing is logged
    for (const auto& e : events) events_.push_back({e.topic, e.dedupe_key});
  }
  void write(const BatchResult& result) const {
    if (!result.committed())
      spdlog::warn("source {}: {} events refused by the journal: {}", source_, result.outcomes.size(), result.error);
    for (std::size_t i = 0; i < events_.size() && i < result.outcomes.size(); ++i) {
      if (result.outcomes[i] != Submission::Accepted) continue;
      const auto& [topic, key] = events_[i];
      spdlog::info("source {}: accepted {} as journal id {}, dedupe key {}", source_, topic, i < result.ids.size() ? result.ids[i] : 0,
                   key.empty() ? "(none)" : key);
    }
  }

 private:
  std::string source_;
  std::vector<std::pair<std::string, std::string>> events_;  // topic, dedupe key
};

}  // namespace

SourceRuntime::SourceRuntime(std::string name, std::string family, SourceStore& store, metrics::Registry* registry)
    : name_(std::move(name)), family_(std::move(family)), scope_(source_state_scope(name_)), store_(store),
      metrics_(registry, name_) {}

void SourceRuntime::submit(std::vector<IngestionEvent> events, std::optional<std::string> cursor, Completion done,
                           std::vector<StateChange> state, std::shared_ptr<BatchChain> chain) {
  if (!open_.load()) {
    ++late_;
    spdlog::error("source {}: submitted {} events after it was stopped; refused", name_, events.size());
    if (chain) chain->broken = true;
    return done(BatchResult::refused(events.size(), "source " + name_ + " is stopped"));
  }
  if (!relay_)
    for (auto& e : events) {
      e.source = name_;
      e.family = family_;
    }
  AnswerLog log(name_, events);
  store_.submit(EventBatch{name_, std::move(events), std::move(cursor), std::move(state), std::move(chain)},
                [this, log = std::move(log), done = std::move(done)](const BatchResult& result) {
                  log.write(result);
                  accepted_ += result.count(Submission::Accepted);
                  duplicates_ += result.count(Submission::Duplicate);
                  refused_ += result.count(Submission::Refused);
                  done(result);
                });
}

BatchResult SourceRuntime::submit_and_wait(std::vector<IngestionEvent> events, std::optional<std::string> cursor,
                                           std::vector<StateChange> state) {
  std::promise<BatchResult> answer;
  auto result = answer.get_future();
  submit(std::move(events), std::move(cursor), [&answer](const BatchResult& r) { answer.set_value(r); },
         std::move(state));
  return result.get();
}

Result<std::optional<std::string>> SourceRuntime::cursor() { return store_.cursor(name_); }

Result<void> SourceRuntime::put_state(std::string_view key, std::string_view value,
                                      std::optional<std::chrono::system_clock::time_point> expires) {
  return store_.put_state(scope_, key, value, expires);
}

Result<std::optional<std::string>> SourceRuntime::get_state(std::string_view key) { return store_.get_state(scope_, key); }

Result<std::vector<std::pair<std::string, std::string>>> SourceRuntime::list_state() { return store_.list_state(scope_); }

Result<void> SourceRuntime::delete_state(std::string_view key) { return store_.delete_state(scope_, key); }

}  // namespace chatops::ingestion
