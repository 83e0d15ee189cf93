#include "ingestion/api/status.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "ingestion/api/headers.hpp"
#include "ingestion/api/url.hpp"

namespace chatops::ingestion::api {

namespace {

std::string status_text(int status) {
  static constexpr std::pair<int, std::string_view> kReasons[] = {
      {301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"}, {307, "Temporary Redirect"},
      {308, "Permanent Redirect"}, {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"},
      {404, "Not Found"}, {405, "Method Not Allowed"}, {406, "Not Acceptable"}, {408, "Request Timeout"},
      {410, "Gone"}, {413, "Content Too Large"}, {414, "URI Too Long"}, {415, "Unsupported Media Type"},
      {422, "Unprocessable Content"}, {429, "Too Many Requests"}, {500, "Internal Server Error"},
      {502, "Bad Gateway"}, {503, "Service Unavailable"}, {504, "Gateway Timeout"}};
  std::string text = std::to_string(status);
  for (const auto& [code, reason] : kReasons)
    if (code == status) text += " " + std::string(reason);
  return text;
}

// When upstream says to come back: Retry-After, or an exhausted rate limit's reset.
std::optional<std::chrono::seconds> come_back_after(const HttpResponse& r, std::chrono::system_clock::time_point now) {
  std::optional<std::chrono::seconds> wait;
  if (const auto value = r.header("Retry-After")) wait = retry_after(*value, now);
  if (!wait)
    if (const auto remaining = r.header("X-RateLimit-Remaining"), reset = r.header("X-RateLimit-Reset");
        remaining && reset)
      wait = rate_limit_reset(*remaining, *reset, now);
  if (!wait) return std::nullopt;
  return std::clamp<std::chrono::seconds>(*wait, std::chrono::seconds(1), kMaxRetryAfter);
}

}  // namespace

std::optional<SourceError> refusal(const HttpResponse& r, std::string_view what,
                                   std::chrono::system_clock::time_point now) {
  const int s = r.status;
  if ((s >= 200 && s < 300) || s == 304) return std::nullopt;
  const std::string answered = std::string(what) + " answered " + status_text(s);
  const auto wait = come_back_after(r, now);
  // 429 and 503 are "later"; so is a 403 that is a rate limit (GitHub's, with its headers).
  if (wait && (s == 429 || s == 503 || s == 403))
    return SourceError::retry_later(answered + "; asking again in " + std::to_string(wait->count()) + " s, as it said",
                                    *wait);
  if (s == 401 || s == 403)
    return SourceError::configuration(answered + ": the credentials (auth:) are missing, wrong or not allowed");
  if (s >= 300 && s < 400) {
    std::string to;
    if (auto location = r.header("Location"))
      if (auto url = parse_url(*location)) to = " to " + url->display();
    return SourceError::configuration(answered + " (moved" + to + "): set url to where it is now");
  }
  if (s == 408 || s == 425 || s == 429 || s >= 500) return SourceError::transient(answered);
  return SourceError::configuration(answered);
}

}  // namespace chatops::ingestion::api
