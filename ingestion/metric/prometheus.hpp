#pragma once
// What a metric source asks Prometheus: a PromQL instant query (GET /api/v1/query), whose answer
// (a vector or a scalar) becomes the samples the threshold engine evaluates.
#include <string>
#include <string_view>
#include <vector>

#include <functional>
#include <memory>
#include <optional>

#include "ingestion/api/auth.hpp"
#include "ingestion/api/http_client.hpp"
#include "ingestion/api/url.hpp"
#include "ingestion/metric/provider.hpp"
#include "ingestion/metric/threshold.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion::metric::prometheus {

// /api/v1/query?query=<expression>&time=<at> below `base` (the server's URL, with its path prefix
// if any): evaluated at the run's time, the time its states are kept with.
api::Url query_url(const api::Url& base, const std::string& expression, TimePoint at);
// The expression's graph in Prometheus's UI below `base` (its external URL).
std::string graph_link(const api::Url& base, const std::string& expression);

// The answer to an instant query: a vector's series, or a scalar as one series without labels.
// A status "error" is a configuration error for bad_data (the expression does not parse) and
// transient otherwise (a timeout, an execution error); a matrix or string result is a
// configuration error (the check needs one value per series).
SourceResult<std::vector<Sample>> parse_query_answer(int http_status, const std::string& body);

struct PrometheusConfig {
  api::Url url;                       // the server (with its path prefix, if any)
  std::optional<api::Url> external;   // where people reach its UI, for links (default: url)
  api::AuthConfig auth;
  api::TlsOptions tls;
  std::size_t max_response = 64 * 1024 * 1024;
};

// Answers each check's query with an instant query at the moment of the run; `stopping` says
// whether its source is stopping (a request then fails at once).
std::unique_ptr<Provider> make_provider(PrometheusConfig config, std::function<bool()> stopping);

}  // namespace chatops::ingestion::metric::prometheus
