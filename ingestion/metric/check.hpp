#pragma once
// A metric source's checks (`checks:`): what to ask, the condition, its timing and how its events
// read; declared once (validation, defaults and the configuration reference come from here). The
// events a check's transitions become are made here too, the same for every provider.
#include <string>
#include <vector>

#include "core/config/node.hpp"
#include "ingestion/event.hpp"
#include "ingestion/metric/humanise.hpp"
#include "ingestion/metric/threshold.hpp"

namespace chatops::ingestion::metric {

struct Check {
  std::string name;
  std::string query;  // the provider's expression (PromQL, InfluxQL, a StatsD aggregate)
  Rule rule;
  Unit unit = Unit::None;
  Severity severity = Severity::Warning;  // of its firing events (resolved ones are Info)
  std::string summary;                    // said with its events ("" when none)
};

config::Schema check_schema();
config::Schema condition_schema();
// One validated `checks:` entry; errors name the key.
Result<Check> check_from_config(const config::Node& node);
// Every check of a validated source, names unique.
Result<std::vector<Check>> checks_from_config(const config::Node& source);

// What the event of a transition needs besides the check and the notice.
struct EventContext {
  std::string source;
  std::string link;  // to the expression upstream ("" when none)
};

// metric/<source>/firing (a first firing or a repeat) or metric/<source>/resolved.
IngestionEvent notice_event(const Check& check, const Notice& notice, const EventContext& context);

}  // namespace chatops::ingestion::metric
