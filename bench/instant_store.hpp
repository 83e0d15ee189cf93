#pragma once
// A store that takes every batch at once and keeps only the cursor: what a source costs by
// itself, without the journal (db_bench, log_bench).
#include <mutex>
#include <optional>
#include <string>

#include "ingestion/runtime/store.hpp"

namespace chatops::bench {

class InstantStore final : public ingestion::SourceStore {
 public:
  void submit(ingestion::EventBatch batch, ingestion::Completion done) override {
    {
      std::lock_guard lock(mutex_);
      if (batch.cursor) cursor_ = batch.cursor;
    }
    const auto n = batch.events.size();
    done({std::vector(n, ingestion::Submission::Accepted), std::vector<std::int64_t>(n), ""});
  }
  Result<std::optional<std::string>> cursor(std::string_view) override {
    std::lock_guard lock(mutex_);
    return cursor_;
  }
  Result<void> put_state(std::string_view, std::string_view, std::string_view,
                         std::optional<std::chrono::system_clock::time_point>) override {
    return {};
  }
  Result<std::optional<std::string>> get_state(std::string_view, std::string_view) override { return std::nullopt; }
  Result<std::vector<std::pair<std::string, std::string>>> list_state(std::string_view) override { return {}; }
  Result<void> delete_state(std::string_view, std::string_view) override { return {}; }

 private:
  std::mutex mutex_;
  std::optional<std::string> cursor_;
};

}  // namespace chatops::bench
