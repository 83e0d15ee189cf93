#pragma once
// Builds the sources declared under `sources:` through the registry, gives each its runtime (its
// link to the journal, its status and metrics), and supervises them: a source whose start failed
// transiently is started again with exponential backoff; one with a configuration error stays
// Failed and is reported, not retried. Sources are started and stopped by the supervisor thread
// alone, outside any lock, so that one slow source never holds up another.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/config/node.hpp"
#include "core/metrics.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/runtime/store.hpp"
#include "ingestion/source.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion {

struct SourceReport {
  std::string name;
  std::string kind;
  std::string family;
  IngestionStatus status;
  std::uint64_t accepted = 0, duplicates = 0, refused = 0;  // outcomes of its submissions
  std::uint64_t restarts = 0;
  bool paused = false;
  // A consumer's: messages upstream not yet taken, and taken but not yet ended (when it knows).
  std::optional<std::int64_t> lag;
  std::optional<std::size_t> outstanding;
};

// What a reconfigure changed, by source name.
struct SourceChanges {
  std::vector<std::string> added, removed, changed;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

class IngestionManager {
 public:
  // `kinds`: what `kind:` may name (the registry; tests pass their own). With a registry, every
  // source's standard metrics are declared there (chatops_source_*, chatops_events_*).
  IngestionManager(SourceStore& store, SourceServices services, metrics::Registry* registry = nullptr,
                   const std::vector<SourceKind>& kinds = source_kinds());
  ~IngestionManager();

  // Validates and builds every entry of the `sources:` list; all problems are reported together.
  Result<void> configure(const config::Node& sources);
  // A reload: validates and builds the sources of the new list whose entry is new or different
  // (all problems reported together; then nothing changes), then hands them to the supervisor,
  // which stops the removed and changed ones and starts the new ones. A source that is stopped
  // keeps what it submitted: its events are in the journal, and its runtime is kept until the
  // manager ends (a completion may still reach it). A changed source keeps its paused state.
  Result<SourceChanges> reconfigure(const config::Node& sources);
  void start();  // starts every source, then supervises
  void stop();   // stops every source (each within about a second)

  // Every source's report, then those of also_report(): what `!sources`, /healthz and the
  // chatops_source_* metrics show.
  std::vector<SourceReport> reports() const;
  // A consumer that runs outside the manager (the Kafka journal's speaker) shown as a source.
  // Set before start; `report` is called from any thread.
  void also_report(std::function<SourceReport()> report) { extra_reports_.push_back(std::move(report)); }
  // Pauses or resumes the source with this name (see SourceRuntime::set_paused); false when there
  // is none. Any thread.
  bool set_paused(std::string_view name, bool paused);
  bool all_running() const;

 private:
  struct Managed;
  Result<std::vector<std::unique_ptr<Managed>>> build(const config::Node& sources);
  Result<void> make_source(Managed& m);  // builds its IngestionSource
  void apply_pending();  // the supervisor's part of a reconfigure
  void supervise();
  void start_one(Managed& m);
  void stop_one(Managed& m);
  void register_metrics(metrics::Registry& registry);

  SourceStore& store_;
  SourceServices services_;
  metrics::Registry* registry_;
  const std::vector<SourceKind>& kinds_;
  mutable std::mutex sources_mutex_;  // guards the list, changed by the supervisor at a reconfigure
  std::vector<std::unique_ptr<Managed>> sources_;
  std::vector<std::unique_ptr<Managed>> retired_;  // stopped by a reconfigure; the supervisor's
  std::thread supervisor_;
  std::mutex wake_mutex_;  // guards stopping_ and pending_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<std::vector<std::unique_ptr<Managed>>> pending_;  // the next list, from reconfigure()
  std::vector<std::function<SourceReport()>> extra_reports_;
};

}  // namespace chatops::ingestion
