#pragma once
// The base of every source that consumes a stream (Kafka, Redis, RabbitMQ, NATS, a syslog socket):
// one consumer thread that connects (with exponential backoff), receives a batch, submits it to
// the journal, then acknowledges upstream only what the journal answered accepted or duplicate; a
// refused batch is handed back (refused()) and nothing is acknowledged. A configuration error ends
// it; stop() returns within about a second.
// A kind that is pipelined() receives while earlier batches are in the journal, and submits each
// batch at once, as one chain (EventBatch::chain): the journal commits them in order, each only if
// every one before it was committed, while the source receives the next. At most kMostInFlight
// are out; each is acknowledged once it is durable, in order; when one is refused, those after it
// are handed back too (any of their events that were committed are duplicates when they are sent
// again). A store that keeps no chain gets one batch at a time.
#include <any>
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
  // What acknowledge() and refused() need to find the batch upstream (Kafka offsets, Redis entry
  // ids, a RabbitMQ delivery tag, NATS messages): it travels with the batch, since a pipelined kind
  // receives the next batch before this one is acknowledged. A batch with it and nothing to
  // journal (only unreadable messages) is acknowledged without a commit, after the ones before it.
  std::any upstream;
};

class StreamSource : public IngestionSource {
 public:
  explicit StreamSource(StreamOptions options);
  ~StreamSource() override;  // a derived kind must stop() in its own destructor

  SourceResult<> start(SourceRuntime& runtime) final;
  void stop() final;

  // Batches submitted and not yet acknowledged: beyond that, the next receive waits for the
  // oldest's answer. Enough that the source goes on receiving while the journal's writer syncs,
  // and while it restarts the WAL (every 16 MiB, 30-50 ms on the development VM: 4 batches out
  // left the source waiting through it; bench/README.md).
  static constexpr std::size_t kMostInFlight = 16;

 protected:
  virtual SourceResult<> connect() = 0;
  // Waits at most until `deadline` for what is there (may be nothing).
  virtual SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) = 0;
  // After the journal committed `batch` (each event accepted or duplicate): acknowledge upstream.
  // The journal has taken the batch's events: `batch.events` is empty here (its cursor and state
  // are not), unless keeps_events().
  virtual SourceResult<> acknowledge(const Received& batch) = 0;
  // After the journal refused `batch` (or a batch before it, when pipelined): hand it back upstream
  // (a nack with requeue), or let it be redelivered; never acknowledge it. Its events are there
  // only if keeps_events() (or it was received but not yet submitted). The source reconnects next.
  virtual void refused(const Received&) {}
  // Whether acknowledge()/refused() need the batch's events (then the journal gets a copy of them,
  // which costs about a microsecond an event): for a kind that cannot get them from upstream again.
  virtual bool keeps_events() const { return false; }
  // Whether the next batch may be received while the last ones commit: the kind keeps what
  // acknowledge() needs in Received::upstream (never in members receive() resets), and its next
  // receive() does not depend on the last acknowledgement (a file's does: its offset moves then).
  virtual bool pipelined() const { return false; }
  virtual void interrupt() {}  // from stop(), on another thread
  virtual void disconnect() {}

  SourceRuntime& runtime() { return *runtime_; }
  bool stopping() const;

 private:
  struct InFlight;

  void run();
  // Receives, journals and acknowledges until an error, or until stopped (then the batches in
  // flight are settled before it returns).
  SourceResult<> consume();
  InFlight submit(Received batch, const std::shared_ptr<BatchChain>& chain);
  // Waits for the journal's answer about `batch`, then acknowledges it or hands it back.
  SourceResult<> settle(InFlight& batch);
  // How long a receive may wait while `batch` (the oldest unacknowledged) commits: about as long
  // as the last commit took, so that an idle stream does not leave it unacknowledged for a whole
  // receive_wait.
  std::chrono::steady_clock::time_point receive_deadline(const InFlight* batch) const;
  bool wait(std::chrono::milliseconds d);

  const StreamOptions options_;
  SourceRuntime* runtime_ = nullptr;
  Backoff backoff_;
  std::chrono::steady_clock::duration last_commit_{};  // the source's thread's own
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chatops::ingestion
