#pragma once
// Follows the files matched by glob patterns and reads their whole lines, as Vector's file source
// and Fluent Bit's in_tail do:
//   - a file is known by device + inode, checked against a fingerprint of its first bytes;
//   - renamed (logrotate's `create`) or deleted, a file is read to its end through the descriptor
//     kept open, before the file that replaced it; it is closed once it has stayed unchanged for
//     `rotate_wait`;
//   - truncated (logrotate's `copytruncate`), or rewritten from its start, it is read again from its
//     start; a copy of a followed file (the same first bytes under another name matched by the
//     patterns) is not read while the original still holds the same lines, and goes on from where
//     the original was once that is truncated: its unread lines are said once, from the copy;
//   - a line longer than max_line_bytes is cut there and the rest of it dropped, so memory stays
//     bounded; a last line without its newline is held until it has one, or until it has not grown
//     for partial_timeout (a rotated file's last line is said when the file is closed);
//   - compressed rotations (.gz, .xz, .bz2, .zst, .lz4, .zip) are never read;
//   - with more files than max_open_files, those read to their end are closed and opened again
//     when they change, so that the descriptors stay bounded (Fluent Bit and Vector do the same).
// Not thread-safe: the source's thread owns it.
#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ingestion/log/checkpoint.hpp"

namespace chatops::ingestion::log {

struct TailOptions {
  std::vector<std::string> patterns;  // paths or glob(7) patterns
  // For the files found on a source's very first scan (no checkpoint saved yet): read from the
  // end (only what comes next) or from the beginning. Files found later are read from the start.
  bool start_at_end = true;
  std::size_t max_line_bytes = 64 * 1024;
  std::chrono::milliseconds rotate_wait{std::chrono::seconds(5)};
  // A last line without its newline is said once it has not grown for this long (0: never; it
  // waits for its newline). What its writer adds afterwards is a line of its own.
  std::chrono::milliseconds partial_timeout{0};
  // At most this many descriptors open (0: no limit). Beyond it, files read to their end are
  // closed ("parked", least recently active first) and opened again by their path when their
  // size or time changes; a parked file renamed away is found again by its inode in its directory.
  std::size_t max_open_files = 1024;
};

struct Line {
  std::string text;  // without its newline (and a CR before it)
  std::string path;
  std::uint64_t offset = 0;  // where the line starts in its file
  bool cut = false;          // longer than max_line_bytes: the rest was dropped
  std::uint64_t device = 0, inode = 0;  // of its file
  std::string transport;  // a message received over the network: udp or tcp (path: the sender)
};

struct ReadBudget {
  std::size_t lines = 1000;
  std::size_t bytes = 1 << 20;
};

class Tailer {
 public:
  // `saved`: the checkpoints committed last, nullopt on the source's first run.
  Tailer(TailOptions options, std::optional<std::vector<Checkpoint>> saved);
  ~Tailer();
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  // Expands the patterns and compares what they name with the files followed: new files,
  // rotations, truncations, deletions.
  void scan();
  // Reads whole lines, oldest file first, within the budget; true when it stopped at the budget
  // (more is waiting).
  bool read(std::vector<Line>& out, ReadBudget budget);
  // Where each followed file is, as of the lines read so far.
  std::vector<Checkpoint> checkpoints() const;
  // The directories to watch for new files (those of the patterns that exist).
  std::vector<std::string> directories() const;
  // Lines cut at max_line_bytes, truncations and rotations seen, since the start.
  std::uint64_t lines_cut() const { return cut_; }
  std::uint64_t truncations() const { return truncations_; }
  std::size_t files() const { return files_.size(); }
  std::size_t open_files() const;

 private:
  struct File;
  std::unique_ptr<File> open_file(const std::string& path, std::uint64_t device, std::uint64_t inode);
  // Reads lines from `f` within the budget; true when the budget ran out.
  bool read_file(File& f, std::vector<Line>& out, ReadBudget& budget);
  void find_rotated(const Checkpoint& c);
  struct Found {
    std::string path;
    struct ::stat st;
    bool rotated_name = false;  // not matched by the patterns: a matched file's rotated name
  };
  // Files renamed (or copied) since the last scan from a name the patterns matched to a rotated
  // name beside it (app.log.1, app.log-20261130): found even if the patterns do not match them,
  // so that a file rotated away before a scan ever saw it is still read.
  void add_rotated_siblings(std::vector<Found>& found, std::set<std::pair<std::uint64_t, std::uint64_t>>& ids,
                            std::int64_t since_ns);
  // Whether f's partial last line of `length` bytes has waited partial_timeout (and notes it).
  bool partial_due(File& f, std::uint64_t length) const;
  // `original` was truncated (having reached `offset`) or closed: its copies go on from there.
  void release_copies(const File& original, std::uint64_t offset);
  std::string bytes_at_offset(const File& f, std::uint64_t n) const;
  // Descriptors: whether f may be closed for now, closing the least useful ones beyond the limit
  // (keeping `keep`), and opening a parked file again (false when it is gone).
  bool parkable(const File& f) const;
  void enforce_open_limit(std::size_t limit, const File* keep = nullptr);
  void park(File& f);
  bool unpark(File& f);
  // Truncated, rewritten, grown: what a scan (or reopening a parked file) finds of a followed file.
  void check_changes(File& f, std::chrono::steady_clock::time_point now);

  TailOptions o_;
  std::vector<std::unique_ptr<File>> files_;  // in the order found: older files are read first
  std::set<std::string> unreadable_;          // warned about once
  std::optional<std::int64_t> last_scan_;  // CLOCK_REALTIME_COARSE, ns
  std::deque<std::pair<std::pair<std::uint64_t, std::uint64_t>, Fingerprint>> closed_;  // newest first
  std::string buffer_;                        // one read window: max_line_bytes + 1, at least 64 KiB
  std::vector<Checkpoint> restoring_;         // saved ones not yet matched to a file (first scan)
  bool first_scan_ = true;
  bool first_run_;
  std::uint64_t next_seq_ = 0, cut_ = 0, truncations_ = 0;
};

}  // namespace chatops::ingestion::log
