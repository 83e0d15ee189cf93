#include "ingestion/journal/recent_events.hpp"

namespace chatops::ingestion {

void RecentEvents::enable() {
  std::lock_guard lock(mutex_);
  enabled_ = true;
}

void RecentEvents::committed(std::vector<Entry>&& entries, std::int64_t max_id) {
  std::lock_guard lock(mutex_);
  if (!enabled_) return;
  if (floor_ == std::numeric_limits<std::int64_t>::max()) {
    // The first commit seen: what came before it (earlier runs) is only in the file.
    floor_ = max_id;
    return;
  }
  std::size_t bytes = 0;
  for (const auto& e : entries) bytes += e.bytes;
  if (events_.size() + entries.size() > kMaxEvents || bytes_ + bytes > kMaxBytes) {
    // The reader lags: it reads the file up to here, and takes from memory again after.
    events_.clear();
    bytes_ = 0;
    floor_ = max_id;
    return;
  }
  bytes_ += bytes;
  for (auto& e : entries) events_.push_back(std::move(e));
}

std::optional<std::vector<IngestionEvent>> RecentEvents::take(std::int64_t after_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (after_id < floor_) return std::nullopt;
  // Read from the file already, up to after_id.
  while (!events_.empty() && events_.front().event.id <= after_id) {
    bytes_ -= events_.front().bytes;
    events_.pop_front();
  }
  floor_ = after_id;
  std::vector<IngestionEvent> out;
  const auto n = std::min(limit, events_.size());
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    bytes_ -= events_.front().bytes;
    out.push_back(std::move(events_.front().event));
    events_.pop_front();
  }
  if (!out.empty()) {
    floor_ = out.back().id;
    unsaid_first_ = out.front().id;
    unsaid_last_ = out.back().id;
  }
  return out;
}

bool RecentEvents::unsaid(std::int64_t event_id) {
  std::lock_guard lock(mutex_);
  return event_id >= unsaid_first_ && event_id <= unsaid_last_;
}

void RecentEvents::marked(std::int64_t event_id) {
  std::lock_guard lock(mutex_);
  if (event_id >= unsaid_first_ && event_id <= unsaid_last_) {
    unsaid_first_ = 1;
    unsaid_last_ = 0;
  }
}

}  // namespace chatops::ingestion
