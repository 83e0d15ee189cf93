#include "bot/commands/rate_limit.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace chatops::bot {

bool RateLimiter::try_take(const std::string& key, Clock::time_point now) {
  auto found = buckets_.find(key);
  if (found == buckets_.end()) {
    if (buckets_.size() >= max_keys_) make_room();
    found = buckets_.emplace(key, Entry{irc::TokenBucket(burst_, rate_, now), now}).first;
  }
  found->second.used = now;
  return found->second.bucket.try_take(now);
}

bool RateLimiter::ready(const std::string& key, Clock::time_point now) const {
  const auto found = buckets_.find(key);
  return found == buckets_.end() || found->second.bucket.wait_time(now) == Clock::duration::zero();
}

void RateLimiter::make_room() {
  // The least recently used quarter goes: a full bucket is what a forgotten key starts with
  // again, and one emptied by a flood long ago has refilled by now.
  std::vector<std::pair<Clock::time_point, std::string>> by_use;
  by_use.reserve(buckets_.size());
  for (const auto& [key, entry] : buckets_) by_use.emplace_back(entry.used, key);
  const auto doomed = std::max<std::size_t>(1, by_use.size() / 4);
  std::nth_element(by_use.begin(), by_use.begin() + static_cast<std::ptrdiff_t>(doomed - 1), by_use.end());
  for (std::size_t i = 0; i < doomed; ++i) buckets_.erase(by_use[i].second);
}

}  // namespace chatops::bot
