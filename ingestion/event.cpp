#include "ingestion/event.hpp"

#include <array>

#include <spdlog/spdlog.h>

#include "ingestion/journal/compression.hpp"

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

std::string payload_text(const IngestionEvent& event) {
  if (!event.raw.empty() || event.raw_compressed.empty()) return event.raw;
  if (auto text = compression::decompress(event.raw_compressed)) return std::move(*text);
  spdlog::error("journal: event {}: its payload does not decompress; it is said without it", event.id);
  return {};
}

}  // namespace chatops::ingestion
