#pragma once
// Flood control for outgoing lines: a burst of `burst` lines, then `rate` lines per second.
// Time is passed in so that callers (and tests) decide what "now" is.
#include <chrono>

namespace chatops::irc {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // Safe on common ircds (flood limits around 5 lines then 1 per 1–2 s): 4 lines, then 1 per second.
  static constexpr double default_burst = 4.0;
  static constexpr double default_rate = 1.0;

  // Starts full. burst ≥ 1 and rate > 0 (fractions allowed, e.g. 0.5 = one line every 2 s);
  // anything else is a bug: std::invalid_argument.
  TokenBucket(double burst, double rate, Clock::time_point now);

  // Takes one token if there is one.
  bool try_take(Clock::time_point now);
  // Zero when a token is available at `now`, else how long until one is (rounded up, so that
  // try_take(now + wait_time(now)) succeeds).
  Clock::duration wait_time(Clock::time_point now) const;
  // Full again from `now` (registration done: the server starts counting afresh).
  void refill(Clock::time_point now);

 private:
  double available(Clock::time_point now) const;

  double burst_;
  double rate_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace chatops::irc
