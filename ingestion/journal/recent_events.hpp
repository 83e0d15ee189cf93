#pragma once
// Internal to the journal: the events it has just committed, kept in memory for the reader (the
// dispatcher), so that pending_events() need not read back, decompress and re-parse what the
// writer has just written. The file stays the source of truth: whatever is not known here with
// certainty (after a restart, a walk back to an earlier event, more than the bound) is read from it.
//
// What is kept is a contiguous run: every event committed with an id above floor_ is in events_,
// in id order. Events leave it when handed out (the floor rises to them), so a reader walking
// back below the floor reads the file, and one that is ahead has the rest in memory.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

#include "ingestion/event.hpp"

namespace chatops::ingestion {

class RecentEvents {
 public:
  // Bounds on what waits for a reader that lags behind: past them, it reads the file.
  static constexpr std::size_t kMaxEvents = 256;  // a chunk the dispatcher plans at once
  static constexpr std::size_t kMaxBytes = 2 << 20;

  struct Entry {
    IngestionEvent event;
    std::size_t bytes = 0;  // about what it takes in memory
  };

  void enable();  // until then, nothing is kept: the journal may have no reader at all
  // Writer thread, after each commit: its accepted events, in id order (their ids set, as the
  // file gives them back), and the highest id it committed.
  void committed(std::vector<Entry>&& entries, std::int64_t max_id);
  // The pending events after `after_id` (at most `limit`) when all of them are known here, else
  // nullopt: read the file. Events handed out are no longer kept.
  std::optional<std::vector<IngestionEvent>> take(std::int64_t after_id, std::size_t limit);
  // Whether an event is known to have had nothing said of it yet (handed out from here, not
  // marked since): its deliveries need not be read.
  bool unsaid(std::int64_t event_id);
  void marked(std::int64_t event_id);  // a delivery or an end was recorded for it

 private:
  std::mutex mutex_;
  bool enabled_ = false;
  std::deque<Entry> events_;
  std::size_t bytes_ = 0;
  // Every event committed above it is in events_; the maximum until the first commit is seen.
  std::int64_t floor_ = std::numeric_limits<std::int64_t>::max();
  // The ids last handed out from here, none of them marked since (empty when first > last).
  std::int64_t unsaid_first_ = 1, unsaid_last_ = 0;
};

}  // namespace chatops::ingestion
