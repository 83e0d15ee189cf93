#pragma once
// The interface every source kind implements (webhook, api, file, db, stream, log, metric).
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "ingestion/sink.hpp"

namespace chatops::ingestion {

enum class SourceState { Starting, Running, Failed, Stopped };
std::string_view to_string(SourceState s);

struct IngestionStatus {
  SourceState state = SourceState::Stopped;
  std::uint64_t consumed = 0;   // items read from upstream (requests, messages, lines…)
  std::uint64_t processed = 0;  // turned into an event and accepted
  std::uint64_t skipped = 0;    // authenticated but unwanted or unmapped
  std::uint64_t failed = 0;     // rejected or could not be processed
  std::uint64_t committed = 0;  // acknowledged upstream
  std::string last_error;
};

// Thread-safe counters a source keeps and reports through status().
class StatusCounters {
 public:
  std::atomic<std::uint64_t> consumed{0}, processed{0}, skipped{0}, failed{0}, committed{0};
  void set_state(SourceState s) { state_.store(s); }
  void set_error(std::string message);
  IngestionStatus snapshot() const;

 private:
  std::atomic<SourceState> state_{SourceState::Stopped};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

class IngestionSource {
 public:
  virtual ~IngestionSource() = default;
  virtual const std::string& name() const = 0;
  virtual std::string_view kind() const = 0;
  // Starts consuming; events go to `sink`. An error here is retried by the manager with backoff.
  virtual Result<void> start(EventSink& sink) = 0;
  virtual void stop() = 0;
  virtual IngestionStatus status() const = 0;
};

}  // namespace chatops::ingestion
