#pragma once
// Multi-line records (a stack trace under the line that logged it, a pretty-printed JSON object):
// per file, a line that `start` finds (or that `continuation` does not find) begins a record, and
// the lines after it belong to it. A record is complete when the next one begins, when no line
// has come for it for `timeout`, or when its file is closed. Until then the source's checkpoint for
// that file stays at the record's first line, so a restart reads the record again, whole.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "core/config/node.hpp"
#include "ingestion/log/tailer.hpp"

namespace chatops::ingestion::log {

struct MultilineOptions {
  std::shared_ptr<const RE2> start;         // a line it finds begins a record; or
  std::shared_ptr<const RE2> continuation;  // a line it finds continues the record before it
  std::chrono::milliseconds timeout{std::chrono::seconds(1)};
  std::size_t max_lines = 500;  // lines beyond are dropped (the record is marked cut)
  std::size_t max_bytes = 64 * 1024;
};

// From a validated log source's `multiline:` (nullopt when absent); errors name the key.
Result<std::optional<MultilineOptions>> multiline_options(const config::Node& validated);

class Joiner {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Joiner(MultilineOptions options) : o_(std::move(options)) {}

  // Takes the lines read, in order; the records they complete go to `out`.
  void add(std::vector<Line>& lines, std::vector<Line>& out, Clock::time_point now);
  // Records idle for the timeout, or whose file is no longer among `followed`, go to `out`.
  void flush(std::vector<Line>& out, Clock::time_point now, const std::vector<Checkpoint>& followed);
  // Moves the checkpoint of each file with a record under way back to the record's first line.
  void hold_back(std::vector<Checkpoint>& checkpoints) const;
  // When the oldest record under way times out.
  std::optional<Clock::time_point> next_deadline() const;

 private:
  struct Pending {
    Line record;
    std::size_t lines = 1;
    Clock::time_point last;
  };
  bool begins_record(const std::string& text) const;

  MultilineOptions o_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Pending> pending_;  // by device, inode
};

}  // namespace chatops::ingestion::log
