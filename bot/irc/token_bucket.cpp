#include "bot/irc/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace chatops::irc {
namespace {
// Absorbs floating-point rounding so that waiting exactly wait_time() is always enough.
constexpr double epsilon = 1e-9;
}  // namespace

TokenBucket::TokenBucket(double burst, double rate, Clock::time_point now)
    : burst_(burst), rate_(rate), tokens_(burst), last_(now) {
  if (!(burst >= 1.0) || !(rate > 0.0)) throw std::invalid_argument("TokenBucket: need burst >= 1 and rate > 0");
}

double TokenBucket::available(Clock::time_point now) const {
  // A `now` earlier than the last call adds nothing rather than removing tokens.
  const auto elapsed = std::max(Clock::duration::zero(), now - last_);
  return std::min(burst_, tokens_ + std::chrono::duration<double>(elapsed).count() * rate_);
}

bool TokenBucket::try_take(Clock::time_point now) {
  tokens_ = available(now);
  last_ = std::max(last_, now);
  if (tokens_ + epsilon < 1.0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

TokenBucket::Clock::duration TokenBucket::wait_time(Clock::time_point now) const {
  const double missing = 1.0 - available(now);
  if (missing <= epsilon) return Clock::duration::zero();
  // Rounded up to whole ticks, ignoring rounding noise far below a tick (which would otherwise
  // turn 2 s into 2 s + 1 ns); the shortfall that leaves is well within try_take's epsilon.
  const double ticks = missing / rate_ * Clock::period::den / Clock::period::num;
  return Clock::duration(static_cast<Clock::rep>(std::ceil(ticks - 1e-3)));
}

void TokenBucket::refill(Clock::time_point now) {
  tokens_ = burst_;
  last_ = now;
}

}  // namespace chatops::irc
