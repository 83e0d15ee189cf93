#pragma once
// Reconnect delays: exponential growth with bounded jitter, so that many bots restarting
// together do not reconnect in lockstep.
#include <chrono>
#include <cstdint>
#include <random>

namespace chatops {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;

  // The n-th delay (from 0) is drawn uniformly from [b·(1 − jitter_fraction), b] where
  // b = min(max, initial · multiplier^n): jitter_fraction 1 is "full jitter", 0 none.
  // Needs 0 < initial ≤ max, multiplier ≥ 1, 0 ≤ jitter_fraction ≤ 1 (else std::invalid_argument).
  // The same seed gives the same delays (tests); production seeds from std::random_device.
  Backoff(Duration initial, Duration max, double multiplier, double jitter_fraction, std::uint64_t seed);

  Duration next();  // never above max
  void reset();     // after a connection that worked: start again from `initial`

 private:
  double initial_ms_;
  double max_ms_;
  double multiplier_;
  double jitter_;
  double base_ms_;
  std::mt19937_64 rng_;
};

}  // namespace chatops
