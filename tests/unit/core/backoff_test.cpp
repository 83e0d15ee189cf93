// Backoff lives in core/ (the ingestion manager restarts sources with it too); the IRC
// connection is its first user, so its behaviour is pinned here.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "core/backoff.hpp"

using chatops::Backoff;
using namespace std::chrono_literals;

TEST_CASE("Backoff without jitter doubles up to the maximum", "[backoff]") {
  Backoff b(1s, 10s, 2.0, 0.0, 42);
  const std::vector<Backoff::Duration> expected = {1s, 2s, 4s, 8s, 10s, 10s, 10s};
  for (const auto d : expected) CHECK(b.next() == d);
  b.reset();
  CHECK(b.next() == 1s);
  CHECK(b.next() == 2s);
}

TEST_CASE("Backoff jitter stays within [base·(1−jitter), base] and never above max", "[backoff]") {
  for (const double jitter : {0.25, 0.5, 1.0}) {
    Backoff b(500ms, 60s, 1.7, jitter, 7);
    for (int round = 0; round < 50; ++round) {
      double base = 500;
      for (int i = 0; i < 20; ++i) {
        const auto d = b.next().count();
        INFO("jitter " << jitter << ", attempt " << i << ", base " << base << "ms, drew " << d << "ms");
        CHECK(d <= static_cast<long>(base));
        CHECK(d >= static_cast<long>(base * (1 - jitter)) - 1);  // -1: truncation to whole ms
        CHECK(d <= 60000);
        base = std::min(60000.0, base * 1.7);
      }
      b.reset();
    }
  }
}

TEST_CASE("Backoff jitter actually spreads the delays", "[backoff]") {
  Backoff b(10s, 10s, 1.0, 1.0, 1);
  long lo = 10000, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto d = b.next().count();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo < 1000);  // full jitter reaches near zero…
  CHECK(hi > 9000);  // …and near the base
}

TEST_CASE("Backoff is deterministic for a seed", "[backoff]") {
  Backoff a(1s, 5min, 2.0, 0.5, 1234), b(1s, 5min, 2.0, 0.5, 1234), c(1s, 5min, 2.0, 0.5, 999);
  bool differs = false;
  for (int i = 0; i < 30; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    differs = differs || x != c.next();
  }
  CHECK(differs);
}

TEST_CASE("Backoff survives many attempts without overflow", "[backoff]") {
  Backoff b(1ms, 24h, 10.0, 0.1, 3);
  for (int i = 0; i < 10000; ++i) {
    const auto d = b.next();
    REQUIRE(d <= 24h);
    REQUIRE(d >= 0ms);
  }
}

TEST_CASE("Backoff rejects nonsensical settings", "[backoff]") {
  CHECK_THROWS_AS(Backoff(0s, 1s, 2.0, 0.5, 1), std::invalid_argument);
  CHECK_THROWS_AS(Backoff(2s, 1s, 2.0, 0.5, 1), std::invalid_argument);
  CHECK_THROWS_AS(Backoff(1s, 2s, 0.5, 0.5, 1), std::invalid_argument);
  CHECK_THROWS_AS(Backoff(1s, 2s, 2.0, 1.5, 1), std::invalid_argument);
  CHECK_THROWS_AS(Backoff(1s, 2s, 2.0, -0.1, 1), std::invalid_argument);
}
