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

}  // namespace chatops::ingestion
