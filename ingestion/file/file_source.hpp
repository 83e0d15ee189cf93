#pragma once
// `kind: file` sources: watch the files that glob patterns match (`**` for any depth of
// directories; new subdirectories are followed) and say what they hold when they are created,
// modified or deleted. inotify says which files changed and when a writer closed one; a periodic
// rescan of the patterns finds what inotify cannot tell (an overflowed queue, directories beyond
// the watch limit, changes made while the bot was down).
//
// What the source has seen of each file (size, modification time, content hash) is its state in
// the journal, changed in the same transaction as the events that announce the change: a restart,
// even after kill -9, neither announces a file twice nor misses a change.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ingestion/file/file_events.hpp"
#include "ingestion/file/snapshot.hpp"
#include "ingestion/file/watcher.hpp"
#include "ingestion/runtime/path_glob.hpp"
#include "ingestion/runtime/stream.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::file {

struct FileOptions {
  std::vector<PathGlob> globs;
  bool initial_scan = false;  // announce the files found on the very first start (else only note them)
  std::chrono::milliseconds settle{std::chrono::seconds(1)};
  std::chrono::milliseconds rescan_interval{std::chrono::seconds(10)};
  std::uint64_t max_file_size = 10 * 1024 * 1024;
  GlobLimits limits;             // files matched and directories walked (and watched) per scan
  std::size_t batch_events = 500;  // events per journal transaction (one file's events are never split)
  std::size_t batch_files = 200;   // files read per journal transaction
};

class FileSource final : public StreamSource {
 public:
  FileSource(FileOptions options, EventOptions events);
  ~FileSource() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    Clock::time_point since;  // when it was first seen with this size and time
  };

  SourceResult<> connect() override;
  SourceResult<Received> receive(Clock::time_point deadline) override;
  SourceResult<> acknowledge(const Received& batch) override;
  void interrupt() override;
  void disconnect() override;

  bool wait_for_change(Clock::time_point deadline);
  void rescan();
  // Looks at one file; adds its events and state change to `out`. Returns how many files it read.
  std::size_t examine(const std::string& path, Received& out, Clock::time_point now);
  void note(Received& out, const std::string& path, const Snapshot& s);

  const FileOptions o_;
  EventOptions event_options_;
  std::optional<EventMaker> events_;
  std::unique_ptr<DirectoryWatcher> watcher_;
  int wake_ = -1;
  std::map<std::string, Snapshot> known_;  // as committed
  std::map<std::string, Pending> pending_;  // changed, not yet complete (or settled)
  std::set<std::string> todo_;              // to look at
  Changes changes_;
  bool first_pass_ = false;  // no scan committed yet (no cursor)
  bool baseline_ = false;  // the first start without initial_scan: files are noted, not announced
  bool rescan_due_ = true;
  bool truncated_warned_ = false;
  Clock::time_point next_rescan_{};
  SourceMetrics::Counter files_;
};

config::Schema file_source_schema();
Result<config::Node> validate_file_source(const config::Node& raw);
Result<std::unique_ptr<IngestionSource>> make_file_source(const config::Node& validated);
SourceKind file_source_kind();

}  // namespace chatops::ingestion::file
