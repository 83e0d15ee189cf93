#pragma once
// The base of every source that consumes a stream (Kafka, Redis, RabbitMQ, NATS, a syslog socket):
// one consumer thread that connects (with exponential backoff), receives a batch, submits it to
// the journal and waits, then acknowledges upstream only what the journal answered accepted or
// duplicate; a refused batch is handed back (refused()) and nothing is acknowledged. A
// configuration error ends it; stop() returns within about a second.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion {

struct StreamOptions {
  std::chrono::milliseconds receive_wait{std::chrono::milliseconds(500)};  // longest one receive() waits
  std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(1)};
};

// What one receive() got: events in the stream's order, and the position after them (a cursor,
// when the kind keeps it in the journal rather than upstream), and changes to the source's state
// (what it has seen) committed in the same transaction.
struct Received {
  std::vector<IngestionEvent> events;
  std::optional<std::string> cursor;
  std::vector<StateChange> state;
};

class StreamSource : public IngestionSource {
 public:
  explicit StreamSource(StreamOptions options);
  ~StreamSource() override;  // a derived kind must stop() in its own destructor

  SourceResult<> start(SourceRuntime& runtime) final;
  void stop() final;

 protected:
  virtual SourceResult<> connect() = 0;
  // Waits at most until `deadline` for what is there (may be nothing).
  virtual SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) = 0;
  // After the journal committed `batch` (each event accepted or duplicate): acknowledge upstream.
  // The journal has taken the batch's events: `batch.events` is empty here (its cursor and state
  // are not), unless keeps_events().
  virtual SourceResult<> acknowledge(const Received& batch) = 0;
  // After the journal refused `batch`: hand it back upstream (a nack with requeue), or let it be
  // redelivered; never acknowledge it. Its events are there only if keeps_events().
  virtual void refused(const Received&) {}
  // Whether acknowledge()/refused() need the batch's events (then the journal gets a copy of them,
  // which costs about a microsecond an event): for a kind that cannot get them from upstream again.
  virtual bool keeps_events() const { return false; }
  virtual void interrupt() {}  // from stop(), on another thread
  virtual void disconnect() {}

  SourceRuntime& runtime() { return *runtime_; }
  bool stopping() const;

 private:
  void run();
  bool wait(std::chrono::milliseconds d);

  const StreamOptions options_;
  SourceRuntime* runtime_ = nullptr;
  Backoff backoff_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chatops::ingestion
