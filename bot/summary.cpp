#include "bot/summary.hpp"

#include <algorithm>
#include <set>

namespace chatops::bot {

namespace {
std::string text_of(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}
}  // namespace

nlohmann::json clock_summary(const SummaryInput& input) {
  auto firing = nlohmann::json::array();
  std::set<std::string> decided;  // alert ids whose newest notification was seen
  for (const auto& event : input.alert_events) {
    const auto alerts = event.fields.find("alerts");
    if (alerts == event.fields.end() || !alerts->is_array()) continue;
    for (const auto& alert : *alerts) {
      if (!alert.is_object()) continue;
      const auto id = text_of(alert, "id");
      if (id.empty() || !decided.insert(id).second || text_of(alert, "status") != "firing") continue;
      firing.push_back({{"id", id},
                        {"name", text_of(alert, "name")},
                        {"instance", text_of(alert, "instance")},
                        {"severity", text_of(alert, "severity")},
                        {"summary", text_of(alert, "summary")}});
    }
  }
  auto sources = nlohmann::json::array();
  std::int64_t total = 0;
  for (const auto& report : input.sources) {
    const auto found = std::ranges::find(input.received, report.name, &std::pair<std::string, std::int64_t>::first);
    const auto received = found == input.received.end() ? 0 : found->second;
    total += received;
    sources.push_back({{"name", report.name},
                       {"kind", report.kind},
                       {"state", std::string(ingestion::to_string(report.status.state))},
                       {"paused", report.paused},
                       {"events", received},
                       {"last_error", report.status.last_error}});
  }
  const auto firing_count = firing.size();
  return {{"firing", std::move(firing)},
          {"firing_count", firing_count},
          {"sources", std::move(sources)},
          {"events", total},
          {"backlog", input.backlog}};
}

}  // namespace chatops::bot
