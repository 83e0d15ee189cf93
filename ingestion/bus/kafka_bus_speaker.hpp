#pragma once
// The speaker's side of the Kafka journal: a consumer of the bus topic in the speakers' group
// (the Kafka source's consumer, reading the bus's own message format) whose events go into the
// local SQLite journal under their own source names — dedupe scoped by source, as for local
// sources — so that the dispatcher says them with the same ordering and coalescing. Offsets are
// committed only once the journal has ended the events (said, or failed): BusProgress.
#include <memory>

#include "ingestion/bus/bus_config.hpp"
#include "ingestion/bus/bus_progress.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/manager.hpp"
#include "ingestion/runtime/source_runtime.hpp"

namespace chatops::ingestion::bus {

class BusConsumer;

// The local journal as the bus consumer's store: a batch is split by the events' own sources
// (the journal scopes dedupe by a batch's source), and its outcomes are handed to the progress.
class SpeakerJournal final : public ForwardingStore {
 public:
  SpeakerJournal(Journal& journal, BusProgress& progress)
      : ForwardingStore(journal), journal_(journal), progress_(progress) {}
  void submit(EventBatch batch, Completion done) override;

 private:
  Journal& journal_;
  BusProgress& progress_;
};

class BusSpeaker {
 public:
  // Sets the journal's on_done: nothing else may.
  BusSpeaker(const BusOptions& options, Journal& journal, metrics::Registry* registry);
  ~BusSpeaker();
  void start();  // consumes on its own thread; returns at once
  void stop();   // within about a second
  const SourceRuntime& runtime() const { return runtime_; }
  // The consumer as a source in `!sources`, /healthz and /metrics (IngestionManager::also_report):
  // its state, last error, counts, lag (messages on the topic not yet taken) and outstanding
  // (taken, not yet said: their offsets not committed).
  static constexpr std::string_view kReportName = "bus";
  SourceReport report() const;
  const BusProgress& progress() const { return progress_; }

 private:
  BusProgress progress_;
  SpeakerJournal store_;
  SourceRuntime runtime_;
  std::unique_ptr<BusConsumer> consumer_;
  bool started_ = false;
};

}  // namespace chatops::ingestion::bus
