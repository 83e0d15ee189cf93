#include "ingestion/metric/check.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::metric {

namespace {

constexpr std::string_view kFiringTemplate =
    "[COLOR=RED][B]FIRING[/B][/COLOR] [B]{{check}}[/B]{{#series_labels}} {{series}}{{/series_labels}}: "
    "{{value_text}} ({{condition}}){{#summary}} {{summary}}{{/summary}}{{#link}} {{link}}{{/link}}";
constexpr std::string_view kResolvedTemplate =
    "[COLOR=GREEN][B]RESOLVED[/B][/COLOR] [B]{{check}}[/B]{{#series_labels}} {{series}}{{/series_labels}}: "
    "{{value_text}}{{#summary}} {{summary}}{{/summary}}{{#link}} {{link}}{{/link}}";

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 100) return false;
  for (const char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != ':') return false;
  return true;
}

// A check has exactly one comparison.
Result<Condition> condition_from(const config::Node& node) {
  if (node.keys().size() != 1)
    return std::unexpected(node.error("give exactly one comparison: gt, gte, lt, lte, eq, ne, outside or inside"));
  auto conditions = conditions_from(node);
  if (!conditions) return std::unexpected(conditions.error());
  return conditions->front();
}

}  // namespace

config::Schema condition_schema() {
  config::Schema s("condition", "When a series' value crosses the threshold: exactly one of these keys.");
  s.field("gt", config::Kind::Number, "The value is greater than this.").example("90");
  s.field("gte", config::Kind::Number, "The value is greater than or equal to this.");
  s.field("lt", config::Kind::Number, "The value is less than this.");
  s.field("lte", config::Kind::Number, "The value is less than or equal to this.");
  s.field("eq", config::Kind::Number, "The value equals this.");
  s.field("ne", config::Kind::Number, "The value differs from this.");
  s.field("outside", config::Kind::List, "The value is below low or above high: [low, high].")
      .items(config::Kind::Number)
      .example("[10, 20]");
  s.field("inside", config::Kind::List, "The value is within [low, high], bounds included.").items(config::Kind::Number);
  return s;
}

config::Schema check_schema() {
  config::Schema s("check", "One threshold check, evaluated at every run for each series its query gives.");
  s.field("name", config::Kind::String, "Name of the check (letters, digits, _ - . :), unique in its source; events "
                                        "carry it as `check`.")
      .required()
      .example("disk_full");
  s.field("query", config::Kind::String,
          "What to ask: a PromQL expression giving a vector or a scalar (provider prometheus), or a metric's name "
          "and statistic, <name>[:<statistic>] (provider statsd: count, rate, value, unique, mean, sum, min, max, "
          "median, p1 … p100; without one, a counter's count, a gauge's value, a timer's mean, a set's unique). Each "
          "series of the answer (its label set) is checked on its own.")
      .required()
      .example("100 * (1 - node_filesystem_avail_bytes / node_filesystem_size_bytes)");
  s.field("condition", config::Kind::Map, "When a value crosses the threshold (see condition).")
      .schema(condition_schema())
      .required()
      .example("{gt: 90}");
  s.field("for", config::Kind::Duration,
          "How long the condition must hold (at every run) before the series fires; until then it is pending. 0: "
          "it fires at the first run it holds.")
      .fallback("0s")
      .range(0, 86400 * 30);
  s.field("keep_firing_for", config::Kind::Duration,
          "How long a firing series keeps firing after its condition stopped holding (against flapping): it "
          "resolves only when the condition has not held for this long.")
      .fallback("0s")
      .range(0, 86400 * 30);
  s.field("no_data", config::Kind::String,
          "What an answer without any series means: resolve (every series resolves, as Prometheus does), keep "
          "(nothing changes, timers included), or alert (the absence is a series of its own that goes pending and "
          "fires, value \"no data\"). With provider statsd, a series not reported in an interval is no data too: "
          "with keep or alert its state stays as it is.")
      .fallback("resolve")
      .one_of({"resolve", "keep", "alert"});
  s.field("repeat_every", config::Kind::Duration,
          "Say a series that is still firing again this often; 0: say it once, when it fires.")
      .fallback("0s")
      .range(0, 86400 * 30);
  s.field("unit", config::Kind::String,
          "How values read in default templates: none (4.1k), percent (95.3%), ratio (0.953 as 95.3%), bytes "
          "(1.2 GiB), seconds (0.35 as 350 ms), milliseconds (350 as 350 ms: StatsD timers) or per_second (4.1k/s).")
      .fallback("none")
      .one_of({"none", "percent", "ratio", "bytes", "seconds", "milliseconds", "per_second"});
  s.field("severity", config::Kind::String, "Severity of its firing events (resolved ones are info).")
      .fallback("warning")
      .one_of({"info", "notice", "warning", "error", "critical"});
  s.field("summary", config::Kind::String, "A line said with its events (field `summary`).")
      .example("disk almost full");
  return s;
}

Result<Check> check_from_config(const config::Node& node) {
  Check c;
  c.name = node.str("name");
  if (!valid_name(c.name))
    return std::unexpected(node["name"].error("a check's name is 1 to 100 letters, digits, _ - . or :"));
  c.query = node.str("query");
  if (c.query.empty()) return std::unexpected(node["query"].error("the query is empty"));
  auto condition = condition_from(node.map("condition"));
  if (!condition) return std::unexpected(condition.error());
  c.rule.condition = *condition;
  c.rule.hold = node.duration("for");
  c.rule.keep_firing_for = node.duration("keep_firing_for");
  const auto no_data = node.str("no_data");
  c.rule.no_data = no_data == "keep" ? NoData::Keep : no_data == "alert" ? NoData::Alert : NoData::Resolve;
  c.rule.repeat_every = node.duration("repeat_every");
  c.unit = unit_from_string(node.str("unit")).value_or(Unit::None);
  c.severity = severity_from_string(node.str("severity"));
  if (node.has("summary")) c.summary = node.str("summary");
  return c;
}

Result<std::vector<Check>> checks_from_config(const config::Node& source) {
  std::vector<Check> checks;
  std::set<std::string> names;
  for (const auto& entry : source.list("checks")) {
    auto check = check_from_config(entry);
    if (!check) return std::unexpected(check.error());
    if (!names.insert(check->name).second)
      return std::unexpected(entry["name"].error("another check of this source has the name '" + check->name + "'"));
    checks.push_back(std::move(*check));
  }
  if (checks.empty()) return std::unexpected(source["checks"].error("a metric source needs at least one check"));
  return checks;
}

IngestionEvent notice_event(const Check& check, const Notice& notice, const EventContext& context) {
  const auto& s = notice.series;
  const bool resolved = notice.transition == Transition::Resolved;
  const auto ms = [](TimePoint t) { return std::to_string(t.time_since_epoch().count()); };
  const double value = notice.value.value_or(std::numeric_limits<double>::quiet_NaN());
  IngestionEvent e;
  e.topic = "metric/" + context.source + (resolved ? "/resolved" : "/firing");
  e.severity = resolved ? Severity::Info : check.severity;
  const auto key = series_key(s.labels);
  // One key per transition: the series' firing (when it fired), then its repeats and its resolution.
  e.dedupe_key = fmt::format("metric:{}/{}/{}/{}", context.source, check.name, key, ms(s.fired_at.value_or(s.active_at)));
  if (resolved) e.dedupe_key += "/resolved";
  else if (notice.transition == Transition::Repeat) e.dedupe_key += fmt::format("/{}", ms(*s.last_said));
  e.fields = {
      {"check", check.name},
      {"state", resolved ? "resolved" : "firing"},
      {"repeat", notice.transition == Transition::Repeat},
      {"value", std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr)},
      {"value_text", resolved && !notice.value ? "no longer reported" : humanise(value, check.unit)},
      {"condition", check.rule.condition.text()},
      {"threshold", check.rule.condition.threshold},
      {"labels", s.labels},
      {"series", key},
      {"series_labels", !s.labels.empty()},
      {"no_data", s.no_data},
      {"query", check.query},
      {"link", payload::or_null(context.link)},
      {"summary", payload::or_null(check.summary)},
      {"active_at", s.active_at.time_since_epoch().count()},
  };
  if (s.fired_at) e.fields["fired_at"] = s.fired_at->time_since_epoch().count();
  if (check.rule.condition.op == Comparison::Outside || check.rule.condition.op == Comparison::Inside)
    e.fields["threshold"] = {check.rule.condition.threshold, check.rule.condition.high};
  e.default_template = std::string(resolved ? kResolvedTemplate : kFiringTemplate);
  return e;
}

}  // namespace chatops::ingestion::metric
