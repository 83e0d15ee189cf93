#pragma once
// Per-key flood control for command replies (one bucket per user, one per channel): a burst, then
// a rate. Memory is bounded: at most `max_keys` buckets; the least recently used go first.
#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

#include "bot/irc/token_bucket.hpp"

namespace chatops::bot {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double burst, double rate, std::size_t max_keys = 4096) : burst_(burst), rate_(rate), max_keys_(max_keys) {}

  // Takes one token from `key`'s bucket if it has one.
  bool try_take(const std::string& key, Clock::time_point now);
  // Whether try_take would succeed (a key not seen yet has a full bucket).
  bool ready(const std::string& key, Clock::time_point now) const;
  std::size_t keys() const { return buckets_.size(); }

 private:
  struct Entry {
    irc::TokenBucket bucket;
    Clock::time_point used;
  };
  void make_room();

  double burst_, rate_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Entry> buckets_;
};

}  // namespace chatops::bot
