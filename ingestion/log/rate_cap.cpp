#include "ingestion/log/rate_cap.hpp"

#include <algorithm>
#include <filesystem>

namespace chatops::ingestion::log {

namespace {

std::int64_t to_ms(RateCap::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// 3000 → "3,000"
std::string with_separators(std::uint64_t n) {
  auto digits = std::to_string(n);
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3)
    digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

}  // namespace

std::optional<RateCapOptions> rate_cap_options(const config::Node& v) {
  if (!v.has("rate_cap")) return std::nullopt;
  const auto cap = v.map("rate_cap");
  return RateCapOptions{.lines = static_cast<std::size_t>(cap.integer("lines")), .per = cap.duration("per")};
}

std::string digest_text(std::uint64_t count, const std::string& pattern, const std::string& file) {
  // A file by its name; a network sender (tcp://10.0.0.5) by its address.
  const auto scheme = file.find("://");
  const auto where = scheme != std::string::npos ? " from " + file.substr(scheme + 3)
                     : file.empty()              ? std::string()
                                                 : " in " + std::filesystem::path(file).filename().string();
  const char* lines = count == 1 ? " line" : " lines";
  // "line", "malformed" and "unmatched" are the topics of a source without match:, of unparsable
  // lines and of the lines no pattern finds (unmatched: event).
  const auto what = pattern == "line"        ? std::string(" more") + lines
                    : pattern == "malformed" ? std::string(" more malformed") + lines
                    : pattern == "unmatched" ? std::string(" more unmatched") + lines
                                             : std::string(" more") + lines + " matched " + pattern;
  return "… " + with_separators(count) + what + where;
}

bool RateCap::admit(const std::string& pattern, const std::string& file, const IngestionEvent& event,
                    Clock::time_point now) {
  if (!window_ || now >= *window_ + o_.per) {
    window_ = now;
    said_ = 0;
  }
  if (said_ < o_.lines) {
    ++said_;
    return true;
  }
  auto& c = counts_[{pattern, file}];
  ++c.lines;
  c.severity = std::max(c.severity, event.severity);
  c.latest = event.fields.value("line", "");
  return false;
}

std::vector<IngestionEvent> RateCap::due(Clock::time_point now, const std::string& topic_prefix) {
  std::vector<IngestionEvent> out;
  if (counts_.empty() || !window_ || now < *window_ + o_.per) return out;
  for (auto& [key, c] : counts_) {
    const auto& [pattern, file] = key;
    IngestionEvent e;
    e.topic = topic_prefix + pattern;
    e.severity = c.severity;
    const auto text = digest_text(c.lines, pattern, file);
    e.fields = {{"digest", true}, {"count", c.lines}, {"pattern", pattern}, {"file", file},
                {"line", std::move(c.latest)}, {"text", text}, {"what", "lines"}};
    e.default_template = "[{{_event.source}}] {{text}}";
    out.push_back(std::move(e));
  }
  counts_.clear();
  return out;
}

std::optional<RateCap::Clock::time_point> RateCap::next_deadline() const {
  if (counts_.empty() || !window_) return std::nullopt;
  return *window_ + o_.per;
}

// {"window_ms":…,"said":…,"counts":[{"pattern":…,"file":…,"lines":…,"severity":…,"latest":…}]}
nlohmann::json RateCap::state() const {
  nlohmann::json counts = nlohmann::json::array();
  for (const auto& [key, c] : counts_)
    counts.push_back({{"pattern", key.first}, {"file", key.second}, {"lines", c.lines},
                      {"severity", std::string(to_string(c.severity))}, {"latest", c.latest}});
  nlohmann::json j{{"said", said_}, {"counts", std::move(counts)}};
  if (window_) j["window_ms"] = to_ms(*window_);
  return j;
}

void RateCap::restore(const nlohmann::json& j) {
  window_.reset();
  said_ = 0;
  counts_.clear();
  if (!j.is_object()) return;
  try {
    if (j.contains("window_ms"))
      window_ = Clock::time_point(std::chrono::milliseconds(j["window_ms"].get<std::int64_t>()));
    said_ = j.value("said", std::size_t{0});
    for (const auto& c : j.value("counts", nlohmann::json::array()))
      counts_[{c.at("pattern").get<std::string>(), c.at("file").get<std::string>()}] = {
          c.at("lines").get<std::uint64_t>(), severity_from_string(c.value("severity", "info")),
          c.value("latest", "")};
  } catch (const nlohmann::json::exception&) {  // not written by this version: a fresh window
    window_.reset();
    said_ = 0;
    counts_.clear();
  }
}

}  // namespace chatops::ingestion::log
