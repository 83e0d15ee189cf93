#pragma once
// One source's link to the rest of the bot, owned by the manager and given to the source at
// start: where it submits (its name and family stamped on every event, outcomes counted), the
// cursor it left off at, state it keeps between runs, its status and its metrics.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingestion/runtime/source_metrics.hpp"
#include "ingestion/runtime/store.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion {

class SourceRuntime {
 public:
  SourceRuntime(std::string name, std::string family, SourceStore& store, metrics::Registry* registry);

  const std::string& name() const { return name_; }
  // Events keep the source and family they carry instead of being stamped with this runtime's:
  // for the Kafka journal's speaker, which relays the receivers' sources. Set before start.
  void relay_origins() { relay_ = true; }
  const std::string& family() const { return family_; }

  // Submits events with the source's position upstream after them, saved in the same transaction.
  // `done` runs once they are durable or refused (on the journal's syncer or writer thread: be
  // quick). A source acknowledges upstream only in `done`, and only when the batch was committed.
  // `state` changes the source's own state (get_state/list_state) in that transaction too.
  // `chain`: see EventBatch::chain (only if keeps_chains()).
  void submit(std::vector<IngestionEvent> events, std::optional<std::string> cursor, Completion done,
              std::vector<StateChange> state = {}, std::shared_ptr<BatchChain> chain = {});
  // Whether the store honours a chain of batches (EventSink::keeps_chains).
  bool keeps_chains() const { return store_.keeps_chains(); }
  // The same, waiting: for a source's own thread.
  BatchResult submit_and_wait(std::vector<IngestionEvent> events, std::optional<std::string> cursor = std::nullopt,
                              std::vector<StateChange> state = {});

  // Where the source left off: the cursor committed last (nullopt before the first).
  Result<std::optional<std::string>> cursor();
  // Small state kept between runs (what a poller has seen), private to this source. Changes that
  // must move with events go with them in submit(); these are for the rest.
  Result<void> put_state(std::string_view key, std::string_view value,
                         std::optional<std::chrono::system_clock::time_point> expires = std::nullopt);
  Result<std::optional<std::string>> get_state(std::string_view key);
  Result<std::vector<std::pair<std::string, std::string>>> list_state();
  Result<void> delete_state(std::string_view key);

  StatusCounters& status() { return status_; }
  const StatusCounters& status() const { return status_; }
  const SourceMetrics& metrics() const { return metrics_; }

  std::uint64_t accepted() const { return accepted_.load(); }
  std::uint64_t duplicates() const { return duplicates_.load(); }
  std::uint64_t refused() const { return refused_.load(); }
  // Submissions made while the source was stopped: a bug in the source (they are refused).
  std::uint64_t late_submissions() const { return late_.load(); }

  // Paused from IRC (`!pause`): a poller or stream stops consuming, a webhook answers 503 with
  // Retry-After; the source stays started, so that resuming is immediate.
  void set_paused(bool paused) { paused_.store(paused); }
  static constexpr std::chrono::milliseconds kPausedCheck{250};  // how soon a paused loop sees a resume
  bool paused() const { return paused_.load(); }

  // The manager opens the runtime before start() and closes it once stop() has returned.
  void open() { open_.store(true); }
  void close() { open_.store(false); }

 private:
  std::string name_, family_, scope_;
  SourceStore& store_;
  StatusCounters status_;
  SourceMetrics metrics_;
  std::atomic<bool> open_{false};
  std::atomic<bool> paused_{false};
  bool relay_ = false;
  std::atomic<std::uint64_t> accepted_{0}, duplicates_{0}, refused_{0}, late_{0};
};

}  // namespace chatops::ingestion
