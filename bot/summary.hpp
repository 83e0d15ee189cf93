#pragma once
// What the templates of time and cron binds see besides time and date: a scheduled summary's
// data (docs/bindings.md, "Scheduled summaries"). Gathered on the io thread at the minute's tick.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingestion/event.hpp"
#include "ingestion/manager.hpp"

namespace chatops::bot {

struct SummaryInput {
  std::vector<ingestion::SourceReport> sources;
  std::vector<std::pair<std::string, std::int64_t>> received;  // events per source in the window
  std::vector<ingestion::IngestionEvent> alert_events;         // Alertmanager's, newest first
  std::int64_t backlog = 0;
};

// {firing: [{id, name, instance, severity, summary}], firing_count, sources: [{name, kind, state,
// paused, events, last_error}], events, backlog}. An alert is firing when the newest notification
// that mentions its id says so.
nlohmann::json clock_summary(const SummaryInput& input);

}  // namespace chatops::bot
