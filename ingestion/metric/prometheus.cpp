#include "ingestion/metric/prometheus.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "ingestion/api/status.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::metric::prometheus {

namespace {

std::string joined(const api::Url& base, std::string_view path) {
  std::string prefix = base.path();
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix + std::string(path);
}

// Prometheus writes sample values as strings: "1.5", "NaN", "+Inf", "-Inf".
std::optional<double> sample_value(payload::Value pair) {
  const auto text = payload::find(pair, "/1");
  if (!text || !text->is_string()) return std::nullopt;
  const std::string s(std::string_view(text->get_string().value_unsafe()));
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

api::Url query_url(const api::Url& base, const std::string& expression, TimePoint at) {
  api::Url url = base;
  url.target = joined(base, "/api/v1/query");
  const auto ms = at.time_since_epoch().count();
  const auto time = fmt::format("{}{}.{:03}", ms < 0 ? "-" : "", std::abs(ms) / 1000, std::abs(ms) % 1000);
  return api::with_query(std::move(url), {{"query", expression}, {"time", time}});
}

std::string graph_link(const api::Url& base, const std::string& expression) {
  api::Url url = base;
  url.target = joined(base, "/graph");
  return api::with_query(std::move(url), {{"g0.expr", expression}, {"g0.tab", "0"}}).text();
}

SourceResult<std::vector<Sample>> parse_query_answer(int http_status, const std::string& body) {
  auto doc = payload::parse_json(body);
  if (!doc) {
    if (http_status / 100 != 2) return std::unexpected(SourceError::transient("HTTP " + std::to_string(http_status)));
    return std::unexpected(SourceError::transient("the answer is not JSON: " + doc.error()));
  }
  const auto root = doc->root();
  if (payload::text_at(root, "/status") != "success") {
    const auto type = payload::text_at(root, "/errorType", "unknown");
    const auto message = "Prometheus says " + type + ": " + payload::first_line(payload::text_at(root, "/error"), 200);
    if (type == "bad_data") return std::unexpected(SourceError::configuration(message));
    return std::unexpected(SourceError::transient(message));
  }
  const auto type = payload::text_at(root, "/data/resultType");
  const auto result = payload::find(root, "/data/result");
  if (!result || !result->is_array()) return std::unexpected(SourceError::transient("the answer has no data.result list"));
  std::vector<Sample> samples;
  if (type == "scalar") {
    const auto value = sample_value(*result);
    if (!value) return std::unexpected(SourceError::transient("the scalar result has no value"));
    samples.push_back({{}, *value});
    return samples;
  }
  if (type != "vector")
    return std::unexpected(SourceError::configuration(
        "the expression gives a " + type + "; a check needs a vector or a scalar (an instant query, no range [..])"));
  samples.reserve(result->get_array().size());
  for (const auto series : result->get_array()) {
    Sample sample;
    if (const auto metric = payload::find(series, "/metric"); metric && metric->is_object())
      for (const auto field : metric->get_object())
        sample.labels.emplace(std::string(field.key), payload::as_text(field.value));
    const auto value = payload::find(series, "/value");
    const auto parsed = value ? sample_value(*value) : std::nullopt;
    if (!parsed) return std::unexpected(SourceError::transient("a series of the answer has no value"));
    sample.value = *parsed;
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace chatops::ingestion::metric::prometheus

namespace chatops::ingestion::metric::prometheus {

namespace {

class PrometheusProvider final : public Provider {
 public:
  PrometheusProvider(PrometheusConfig config, std::function<bool()> stopping)
      : config_(std::move(config)), http_(config_.tls, "chatops-bot", std::move(stopping)), auth_(config_.auth) {}

  SourceResult<std::vector<Sample>> query(const Check& check, TimePoint at,
                                          std::chrono::steady_clock::time_point deadline) override {
    auto credentials = auth_.credentials(http_, deadline);
    if (!credentials) return std::unexpected(credentials.error());
    api::HttpRequest request;
    request.url = api::with_query(query_url(config_.url, check.query, at), credentials->query);
    request.headers = credentials->headers;
    request.max_response = config_.max_response;
    auto answer = http_.send(request, deadline);
    if (!answer) return std::unexpected(answer.error());
    // Prometheus explains 400 (bad_data), 422 (execution) and 503 (timeout) in its JSON.
    const int s = answer->status;
    if (s != 400 && s != 422 && s != 503)
      if (auto refused = api::refusal(*answer, request.url.display())) return std::unexpected(*refused);
    return parse_query_answer(s, answer->body);
  }

  std::string link(const Check& check) const override {
    return graph_link(config_.external.value_or(config_.url), check.query);
  }

  void interrupt() override { http_.interrupt(); }

 private:
  const PrometheusConfig config_;
  api::HttpClient http_;
  api::Authorizer auth_;
};

}  // namespace

std::unique_ptr<Provider> make_provider(PrometheusConfig config, std::function<bool()> stopping) {
  return std::make_unique<PrometheusProvider>(std::move(config), std::move(stopping));
}

}  // namespace chatops::ingestion::metric::prometheus
