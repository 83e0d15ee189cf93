#pragma once
// `kind: log` sources: follow log files (paths or globs) and say their lines. inotify on the
// files' directories wakes the source when something changes, and a periodic check finds what
// inotify cannot tell (an overflowed queue, a directory created later, network file systems). The
// offsets reached (with each file's device, inode and fingerprint: see tailer.hpp) are the
// source's cursor, committed in the same journal transaction as the events of the lines read, so
// that across restarts and kill -9 no line is lost or said twice.
// With `listen:` it receives syslog over UDP and TCP instead (syslog_listener.hpp). Either way a
// rate cap (rate_cap.hpp) may turn floods into digests; its state travels in the cursor too.
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ingestion/log/line_filter.hpp"
#include "ingestion/log/line_parser.hpp"
#include "ingestion/log/multiline.hpp"
#include "ingestion/log/rate_cap.hpp"
#include "ingestion/log/syslog_listener.hpp"
#include "ingestion/log/tailer.hpp"
#include "ingestion/runtime/stream.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::log {

struct LogOptions {
  TailOptions tail;
  std::chrono::milliseconds check_interval{std::chrono::seconds(1)};
  ReadBudget budget;
  bool malformed_events = true;  // a malformed line is an event (else only counted)
  std::optional<MultilineOptions> multiline;
  std::optional<RateCapOptions> rate_cap;
  std::optional<ListenOptions> listen;  // syslog over the network instead of files
};

class LogSource final : public StreamSource {
 public:
  LogSource(LogOptions options, LineParser parser, LineFilter filter);
  ~LogSource() override;

 private:
  SourceResult<> connect() override;
  SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) override;
  SourceResult<> acknowledge(const Received& batch) override;
  void refused(const Received& batch) override;
  // A listener's refused lines cannot be read again: it holds them (a file is read again).
  bool keeps_events() const override { return listener_ != nullptr; }
  void interrupt() override;
  void disconnect() override;

  // Until something changed in a watched directory, the periodic check or a multi-line record's
  // timeout is due, or `deadline`; false when there is nothing to look at yet.
  bool wait_for_change(std::chrono::steady_clock::time_point deadline);
  // When the rate cap's digests are due (or `deadline`, if sooner or none).
  std::chrono::steady_clock::time_point digest_due(std::chrono::steady_clock::time_point deadline) const;
  // Lines from the files, or messages from the network; the files' checkpoints.
  void read_files(std::chrono::steady_clock::time_point deadline, std::vector<Line>& lines,
                  std::vector<Checkpoint>& checkpoints, bool& read);
  void export_listener_counters();
  void watch_directories();
  // The event of a line `match:` named (a malformed one's, or nullopt when only counted).
  std::optional<IngestionEvent> event_of(const Line& line, std::string_view name, std::uint64_t& malformed);

  const LogOptions o_;
  const LineParser parser_;
  const LineFilter filter_;
  std::unique_ptr<Tailer> tailer_;
  std::optional<Joiner> joiner_;
  std::optional<RateCap> cap_;
  std::mutex listener_mutex_;  // interrupt() wakes it from another thread
  std::unique_ptr<SyslogListener> listener_;
  std::vector<IngestionEvent> held_;  // messages of a batch the journal refused, said next
  std::uint64_t exported_dropped_ = 0, exported_refused_ = 0, exported_idle_ = 0, exported_framing_ = 0;
  SourceMetrics::Counter dropped_;
  int inotify_ = -1, wake_ = -1;
  bool more_ = true;  // the last read stopped at its budget, or nothing was read yet
  std::chrono::steady_clock::time_point next_check_{};
  std::string committed_;  // the cursor committed last
  std::string topic_prefix_;
  SourceMetrics::Counter lines_;
};

config::Schema log_source_schema();
Result<config::Node> validate_log_source(const config::Node& raw);
Result<std::unique_ptr<IngestionSource>> make_log_source(const config::Node& validated);
SourceKind log_source_kind();

}  // namespace chatops::ingestion::log
