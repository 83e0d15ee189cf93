#include <catch2/catch.hpp>
#include <stdexcept>

#include "bot/irc/token_bucket.hpp"

using chatops::irc::TokenBucket;
using namespace std::chrono_literals;

namespace {
const TokenBucket::Clock::time_point bucket_t0{};  // any fixed instant: time is passed in
}

TEST_CASE("TokenBucket allows a burst, then refuses until refilled", "[token_bucket]") {
  TokenBucket bucket(4, 1.0, bucket_t0);
  for (int i = 0; i < 4; ++i) CHECK(bucket.try_take(bucket_t0));
  CHECK_FALSE(bucket.try_take(bucket_t0));
  CHECK(bucket.wait_time(bucket_t0) == 1s);
  CHECK_FALSE(bucket.try_take(bucket_t0 + 999ms));
  CHECK(bucket.wait_time(bucket_t0 + 999ms) == 1ms);
  CHECK(bucket.try_take(bucket_t0 + 1s));
  CHECK_FALSE(bucket.try_take(bucket_t0 + 1s));
}

TEST_CASE("TokenBucket refills at the rate and never above the burst", "[token_bucket]") {
  TokenBucket bucket(TokenBucket::default_burst, TokenBucket::default_rate, bucket_t0);
  for (int i = 0; i < 4; ++i) REQUIRE(bucket.try_take(bucket_t0));
  const auto later = bucket_t0 + 1h;  // a long pause refills only up to the burst
  for (int i = 0; i < 4; ++i) CHECK(bucket.try_take(later));
  CHECK_FALSE(bucket.try_take(later));
  CHECK(bucket.wait_time(later) == 1s);
}

TEST_CASE("TokenBucket supports fractional rates and bursts", "[token_bucket]") {
  TokenBucket slow(1, 0.5, bucket_t0);  // one line every two seconds
  CHECK(slow.try_take(bucket_t0));
  CHECK(slow.wait_time(bucket_t0) == 2s);
  CHECK_FALSE(slow.try_take(bucket_t0 + 1999ms));
  CHECK(slow.try_take(bucket_t0 + 2s));

  TokenBucket odd(2.5, 3.0, bucket_t0);  // 2.5 tokens: two lines, then a third after 1/6 s
  CHECK(odd.try_take(bucket_t0));
  CHECK(odd.try_take(bucket_t0));
  CHECK_FALSE(odd.try_take(bucket_t0));
  const auto wait = odd.wait_time(bucket_t0);
  CHECK(wait >= 166ms);
  CHECK(wait <= 167ms);
  CHECK(odd.try_take(bucket_t0 + wait));
}

TEST_CASE("TokenBucket: waiting exactly wait_time() is always enough", "[token_bucket]") {
  for (const double rate : {0.3, 0.7, 1.0, 1.5, 3.0, 7.0, 13.0}) {
    TokenBucket bucket(1, rate, bucket_t0);
    auto now = bucket_t0;
    for (int i = 0; i < 200; ++i) {
      INFO("rate " << rate << ", line " << i);
      if (!bucket.try_take(now)) {
        now += bucket.wait_time(now);
        REQUIRE(bucket.try_take(now));
      }
      CHECK(bucket.wait_time(now) > TokenBucket::Clock::duration::zero());
    }
    // Over the whole run the rate held: 200 lines after the first need 199 / rate seconds.
    CHECK(std::chrono::duration<double>(now - bucket_t0).count() >= 199 / rate - 1e-6);
  }
}

TEST_CASE("TokenBucket ignores time going backwards", "[token_bucket]") {
  TokenBucket bucket(1, 1.0, bucket_t0 + 10s);
  CHECK(bucket.try_take(bucket_t0 + 10s));
  CHECK_FALSE(bucket.try_take(bucket_t0));
  CHECK(bucket.wait_time(bucket_t0) == 1s);
  CHECK(bucket.try_take(bucket_t0 + 11s));
}

TEST_CASE("TokenBucket rejects nonsensical settings", "[token_bucket]") {
  CHECK_THROWS_AS(TokenBucket(0.5, 1.0, bucket_t0), std::invalid_argument);
  CHECK_THROWS_AS(TokenBucket(4, 0.0, bucket_t0), std::invalid_argument);
  CHECK_THROWS_AS(TokenBucket(4, -1.0, bucket_t0), std::invalid_argument);
}
