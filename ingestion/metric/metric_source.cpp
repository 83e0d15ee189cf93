#include "ingestion/metric/metric_source.hpp"

#include <spdlog/spdlog.h>

#include "ingestion/api/auth.hpp"
#include "ingestion/api/http_client.hpp"
#include "ingestion/metric/metric_config.hpp"

namespace chatops::ingestion::metric {

namespace {

constexpr std::string_view kSeriesPrefix = "series/";

}  // namespace

std::string state_key(const std::string& check, const std::string& series_key) {
  return std::string(kSeriesPrefix) + check + "/" + series_key;
}

TimePoint system_now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now()); }

MetricSource::MetricSource(PollOptions poll, std::vector<Check> checks, const ProviderFactory& provider,
                           EvaluationClock clock)
    : PollingSource(poll),
      checks_(std::move(checks)),
      provider_(provider([this] { return stopping(); })),
      clock_(std::move(clock)) {
  for (auto c : checks_) {
    c.rule.absent_is_no_data = provider_->absent_series_are_no_data();
    engines_.emplace_back(c.rule);
  }
}

MetricSource::~MetricSource() { stop(); }

SourceResult<> MetricSource::open() {
  if (auto opened = provider_->open(runtime()); !opened) return opened;
  auto state = runtime().list_state();
  if (!state) return std::unexpected(SourceError::transient("reading the checks' state: " + state.error().message));
  for (auto& engine : engines_) engine.clear();
  stale_.clear();
  for (const auto& [key, value] : *state) {
    if (!key.starts_with(kSeriesPrefix)) continue;
    const auto rest = std::string_view(key).substr(kSeriesPrefix.size());
    const auto check = rest.substr(0, rest.find('/'));
    const auto it = std::ranges::find(checks_, check, &Check::name);
    const auto saved = series_state_from_text(value);
    if (it == checks_.end() || !saved) {
      stale_.push_back(key);
      continue;
    }
    engines_[static_cast<std::size_t>(it - checks_.begin())].restore(*saved);
  }
  return {};
}

SourceResult<> MetricSource::poll(std::chrono::steady_clock::time_point deadline) {
  auto& status = runtime().status();
  const auto now = clock_();
  std::vector<Evaluation> evaluations;
  std::vector<IngestionEvent> events;
  std::vector<StateChange> changes;
  for (const auto& key : stale_) changes.push_back({key, std::nullopt});
  if (auto begun = provider_->begin_run(); !begun) return begun;
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    const auto& check = checks_[i];
    auto samples = provider_->query(check, now, deadline);
    if (!samples) {
      samples.error().message = "check " + check.name + ": " + samples.error().message;
      return std::unexpected(samples.error());
    }
    status.consumed += samples->size();
    auto evaluation = engines_[i].evaluate(*samples, now);
    const EventContext context{runtime().name(), provider_->link(check)};
    for (const auto& notice : evaluation.notices) {
      auto e = notice_event(check, notice, context);
      e.time = now;
      events.push_back(std::move(e));
    }
    for (const auto& [series, state] : evaluation.changes)
      changes.push_back({state_key(check.name, series), state ? std::optional(to_text(*state)) : std::nullopt});
    evaluations.push_back(std::move(evaluation));
  }
  if (!events.empty() || !changes.empty()) {
    const auto said = events.size();
    const auto result = runtime().submit_and_wait(std::move(events), std::nullopt, std::move(changes));
    if (!result.committed())
      return std::unexpected(SourceError::transient("the journal refused the run's transitions: " + result.error));
    const auto accepted = result.count(Submission::Accepted), duplicates = result.count(Submission::Duplicate);
    status.processed += accepted;
    status.skipped += duplicates;
    status.committed += accepted + duplicates;
    if (said > 0) spdlog::debug("source {}: {} transitions", runtime().name(), said);
  }
  for (std::size_t i = 0; i < engines_.size(); ++i) engines_[i].apply(std::move(evaluations[i]));
  stale_.clear();
  return {};
}

}  // namespace chatops::ingestion::metric

namespace chatops::ingestion::metric {

namespace {

Result<config::Node> validate_metric_source(const config::Node& raw) {
  auto validated = config::validate(metric_source_schema(), raw);
  if (!validated) return validated;
  // Everything else is checked now, so that a mistake stops start-up with its line.
  auto config = metric_config(*validated);
  if (!config) return std::unexpected(config.error());
  return validated;
}

Result<std::unique_ptr<IngestionSource>> make_metric_source(const config::Node& validated, SourceServices&) {
  auto config = metric_config(validated);
  if (!config) return std::unexpected(config.error());
  if (validated.str("provider") != "statsd")  // prometheus and influxdb are asked over HTTP
    if (auto loaded = api::load_http_client_module(); !loaded)
      return std::unexpected(validated["provider"].error(loaded.error().message));
  return std::make_unique<MetricSource>(config->poll, std::move(config->checks), config->provider);
}

}  // namespace

SourceKind metric_source_kind() {
  return {
      .name = "metric",
      .family = "metric",
      .doc = "Threshold checks on metrics (PromQL queries): a series that crosses its threshold fires, and resolves "
             "when it clears, with the states of Prometheus's alerting rules (for, keep_firing_for), kept across "
             "restarts.",
      .validate = validate_metric_source,
      .make = make_metric_source,
      .schemas =
          [] {
            return std::vector<config::Schema>{metric_source_schema(), check_schema(), condition_schema(),
                                               api::auth_schema()};
          },
  };
}

}  // namespace chatops::ingestion::metric
