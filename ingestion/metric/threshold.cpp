#include "ingestion/metric/threshold.hpp"

#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace chatops::ingestion::metric {

namespace {

std::string_view state_name(AlertState s) { return s == AlertState::Firing ? "firing" : "pending"; }

std::optional<TimePoint> time_at(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return TimePoint(std::chrono::milliseconds(it->get<std::int64_t>()));
}

void put_time(nlohmann::json& j, const char* key, const std::optional<TimePoint>& t) {
  if (t) j[key] = t->time_since_epoch().count();
}

}  // namespace

std::string series_key(const Labels& labels) {
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ", ";
    out += name;
    out += "=\"";
    for (const char c : value) {  // quoted as PromQL writes label values
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string to_text(const SeriesState& s) {
  nlohmann::json j = {{"labels", s.labels}, {"state", state_name(s.state)}};
  put_time(j, "active_at", s.active_at);
  put_time(j, "fired_at", s.fired_at);
  put_time(j, "keep_firing_since", s.keep_firing_since);
  put_time(j, "last_said", s.last_said);
  j["value"] = std::isfinite(s.value) ? nlohmann::json(s.value) : nlohmann::json(nullptr);
  if (s.no_data) j["no_data"] = true;
  return j.dump();
}

std::optional<SeriesState> series_state_from_text(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  SeriesState s;
  const auto labels = j.find("labels");
  if (labels == j.end() || !labels->is_object()) return std::nullopt;
  for (const auto& [name, value] : labels->items()) {
    if (!value.is_string()) return std::nullopt;
    s.labels[name] = value.get<std::string>();
  }
  const auto state = j.value("state", "");
  if (state != "pending" && state != "firing") return std::nullopt;
  s.state = state == "firing" ? AlertState::Firing : AlertState::Pending;
  const auto active_at = time_at(j, "active_at");
  if (!active_at) return std::nullopt;
  s.active_at = *active_at;
  s.fired_at = time_at(j, "fired_at");
  s.keep_firing_since = time_at(j, "keep_firing_since");
  s.last_said = time_at(j, "last_said");
  const auto value = j.find("value");
  s.value = value != j.end() && value->is_number() ? value->get<double>() : std::numeric_limits<double>::quiet_NaN();
  s.no_data = j.value("no_data", false);
  return s;
}

Evaluation ThresholdEngine::evaluate(const std::vector<Sample>& samples, TimePoint now) const {
  Evaluation out;
  if (samples.empty() && rule_.no_data == NoData::Keep) {
    out.next = active_;
    return out;
  }
  // Every series the answer holds (to give a resolved series its value now), and those that hold.
  std::unordered_map<std::string, double> present;
  std::unordered_map<std::string, const Sample*> holding;
  present.reserve(samples.size());
  for (const auto& s : samples) {
    auto key = series_key(s.labels);
    present[key] = s.value;
    if (rule_.condition.holds(s.value)) holding[std::move(key)] = &s;
  }
  const Sample no_data{{}, std::numeric_limits<double>::quiet_NaN()};
  if (samples.empty() && rule_.no_data == NoData::Alert) holding[series_key({})] = &no_data;

  // Series that hold: kept as they are (with their value now), or new and pending.
  for (const auto& [key, sample] : holding) {
    SeriesState s;
    if (const auto it = active_.find(key); it != active_.end()) {
      s = it->second;
      s.keep_firing_since.reset();
    } else {
      s.labels = sample->labels;
      s.active_at = now;
      s.no_data = sample == &no_data;
    }
    s.value = sample->value;
    out.next.emplace(key, std::move(s));
  }
  // Series that no longer hold: resolved (a pending one silently), unless kept firing. A series
  // not reported (pushed metrics) is kept as it is, with no_data keep or alert.
  std::unordered_set<std::string_view> unreported;
  for (const auto& [key, was] : active_) {
    if (holding.contains(key)) continue;
    if (rule_.absent_is_no_data && rule_.no_data != NoData::Resolve && !was.no_data && !present.contains(key)) {
      out.next.emplace(key, was);
      unreported.insert(key);
      continue;
    }
    if (was.state == AlertState::Firing && rule_.keep_firing_for.count() > 0) {
      SeriesState kept = was;
      if (!kept.keep_firing_since) kept.keep_firing_since = now;
      if (now - *kept.keep_firing_since < rule_.keep_firing_for) {
        out.next.emplace(key, std::move(kept));
        continue;
      }
    }
    if (was.state == AlertState::Firing) {
      const auto it = present.find(key);
      out.notices.push_back(
          {Transition::Resolved, was, it == present.end() ? std::nullopt : std::optional<double>(it->second)});
    }
  }
  // Pending series that have held long enough fire; firing ones are said again when it is time.
  for (auto& [key, s] : out.next) {
    if (unreported.contains(key)) continue;
    if (s.state == AlertState::Pending && now - s.active_at >= rule_.hold) {
      s.state = AlertState::Firing;
      s.fired_at = now;
      s.last_said = now;
      out.notices.push_back({Transition::Firing, s, s.value});
    } else if (s.state == AlertState::Firing && rule_.repeat_every.count() > 0 && !s.keep_firing_since &&
               (!s.last_said || now - *s.last_said >= rule_.repeat_every)) {
      s.last_said = now;
      out.notices.push_back({Transition::Repeat, s, s.value});
    }
  }
  // What the journal must remember: everything but the value, which moves at every run.
  const auto same_but_value = [](const SeriesState& a, const SeriesState& b) {
    return a.state == b.state && a.active_at == b.active_at && a.fired_at == b.fired_at &&
           a.keep_firing_since == b.keep_firing_since && a.last_said == b.last_said && a.no_data == b.no_data &&
           a.labels == b.labels;
  };
  for (const auto& [key, s] : out.next) {
    const auto it = active_.find(key);
    if (it == active_.end() || !same_but_value(it->second, s)) out.changes.emplace_back(key, s);
  }
  for (const auto& [key, was] : active_)
    if (!out.next.contains(key)) out.changes.emplace_back(key, std::nullopt);
  return out;
}

}  // namespace chatops::ingestion::metric
