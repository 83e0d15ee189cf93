// What response headers say: the next page (Link), when to come back (Retry-After, rate limits).
#include <catch2/catch.hpp>

#include "ingestion/api/headers.hpp"

using namespace chatops::ingestion::api;
using namespace std::chrono_literals;

TEST_CASE("Link: the rel=next target, wherever it is among the links", "[api][headers]") {
  // GitHub's form.
  CHECK(link_next(R"(<https://api.github.com/repositories/1/releases?page=2>; rel="next", )"
                  R"(<https://api.github.com/repositories/1/releases?page=5>; rel="last")") ==
        "https://api.github.com/repositories/1/releases?page=2");
  CHECK(link_next(R"(<https://x/?page=1>; rel="prev", <https://x/?page=3>; rel="next")") == "https://x/?page=3");
  CHECK(link_next(R"(</items?cursor=abc>;rel=next)") == "/items?cursor=abc");
  CHECK(link_next(R"(<https://x/a,b>; title="a, b; c"; rel="last next")") == "https://x/a,b");
  CHECK(link_next(R"(<https://x/2>; REL="Next")") == "https://x/2");
}

TEST_CASE("Link: none, or malformed, is no next page", "[api][headers]") {
  CHECK_FALSE(link_next(""));
  CHECK_FALSE(link_next(R"(<https://x/?page=1>; rel="prev", <https://x/?page=9>; rel="last")"));
  CHECK_FALSE(link_next("https://x/?page=2; rel=next"));
  CHECK_FALSE(link_next("<https://x/?page=2; rel=next"));
  CHECK_FALSE(link_next(R"(<https://x/1>; rel="nextish")"));
}

TEST_CASE("Retry-After: seconds or an HTTP date", "[api][headers]") {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(retry_after("120", now) == 120s);
  CHECK(retry_after(" 0 ", now) == 0s);
  CHECK(retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now) == 30s);
  CHECK(retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now) == 0s);  // past
  CHECK_FALSE(retry_after("soon", now));
  CHECK_FALSE(retry_after("-5", now));
  CHECK_FALSE(retry_after("", now));
}

TEST_CASE("an exhausted rate limit waits until its reset", "[api][headers]") {
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  CHECK(rate_limit_reset("0", "1700000090", now) == 90s);
  CHECK_FALSE(rate_limit_reset("12", "1700000090", now));
  CHECK_FALSE(rate_limit_reset("0", "soon", now));
}
