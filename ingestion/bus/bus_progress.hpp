#pragma once
// Which of the bus topic's messages the speaker has finished with, so that its consumer group's
// offsets move only past messages that are done — said (or ended) in IRC, not merely journaled.
// A standby speaker, whose journal is another file, starts from the committed offsets: what this
// speaker journaled but had not said yet is said by the standby, and what it said is not given
// again, but for the messages said since the last commit (the window, docs/architecture.md).
//
// Messages are tracked per partition in offset order: taken (consumed) → journaled (with their
// journal id) → done. The committable offset of a partition is the one after its longest done
// prefix. Thread-safe: the consumer thread takes and journals, the io thread marks done.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ingestion/sink.hpp"

namespace chatops::ingestion::bus {

using Partition = std::pair<std::string, std::int32_t>;

class BusProgress {
 public:
  // Commits `next` offsets (per partition); called under the progress's lock, must be quick.
  using Commit = std::function<void(const std::map<Partition, std::int64_t>& next)>;

  // Where offsets are committed; none while the consumer is disconnected (commits wait). Messages
  // taken and not journaled are forgotten at a detach: they are consumed again.
  void attach(Commit commit);
  void detach();

  // A message consumed: `readable` ones await their journal outcome (in the order they are
  // submitted); unreadable ones are done at once. False when it is tracked already (consumed
  // again after a reconnect): it is not tracked twice.
  bool taken(const Partition& partition, std::int64_t offset, bool readable);
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
    bool tracked;  // false: consumed again, tracked by its first consumption
  };
  void forget_awaiting();  // under the lock
  void finish(const Position& p);  // under the lock
  void advance(const Partition& partition);  // under the lock

  mutable std::mutex mutex_;
  std::map<Partition, std::map<std::int64_t, State>> partitions_;
  std::map<Partition, std::int64_t> next_;  // the offset after the last one done, per partition
  std::vector<Awaiting> awaiting_;           // readable, taken, not yet journaled, in order
  std::unordered_map<std::int64_t, std::vector<Position>> by_id_;
  // Ids done before their batch's completion was seen here (the dispatcher can be that quick).
  std::set<std::int64_t> done_early_;
  Commit commit_;
  std::map<Partition, std::int64_t> uncommitted_;  // advanced while detached
};

}  // namespace chatops::ingestion::bus
