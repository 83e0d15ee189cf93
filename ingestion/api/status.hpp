#pragma once
// What an HTTP status means for a poller: go on (2xx, 304), come back later (429, 503, an
// exhausted rate limit: when upstream says, else with backoff; other 5xx), or stop until the
// configuration changes (401, 403, other 4xx, a redirect: it is reported, not followed).
#include <chrono>
#include <optional>
#include <string_view>

#include "ingestion/api/http_client.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion::api {

// Longest wait a Retry-After or rate-limit reset may ask for; longer ones are cut to it.
inline constexpr std::chrono::hours kMaxRetryAfter{1};

// nullopt for 2xx and 304; else why the answer from `what` (e.g. "https://host/path", "the token
// endpoint https://…") cannot be used, classified. Never quotes the body or the query.
std::optional<SourceError> refusal(const HttpResponse& response, std::string_view what,
                                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace chatops::ingestion::api
