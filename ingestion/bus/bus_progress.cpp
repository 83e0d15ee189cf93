#include "ingestion/bus/bus_progress.hpp"

namespace chatops::ingestion::bus {

void BusProgress::attach(Commit commit) {
  std::lock_guard lock(mutex_);
  commit_ = std::move(commit);
  if (!uncommitted_.empty()) {
    commit_(uncommitted_);
    uncommitted_.clear();
  }
}

void BusProgress::detach() {
  std::lock_guard lock(mutex_);
  commit_ = nullptr;
  forget_awaiting();
}

void BusProgress::forget_awaiting() {
  for (const auto& a : awaiting_)
    if (a.tracked) partitions_[a.position.partition].erase(a.position.offset);
  awaiting_.clear();
}

bool BusProgress::taken(const Partition& partition, std::int64_t offset, bool readable) {
  std::lock_guard lock(mutex_);
  auto& messages = partitions_[partition];
  const auto next = next_.find(partition);
  const bool fresh = !(next != next_.end() && offset < next->second) && !messages.contains(offset);
  if (readable) awaiting_.push_back({{partition, offset}, fresh});
  if (!fresh) return false;
  messages.emplace(offset, readable ? State::Waiting : State::Done);
  if (!readable) advance(partition);
  return true;
}

void BusProgress::journaled(const BatchResult& result,
                            const std::function<std::optional<std::int64_t>(std::size_t)>& original) {
  // The journal is asked outside the lock: the io thread marks done meanwhile.
  std::vector<std::optional<std::int64_t>> originals(result.outcomes.size());
  for (std::size_t i = 0; i < result.outcomes.size(); ++i)
    if (result.outcomes[i] == Submission::Duplicate) originals[i] = original(i);
  std::lock_guard lock(mutex_);
  auto awaiting = std::move(awaiting_);
  awaiting_.clear();
  const auto lowest = [&]() -> std::int64_t {
    for (auto id : result.ids)
      if (id > 0) return id;
    return 0;
  }();
  for (std::size_t i = 0; i < awaiting.size() && i < result.outcomes.size(); ++i) {
    if (!awaiting[i].tracked) continue;
    const auto& p = awaiting[i].position;
    auto& messages = partitions_[p.partition];
    if (!messages.contains(p.offset)) continue;
    std::optional<std::int64_t> id;
    if (result.outcomes[i] == Submission::Accepted) id = result.ids[i];
    else if (result.outcomes[i] == Submission::Duplicate) id = originals[i];
    if (!id || *id <= 0 || done_early_.erase(*id)) {
      finish(p);
      continue;
    }
    messages[p.offset] = State::Journaled;
    by_id_[*id].push_back(p);
  }
  // Ids are given in increasing order and this is the only submitter: an early one below this
  // batch's lowest will never be claimed (another source's event).
  if (lowest > 0) done_early_.erase(done_early_.begin(), done_early_.lower_bound(lowest));
}

void BusProgress::refused() {
  std::lock_guard lock(mutex_);
  forget_awaiting();
}

void BusProgress::done(std::int64_t event_id) {
  std::lock_guard lock(mutex_);
  const auto it = by_id_.find(event_id);
  if (it == by_id_.end()) {
    if (!awaiting_.empty()) done_early_.insert(event_id);
    return;
  }
  const auto positions = std::move(it->second);
  by_id_.erase(it);
  for (const auto& p : positions) finish(p);
}

void BusProgress::finish(const Position& p) {
  auto& messages = partitions_[p.partition];
  if (const auto it = messages.find(p.offset); it != messages.end()) it->second = State::Done;
  advance(p.partition);
}

void BusProgress::advance(const Partition& partition) {
  auto& messages = partitions_[partition];
  std::optional<std::int64_t> next;
  while (!messages.empty() && messages.begin()->second == State::Done) {
    next = messages.begin()->first + 1;
    messages.erase(messages.begin());
  }
  if (!next) return;
  next_[partition] = *next;
  if (commit_) commit_({{partition, *next}});
  else uncommitted_[partition] = *next;
}

std::size_t BusProgress::outstanding() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [partition, messages] : partitions_) n += messages.size();
  return n;
}

}  // namespace chatops::ingestion::bus
