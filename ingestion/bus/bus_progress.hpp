#pragma once
// Which of the bus topic's messages the speaker has finished with, so that its consumer group's
// committed offsets say what has been said (or ended) in IRC, not merely journaled. A standby
// speaker, whose journal is another file, starts from them: what this speaker journaled but had
// not said is said by the standby, and what it said is not, but for the messages said since the
// last commit (the window, docs/architecture.md).
//
// The dispatcher does not end events in offset order (fairness between topics and targets), so a
// commit is the offset of the first message not done plus, in the commit's metadata, the done
// offsets above it ("done:5,7-9"); a speaker that is given the partition skips those.
//
// Messages are tracked per partition: taken (consumed) → journaled (with their journal id) →
// done. Thread-safe: the consumer thread takes and journals, the io thread marks done.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ingestion/sink.hpp"

namespace chatops::ingestion::bus {

using Partition = std::pair<std::string, std::int32_t>;

// What is committed for one partition: the first offset not done, and the done ones above it.
struct CommitPoint {
  std::int64_t next = 0;
  std::string metadata;
};

// Commit metadata is bounded by the brokers (offset.metadata.max.bytes, 4096 by default): done
// offsets that do not fit are left out, and would be said again after a failover.
inline constexpr std::size_t kMaxCommitMetadata = 4000;
std::string done_metadata(const std::vector<std::int64_t>& done_offsets);  // ascending
// The offsets a commit's metadata says are done; empty for metadata of another form.
std::set<std::int64_t> parse_done_metadata(std::string_view metadata);

class BusProgress {
 public:
  // Commits points (per partition); called under the progress's lock, must be quick.
  using Commit = std::function<void(const std::map<Partition, CommitPoint>& points)>;

  // Where offsets are committed; none while the consumer is disconnected (commits wait). Messages
  // taken and not journaled are forgotten at a detach: they are consumed again.
  void attach(Commit commit);
  void detach();

  // Whether a partition's committed point has been read since the last attach.
  bool seeded(const Partition& partition) const;
  // The partition's committed point, as read from the group: offsets done there are skipped.
  void seed(const Partition& partition, const CommitPoint& committed);

  // A message consumed: readable ones await their journal outcome (in the order they are
  // submitted); unreadable ones, and those the committed metadata says are done, are done at
  // once. False when it is tracked already (consumed again after a reconnect).
  bool taken(const Partition& partition, std::int64_t offset, bool readable);
  // For each readable message awaiting its outcome, in order: whether it was said already (by
  // the speaker that committed before): it is not journaled.
  std::vector<bool> said_before() const;
  // The outcomes of the readable messages taken since the last call, in order. An Accepted one
  // waits for its id to be done; a Duplicate for `original(i)` (the journal's earlier event with
  // that key, nullopt when it is done or gone).
  void journaled(const BatchResult& result,
                 const std::function<std::optional<std::int64_t>(std::size_t index)>& original);
  // The batch was refused: its messages are no longer tracked (they are consumed again).
  void refused();
  // The journal ended this event (said, or failed).
  void done(std::int64_t event_id);

  // Messages taken and not done, over all partitions.
  std::size_t outstanding() const;

 private:
  enum class State { Waiting, Journaled, Done };
  struct Position {
    Partition partition;
    std::int64_t offset;
  };
  struct Awaiting {
    Position position;
    bool tracked;      // false: consumed again, tracked by its first consumption
    bool said_before;  // done per the committed metadata
  };
  void forget_awaiting();                    // under the lock
  void finish(const Position& p);            // under the lock
  void publish(const Partition& partition);  // under the lock: pops the done prefix, commits

  mutable std::mutex mutex_;
  std::map<Partition, std::map<std::int64_t, State>> partitions_;
  std::map<Partition, std::int64_t> next_;  // the offset after the last one popped, per partition
  std::map<Partition, std::set<std::int64_t>> said_elsewhere_;  // from the committed metadata
  std::set<Partition> seeded_;
  std::vector<Awaiting> awaiting_;  // readable, taken, not yet journaled, in order
  std::unordered_map<std::int64_t, std::vector<Position>> by_id_;
  // Ids done before their batch's completion was seen here (the dispatcher can be that quick).
  std::set<std::int64_t> done_early_;
  Commit commit_;
  std::map<Partition, CommitPoint> uncommitted_;  // moved while detached
};

}  // namespace chatops::ingestion::bus
