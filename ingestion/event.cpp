#include "ingestion/event.hpp"

#include <array>

namespace chatops::ingestion {

namespace {
constexpr std::array<std::string_view, 5> kSeverityNames{"info", "notice", "warning", "error", "critical"};
}

std::string_view to_string(Severity s) { return kSeverityNames[static_cast<std::size_t>(s)]; }

Severity severity_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kSeverityNames.size(); ++i)
    if (kSeverityNames[i] == s) return static_cast<Severity>(i);
  if (s == "critical" || s == "page" || s == "firing") return Severity::Critical;
  if (s == "warn") return Severity::Warning;
  return Severity::Info;
}

nlohmann::json to_json(const IngestionEvent& e) {
  return {
      {"id", e.id},
      {"source", e.source},
      {"kind", e.kind},
      {"topic", e.topic},
      {"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count()},
      {"severity", to_string(e.severity)},
      {"dedupe_key", e.dedupe_key},
      {"fields", e.fields},
      {"default_template", e.default_template},
  };
}

IngestionEvent event_from_json(const nlohmann::json& j) {
  IngestionEvent e;
  e.id = j.value("id", std::int64_t{0});
  e.source = j.value("source", "");
  e.kind = j.value("kind", "");
  e.topic = j.value("topic", "");
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(j.value("time_ms", std::int64_t{0})));
  e.severity = severity_from_string(j.value("severity", "info"));
  e.dedupe_key = j.value("dedupe_key", "");
  e.fields = j.value("fields", nlohmann::json::object());
  e.default_template = j.value("default_template", "");
  return e;
}

}  // namespace chatops::ingestion
