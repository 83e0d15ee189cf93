#include "ingestion/runtime/source_runtime.hpp"

#include <future>

#include <spdlog/spdlog.h>

namespace chatops::ingestion {

SourceRuntime::SourceRuntime(std::string name, std::string family, SourceStore& store, metrics::Registry* registry)
    : name_(std::move(name)), family_(std::move(family)), scope_(source_state_scope(name_)), store_(store),
      metrics_(registry, name_) {}

void SourceRuntime::submit(std::vector<IngestionEvent> events, std::optional<std::string> cursor, Completion done,
                           std::vector<StateChange> state) {
  if (!open_.load()) {
    ++late_;
    spdlog::error("source {}: submitted {} events after it was stopped; refused", name_, events.size());
    return done(BatchResult::refused(events.size(), "source " + name_ + " is stopped"));
  }
  for (auto& e : events) {
    e.source = name_;
    e.family = family_;
  }
  store_.submit(EventBatch{name_, std::move(events), std::move(cursor), std::move(state)},
                [this, done = std::move(done)](const BatchResult& result) {
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
