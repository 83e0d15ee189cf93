#include "core/backoff.hpp"

#include <algorithm>
#include <stdexcept>

namespace chatops {

Backoff::Backoff(Duration initial, Duration max, double multiplier, double jitter_fraction, std::uint64_t seed)
    : initial_ms_(static_cast<double>(initial.count())),
      max_ms_(static_cast<double>(max.count())),
      multiplier_(multiplier),
      jitter_(jitter_fraction),
      base_ms_(initial_ms_),
      rng_(seed) {
  if (initial.count() <= 0 || max < initial || !(multiplier >= 1.0) || !(jitter_fraction >= 0.0 && jitter_fraction <= 1.0))
    throw std::invalid_argument("Backoff: need 0 < initial <= max, multiplier >= 1, 0 <= jitter <= 1");
}

Backoff::Duration Backoff::next() {
  const double base = base_ms_;
  base_ms_ = std::min(max_ms_, base_ms_ * multiplier_);  // capped before it can overflow
  const double low = base * (1.0 - jitter_);
  const double drawn = std::uniform_real_distribution<double>(low, base)(rng_);
  return Duration(static_cast<Duration::rep>(std::clamp(drawn, low, base)));
}

void Backoff::reset() { base_ms_ = initial_ms_; }

}  // namespace chatops
