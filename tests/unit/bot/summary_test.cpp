// The data of scheduled summaries (bot/summary.hpp): what is firing, from the newest
// notification of each alert, and what each source did.
#include <catch2/catch.hpp>

#include "bot/summary.hpp"

using namespace chatops;
using nlohmann::json;

namespace {

ingestion::IngestionEvent summary_alert_event(json alerts) {
  ingestion::IngestionEvent e;
  e.source = "alerts";
  e.topic = "alertmanager/firing";
  e.fields = {{"alerts", std::move(alerts)}};
  return e;
}

ingestion::SourceReport summary_report(const std::string& name, ingestion::SourceState state) {
  ingestion::SourceReport r;
  r.name = name;
  r.kind = "webhook";
  r.status.state = state;
  return r;
}

}  // namespace

TEST_CASE("a summary lists the alerts whose newest notification fires, and each source's events") {
  bot::SummaryInput input;
  // Newest first: DiskFull resolved after it fired; HighLoad fires; a malformed entry is passed over.
  input.alert_events = {
      summary_alert_event({{{"id", "aaaaaa"}, {"name", "DiskFull"}, {"status", "resolved"}}, "junk"}),
      summary_alert_event({{{"id", "bbbbbb"}, {"name", "HighLoad"}, {"instance", "web1"}, {"status", "firing"}},
                           {{"id", "aaaaaa"}, {"name", "DiskFull"}, {"status", "firing"}}}),
  };
  input.sources = {summary_report("alerts", ingestion::SourceState::Running),
                   summary_report("github", ingestion::SourceState::Failed)};
  input.sources[1].status.last_error = "401 Unauthorized";
  input.received = {{"alerts", 7}};
  input.backlog = 2;
  const auto s = bot::clock_summary(input);
  CHECK(s["firing_count"] == 1);
  REQUIRE(s["firing"].size() == 1);
  CHECK(s["firing"][0]["id"] == "bbbbbb");
  CHECK(s["firing"][0]["instance"] == "web1");
  CHECK(s["events"] == 7);
  CHECK(s["backlog"] == 2);
  REQUIRE(s["sources"].size() == 2);
  CHECK(s["sources"][0] == json{{"name", "alerts"}, {"kind", "webhook"}, {"state", "running"}, {"paused", false},
                                {"events", 7}, {"last_error", ""}});
  CHECK(s["sources"][1]["events"] == 0);
  CHECK(s["sources"][1]["last_error"] == "401 Unauthorized");
}

TEST_CASE("a summary with nothing to tell has empty lists") {
  const auto s = bot::clock_summary({});
  CHECK(s["firing"].empty());
  CHECK(s["sources"].empty());
  CHECK(s["firing_count"] == 0);
}
