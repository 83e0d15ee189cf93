#pragma once
// The interface every source kind implements (webhook, api, db, file, stream, log, metric), and
// how it reports its state. A source gets its SourceRuntime at start: where it submits events,
// reads its cursor, keeps its state and counts.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "ingestion/sink.hpp"

namespace chatops::ingestion {

class SourceRuntime;

// Running: working. Retrying: a transient failure (an upstream down, a timeout); it retries by
// itself with backoff. Failed: it stopped; a configuration error is not retried, a transient one
// is, by the supervisor.
enum class SourceState { Starting, Running, Retrying, Failed, Stopped };
std::string_view to_string(SourceState s);

// What an error means for what happens next.
enum class ErrorKind {
  Configuration,  // permanent until the configuration changes: wrong credentials, a missing table
  Transient,      // worth retrying later: a connection refused, a timeout, a 503
};
std::string_view to_string(ErrorKind k);

struct SourceError {
  ErrorKind kind = ErrorKind::Transient;
  std::string message;
  // Upstream said when to ask again (HTTP Retry-After, a rate limit's reset): a transient error
  // that waits this long instead of the backoff.
  std::optional<std::chrono::milliseconds> retry_after{};
  static SourceError configuration(std::string message) { return {ErrorKind::Configuration, std::move(message)}; }
  static SourceError transient(std::string message) { return {ErrorKind::Transient, std::move(message)}; }
  static SourceError retry_later(std::string message, std::chrono::milliseconds after) {
    return {ErrorKind::Transient, std::move(message), after};
  }
};

template <class T = void>
using SourceResult = std::expected<T, SourceError>;

struct IngestionStatus {
  SourceState state = SourceState::Stopped;
  std::uint64_t consumed = 0;   // items read from upstream (requests, messages, rows, lines…)
  std::uint64_t processed = 0;  // turned into an event and accepted
  std::uint64_t skipped = 0;    // authenticated but unwanted, unmapped or already seen
  std::uint64_t failed = 0;     // rejected or could not be processed
  std::uint64_t committed = 0;  // acknowledged upstream (or checkpointed)
  std::string last_error;
  std::optional<ErrorKind> error_kind;  // of last_error
};

// Thread-safe counters and state a source keeps (the runtime owns one per source).
class StatusCounters {
 public:
  std::atomic<std::uint64_t> consumed{0}, processed{0}, skipped{0}, failed{0}, committed{0};
  void set_state(SourceState s) { state_.store(s); }
  SourceState state() const { return state_.load(); }
  // Records the error and moves to `state` (Retrying or Failed).
  void fail(const SourceError& error, SourceState state);
  void set_error(std::string message);  // a problem that changes nothing (an item refused)
  IngestionStatus snapshot() const;

 private:
  std::atomic<SourceState> state_{SourceState::Stopped};
  mutable std::mutex error_mutex_;
  std::string last_error_;
  std::optional<ErrorKind> error_kind_;
};

class IngestionSource {
 public:
  virtual ~IngestionSource() = default;
  // Begins and returns at once: connecting and reading happen on the source's own thread (or on
  // the HTTP loop). An error returned here is classified: a transient one is retried by the
  // supervisor with backoff, a configuration one is not.
  virtual SourceResult<> start(SourceRuntime& runtime) = 0;
  // Returns within about a second; nothing is submitted after it returns.
  virtual void stop() = 0;
};

}  // namespace chatops::ingestion
