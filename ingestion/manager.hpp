#pragma once
// Builds the sources declared under `sources:` through the registry, owns their lifecycle,
// restarts failed ones with backoff, and stands between every source and the journal: a source
// submits to the manager, the manager fills in source/kind, counts, and hands the event to the
// journal, which answers only once the event is durable.
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config/node.hpp"
#include "ingestion/source.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion {

struct SourceReport {
  std::string name;
  std::string kind;
  IngestionStatus status;
  std::uint64_t accepted = 0, duplicates = 0, refused = 0;  // outcomes of submit() for this source
  std::uint64_t restarts = 0;
};

class IngestionManager : public EventSink {
 public:
  // `kinds`: what `kind:` may name (the registry; tests pass their own).
  IngestionManager(EventSink& journal, SourceContext context,
                   const std::vector<SourceKind>& kinds = source_kinds());
  ~IngestionManager() override;

  // Validates and builds every entry of the `sources:` list; all problems are reported together.
  Result<void> configure(const config::Node& sources);
  // Starts every source; a source that fails to start (or later reports Failed) is restarted with
  // exponential backoff by the supervisor thread.
  void start();
  void stop();

  // What sources call (any thread): stamps each event with its source and family, counts the
  // outcomes per source, and hands the batch to the journal.
  void submit(EventBatch batch, Completion done) override;

  std::vector<SourceReport> reports() const;
  bool all_running() const;

 private:
  struct Managed;
  void supervise();
  void try_start(Managed& m);
  EventSink& journal_;
  SourceContext context_;
  const std::vector<SourceKind>& kinds_;
  std::vector<std::unique_ptr<Managed>> sources_;
  std::map<std::string, Managed*, std::less<>> by_name_;
  std::thread supervisor_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace chatops::ingestion
