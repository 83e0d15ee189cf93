#pragma once
// What an API's response headers say about what to do next: the next page (RFC 8288 Link,
// rel="next"), and when to ask again (Retry-After, RFC 9110; GitHub's rate-limit headers).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace chatops::ingestion::api {

// The target of the first link whose rel includes "next", as written (maybe relative); nullopt
// when there is none. Several Link headers are given joined by ", ".
std::optional<std::string> link_next(std::string_view link_header);

// Retry-After as a delay from `now`: delta-seconds or an HTTP-date (a date in the past is 0);
// nullopt when absent or malformed.
std::optional<std::chrono::seconds> retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// GitHub's (and others') exhausted rate limit: X-RateLimit-Remaining 0 with X-RateLimit-Reset (Unix
// seconds) gives the wait until the reset; nullopt otherwise.
std::optional<std::chrono::seconds> rate_limit_reset(std::string_view remaining, std::string_view reset,
                                                     std::chrono::system_clock::time_point now);

}  // namespace chatops::ingestion::api
