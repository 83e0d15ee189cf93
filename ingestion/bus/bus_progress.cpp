#include "ingestion/bus/bus_progress.hpp"

#include <charconv>

namespace chatops::ingestion::bus {

namespace {
constexpr std::string_view kDonePrefix = "done:";
}

std::string done_metadata(const std::vector<std::int64_t>& done) {
  std::string out(kDonePrefix);
  for (std::size_t i = 0; i < done.size();) {
    std::size_t j = i;
    while (j + 1 < done.size() && done[j + 1] == done[j] + 1) ++j;
    std::string range = std::to_string(done[i]);
    if (j > i) range += "-" + std::to_string(done[j]);
    if (out.size() + range.size() + 1 > kMaxCommitMetadata) break;
    if (out.size() > kDonePrefix.size()) out += ',';
    out += range;
    i = j + 1;
  }
  return out;
}

std::set<std::int64_t> parse_done_metadata(std::string_view metadata) {
  std::set<std::int64_t> out;
  if (!metadata.starts_with(kDonePrefix) || metadata.size() > kMaxCommitMetadata) return out;
  metadata.remove_prefix(kDonePrefix.size());
  auto number = [](std::string_view s, std::int64_t& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && v >= 0;
  };
  while (!metadata.empty()) {
    const auto comma = metadata.find(',');
    const auto item = metadata.substr(0, comma);
    metadata = comma == std::string_view::npos ? std::string_view() : metadata.substr(comma + 1);
    const auto dash = item.find('-');
    std::int64_t first = 0, last = 0;
    if (!number(item.substr(0, dash), first)) return {};
    if (dash == std::string_view::npos) last = first;
    else if (!number(item.substr(dash + 1), last) || last < first || last - first > 100000) return {};
    for (auto o = first; o <= last; ++o) out.insert(o);
  }
  return out;
}

void BusProgress::attach(Commit commit) {
  std::lock_guard lock(mutex_);
  commit_ = std::move(commit);
  seeded_.clear();
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

bool BusProgress::seeded(const Partition& partition) const {
  std::lock_guard lock(mutex_);
  return seeded_.contains(partition);
}

void BusProgress::seed(const Partition& partition, const CommitPoint& committed) {
  std::lock_guard lock(mutex_);
  seeded_.insert(partition);
  auto& next = next_[partition];
  next = std::max(next, committed.next);
  auto& elsewhere = said_elsewhere_[partition];
  for (const auto offset : parse_done_metadata(committed.metadata))
    if (offset >= committed.next) elsewhere.insert(offset);
}

void BusProgress::forget_awaiting() {
  for (const auto& a : awaiting_) {
    if (a.tracked) partitions_[a.position.partition].erase(a.position.offset);
    if (a.said_before) said_elsewhere_[a.position.partition].insert(a.position.offset);  // when taken again
  }
  awaiting_.clear();
}

bool BusProgress::taken(const Partition& partition, std::int64_t offset, bool readable) {
  std::lock_guard lock(mutex_);
  auto& messages = partitions_[partition];
  const auto next = next_.find(partition);
  const bool fresh = !(next != next_.end() && offset < next->second) && !messages.contains(offset);
  const bool said = said_elsewhere_[partition].erase(offset) > 0;
  if (readable) awaiting_.push_back({{partition, offset}, fresh, said});
  if (!fresh) return false;
  messages.emplace(offset, readable && !said ? State::Waiting : State::Done);
  if (!readable) publish(partition);
  return true;
}

std::vector<bool> BusProgress::said_before() const {
  std::lock_guard lock(mutex_);
  std::vector<bool> out;
  for (const auto& a : awaiting_) out.push_back(a.said_before);
  return out;
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
  std::set<Partition> moved;
  for (std::size_t i = 0; i < awaiting.size() && i < result.outcomes.size(); ++i) {
    if (!awaiting[i].tracked) continue;
    const auto& p = awaiting[i].position;
    auto& messages = partitions_[p.partition];
    const auto it = messages.find(p.offset);
    if (it == messages.end() || it->second == State::Done) {
      moved.insert(p.partition);
      continue;
    }
    std::optional<std::int64_t> id;
    if (result.outcomes[i] == Submission::Accepted) id = result.ids[i];
    else if (result.outcomes[i] == Submission::Duplicate) id = originals[i];
    if (!id || *id <= 0 || done_early_.erase(*id)) {
      it->second = State::Done;
      moved.insert(p.partition);
      continue;
    }
    it->second = State::Journaled;
    by_id_[*id].push_back(p);
  }
  for (const auto& partition : moved) publish(partition);
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
  publish(p.partition);
}

void BusProgress::publish(const Partition& partition) {
  auto& messages = partitions_[partition];
  auto& next = next_[partition];
  while (!messages.empty() && messages.begin()->second == State::Done) {
    next = std::max(next, messages.begin()->first + 1);
    messages.erase(messages.begin());
  }
  CommitPoint point{messages.empty() ? next : messages.begin()->first, {}};
  std::vector<std::int64_t> done;
  for (const auto& [offset, state] : messages)
    if (state == State::Done) done.push_back(offset);
  point.metadata = done_metadata(done);
  if (commit_) commit_({{partition, point}});
  else uncommitted_[partition] = point;
}

std::size_t BusProgress::outstanding() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [partition, messages] : partitions_) n += messages.size();
  return n;
}

}  // namespace chatops::ingestion::bus
