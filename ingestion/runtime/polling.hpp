#pragma once
// The base of every source that asks upstream at intervals (REST APIs, SQL queries, metric
// queries): one thread per source, so runs never overlap; an interval with jitter, so that many
// pollers started together do not ask in lockstep; a deadline per run; exponential backoff after a
// failure (or the wait upstream asked for: SourceError::retry_later), reconnecting (open() again)
// before the next run; a configuration error ends it (the supervisor leaves it Failed); stop()
// returns within about a second, interrupting a run under way.
//
// A kind implements poll(): read what is new, submit it with the new cursor through runtime(),
// and wait for the journal before it acknowledges anything upstream.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/backoff.hpp"
#include "core/config/node.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion {

struct PollOptions {
  std::chrono::milliseconds interval{std::chrono::minutes(1)};
  double jitter = 0.1;  // each wait is drawn from [interval × (1 − jitter), interval]
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // of one run
  std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(5)};
};

// Declares interval (with its default), jitter, timeout and backoff on a polling kind's schema.
void add_poll_fields(config::Schema& schema, const std::string& default_interval);
PollOptions poll_options(const config::Node& validated);

class PollingSource : public IngestionSource {
 public:
  explicit PollingSource(PollOptions options);
  ~PollingSource() override;  // a derived kind must stop() in its own destructor (its virtuals go first)

  SourceResult<> start(SourceRuntime& runtime) final;  // starts the poller's thread
  void stop() final;                                     // interrupts, then joins it

 protected:
  // On the poller's thread, before the first run and again after a failed one: connect.
  virtual SourceResult<> open() { return {}; }
  // One run, on the poller's thread. It must respect `deadline` (through its library's timeouts)
  // and return soon after interrupt().
  virtual SourceResult<> poll(std::chrono::steady_clock::time_point deadline) = 0;
  // From stop(), on another thread: make a run under way return soon (cancel a request, a query).
  virtual void interrupt() {}
  // On the poller's thread, after a failed run and at the end: disconnect.
  virtual void close() {}

  SourceRuntime& runtime() { return *runtime_; }
  bool stopping() const;
  const PollOptions& options() const { return options_; }

 private:
  void run();
  bool wait(std::chrono::milliseconds d);  // false when stopping
  std::chrono::milliseconds next_interval();

  const PollOptions options_;
  SourceRuntime* runtime_ = nullptr;
  Backoff backoff_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chatops::ingestion
