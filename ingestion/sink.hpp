#pragma once
// Where sources put events: a batch of events (with the source's cursor) goes in, and once it is
// durable — or refused — a completion says what became of each event. Nothing waits in between,
// so a thread serving many clients (the HTTP loop, a stream consumer) never blocks on a commit.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingestion/event.hpp"

namespace chatops::ingestion {

// What became of one submitted event. A source acknowledges upstream (HTTP 202, Kafka commit,
// file offset) only on Accepted or Duplicate.
enum class Submission {
  Accepted,   // durably journaled; it will be dispatched
  Duplicate,  // its source already sent its dedupe key within the window; nothing more happens
  Refused,    // not journaled (storage error, shutting down): do not acknowledge, retry later
};
std::string_view to_string(Submission s);

// A change to the submitting source's state (its scope "source/<name>" in the journal): `value`
// set, or deleted when nullopt.
struct StateChange {
  std::string key;
  std::optional<std::string> value;
};

// Batches of one source journaled in their order, each only if every one before it was: once a
// batch of the chain is refused, the sink refuses the later ones too, so that none of them is
// journaled ahead of the refused one's events sent again. A source begins a new chain after it
// has handed refused batches back.
struct BatchChain {
  std::atomic<bool> broken{false};
};

struct EventBatch {
  std::string source;                 // the submitting source's config name
  std::vector<IngestionEvent> events;  // may be empty when only the cursor moves
  // The source's position upstream after these events (a file offset, a row id, a page token…),
  // saved in the same transaction as the events: it moves if and only if they are durable.
  std::optional<std::string> cursor;
  // What the source remembers of upstream after these events (the items an API poller has seen),
  // saved in the same transaction too.
  std::vector<StateChange> state{};
  // The batches a source submits without waiting for the answers about the ones before (a
  // stream's), when the sink keeps_chains(); else null.
  std::shared_ptr<BatchChain> chain{};
};

// The journal scope of a source's own state.
inline std::string source_state_scope(std::string_view source) { return "source/" + std::string(source); }

struct BatchResult {
  std::vector<Submission> outcomes;  // one per event, in order
  std::vector<std::int64_t> ids;     // the journal id of each accepted event, else 0
  std::string error;                 // why the batch was refused; empty when it was committed

  bool committed() const { return error.empty(); }
  std::size_t count(Submission s) const;
  static BatchResult refused(std::size_t events, std::string why);
};

// Runs once per batch, on the journal's syncer thread (its writer's with synchronous=normal, or at
// once, on the caller's, when the batch is refused before it is queued): it must be quick and
// must not submit and wait.
using Completion = std::function<void(const BatchResult&)>;

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void submit(EventBatch batch, Completion done) = 0;
  // Whether it honours EventBatch::chain. A source submits to one that does not one batch at a
  // time, each after the answer about the last.
  virtual bool keeps_chains() const { return false; }

  // For callers that have a thread to spare (tests, tools): submits and waits for the answer.
  BatchResult submit_and_wait(EventBatch batch);
  Submission submit_one(IngestionEvent event);
};

}  // namespace chatops::ingestion
