#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/config/node.hpp"
#include "core/crypto.hpp"
#include "ingestion/webhook/alertmanager.hpp"
#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using nlohmann::json;
using chatops::ingestion::webhook::test::said_line;
using chatops::ingestion::webhook::test::said_lines;
using chatops::ingestion::webhook::test::slurp;

namespace {

const std::string kAlertmanagerFixtures = std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/alertmanager/";

Request alertmanager_request(std::string body, std::optional<std::string> authorization = "Bearer am-token") {
  if (!authorization) return webhook::test::json_request(std::move(body));
  return webhook::test::json_request(std::move(body), {{"Authorization", *authorization}});
}

const Provider& alertmanager() {
  static const auto p = [] {
    AuthChecks auth;
    auth.add(AuthorizationCheck::bearer("am-token"));
    return make_alertmanager(std::move(auth));
  }();
  return *p;
}

IngestionEvent alertmanager_event(const json& body) {
  return webhook::test::only_event(alertmanager(), alertmanager_request(body.dump()));
}

json am_alert(const std::string& status, const std::string& instance, const std::string& severity = "warning") {
  return {{"status", status},
          {"labels", {{"alertname", "HighLatency"}, {"instance", instance}, {"severity", severity}, {"job", "api"}}},
          {"annotations", {{"summary", "p99 latency above 2s on " + instance}}},
          {"startsAt", "2026-11-23T17:00:00Z"},
          {"endsAt", status == "firing" ? "0001-01-01T00:00:00Z" : "2026-11-23T17:30:00Z"},
          {"generatorURL", "http://prometheus:9090/graph?g0.expr=latency&i=" + instance},
          {"fingerprint", "fp-" + instance}};
}

// A notification of group HighLatency, as Alertmanager 0.25+ sends it.
json am_group(const std::string& status, json alerts, int truncated = 0) {
  return {{"version", "4"},
          {"groupKey", "{}/{job=\"api\"}:{alertname=\"HighLatency\"}"},
          {"truncatedAlerts", truncated},
          {"status", status},
          {"receiver", "irc\\.ops"},
          {"groupLabels", {{"alertname", "HighLatency"}}},
          {"commonLabels", {{"alertname", "HighLatency"}, {"job", "api"}}},
          {"commonAnnotations", json::object()},
          {"externalURL", "http://alertmanager:9093"},
          {"alerts", std::move(alerts)}};
}

}  // namespace

TEST_CASE("alertmanager: every fixture maps to its status topic, and is said to the letter", "[alertmanager]") {
  // file → topic and the line a bind without a template of its own says.
  const std::map<std::string, std::pair<std::string, std::string>> expected{
      {"real-firing.json",
       {"alertmanager/firing", "FIRING:1 TestbedAlwaysFiring (warning) [455c5a]: testbed always-firing alert "
                               "http://vm:60819/graph?g0.expr=vector%281%29+%3E+0&g0.tab=1"}},
      {"real-resolved.json",
       {"alertmanager/resolved",
        "RESOLVED:1 TestbedDiskFull [d7d4ab] on db1:9100: Disk almost full on db1 http://127.0.0.1/graph?g0.expr=disk"}},
  };
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kAlertmanagerFixtures)) {
    if (entry.path().extension() != ".json") continue;
    const std::string file = entry.path().filename();
    INFO(file);
    REQUIRE(expected.contains(file));  // a new fixture needs an expectation here
    ++seen;
    const auto e = alertmanager_event(json::parse(slurp(entry.path())));
    CHECK(e.topic == expected.at(file).first);
    CHECK(said_line(e) == expected.at(file).second);
    CHECK(json::parse(e.raw) == json::parse(slurp(entry.path())));
    CHECK(e.fields["count"] == 1);
    CHECK(e.fields["alerts"].size() == 1);
    CHECK(e.fields["alerts_shown"].empty());  // one alert: the headline says it all
    CHECK(e.fields["receiver"] == "bot");
    CHECK(e.dedupe_key.starts_with("alertmanager:"));
  }
  CHECK(seen == expected.size());

  const auto firing = alertmanager_event(json::parse(slurp(kAlertmanagerFixtures + "real-firing.json")));
  CHECK(firing.fields["alertname"] == "TestbedAlwaysFiring");
  CHECK(firing.fields["severity"] == "warning");
  CHECK(firing.fields["summary"] == "testbed always-firing alert");
  CHECK(firing.fields["link"] == "http://vm:60819/graph?g0.expr=vector%281%29+%3E+0&g0.tab=1");
  CHECK(firing.fields["truncated"].is_null());
  CHECK(firing.fields["alerts"][0]["fingerprint"] == "3fce94ffaffd9629");
  // The short id !ack takes: from the fingerprint, the same in every notification of the alert.
  CHECK(firing.fields["alerts"][0]["id"] == "455c5a");
  CHECK(firing.fields["id"] == "455c5a");
  CHECK(ingestion::webhook::alert_short_id("3fce94ffaffd9629") == "455c5a");
  CHECK(firing.severity == Severity::Warning);

  const auto resolved = alertmanager_event(json::parse(slurp(kAlertmanagerFixtures + "real-resolved.json")));
  CHECK(resolved.fields["alertname"] == "TestbedDiskFull");
  CHECK(resolved.fields["instance"] == "db1:9100");
  CHECK(resolved.fields["summary"] == "Disk almost full on db1");
  CHECK(resolved.fields["alerts"][0]["ends_at"] == "2026-11-22T13:54:06Z");
  CHECK(resolved.severity == Severity::Info);  // though labelled critical: it is over
}

TEST_CASE("alertmanager: a group lists three alerts, then counts the rest", "[alertmanager]") {
  json alerts = json::array();
  for (const char* instance : {"a:1", "b:1", "c:1", "d:1"}) alerts.push_back(am_alert("firing", instance));
  alerts.push_back(am_alert("firing", "e:1", "critical"));
  alerts.push_back(am_alert("resolved", "f:1"));
  const auto e = alertmanager_event(am_group("firing", alerts, 7));
  const auto& f = e.fields;
  CHECK(f["alertname"] == "HighLatency");
  CHECK(f["count"] == 5);
  CHECK(f["firing_count"] == 5);
  CHECK(f["resolved_count"] == 1);
  CHECK(f["severity"] == "critical");  // the worst of the firing alerts
  CHECK(e.severity == Severity::Critical);
  CHECK(f["summary"].is_null());  // no common annotation: each line has its own
  CHECK(f["truncated"] == 7);
  CHECK(f["link"] == "http://alertmanager:9093");
  CHECK(f["receiver"] == "irc.ops");
  REQUIRE(f["alerts_shown"].size() == 3);
  CHECK(f["alerts_shown"][0]["line"] == "a:1: p99 latency above 2s on a:1");
  CHECK(f["alerts_shown"][0]["id"] == "3aa129");  // each listed alert says its own id
  CHECK(f["id"].is_null());                       // and the headline none
  const auto lines = said_lines(e);
  REQUIRE(lines.size() == 5);
  CHECK(lines[1] == "  [3aa129] a:1: p99 latency above 2s on a:1");
  CHECK(lines[2].starts_with("  [361dfd] b:1"));
  CHECK(f["more_alerts"] == json::parse(R"([{"count": 2}])"));
  CHECK(f["alerts"].size() == 5);  // the resolved one is not listed in a firing event

  SECTION("alerts without an instance are told apart by their own labels") {
    json a = am_alert("firing", "x");
    a["labels"].erase("instance");
    a["labels"]["queue"] = "billing";
    const auto two = alertmanager_event(am_group("firing", {a, am_alert("firing", "y")}));
    CHECK(two.fields["alerts_shown"][0]["line"] == "queue=billing, severity=warning: p99 latency above 2s on x");
    CHECK(two.fields["more_alerts"].empty());
  }
}

TEST_CASE("alertmanager: dedupe key is stable for repeats and changes with the alert set", "[alertmanager]") {
  const json a = am_alert("firing", "a:1"), b = am_alert("firing", "b:1"), c = am_alert("firing", "c:1");
  const auto key = [](const json& body) { return alertmanager_event(body).dedupe_key; };
  const std::string base = key(am_group("firing", {a, b}));

  CHECK(key(am_group("firing", {a, b})) == base);  // the repeat notification
  CHECK(key(am_group("firing", {b, a})) == base);  // order does not matter
  json later = am_group("firing", {a, b});
  later["alerts"][0]["startsAt"] = "2026-11-23T18:00:00Z";  // re-sent with other details
  CHECK(key(later) == base);
  CHECK(key(am_group("firing", {a, b, am_alert("resolved", "z:1")})) == base);  // only the firing set counts

  CHECK(key(am_group("firing", {a, b, c})) != base);  // one more is firing
  CHECK(key(am_group("firing", {a})) != base);        // one fewer is firing
  CHECK(key(am_group("firing", {a, b}, 3)) != base);  // more were truncated
  CHECK(key(am_group("resolved", {am_alert("resolved", "a:1"), am_alert("resolved", "b:1")})) != base);
  json other = am_group("firing", {a, b});
  other["groupKey"] = "{}:{alertname=\"Other\"}";
  CHECK(key(other) != base);
}

TEST_CASE("alertmanager: bearer token or basic auth", "[alertmanager]") {
  const std::string body = slurp(kAlertmanagerFixtures + "real-firing.json");
  for (const auto& header : {std::optional<std::string>{}, std::optional<std::string>{"Bearer wrong"},
                             std::optional<std::string>{"Basic " + crypto::to_base64("am:am-token")}}) {
    auto refused = alertmanager().authenticate(alertmanager_request(body, header));
    REQUIRE(refused.has_value());
    CHECK(refused->status == 401);
    CHECK(refused->reason.find("am-token") == std::string::npos);
  }

  AuthChecks auth;
  auth.add(AuthorizationCheck::basic("am", "pw"));
  const auto basic = make_alertmanager(std::move(auth));
  CHECK_FALSE(basic->authenticate(alertmanager_request(body, "Basic " + crypto::to_base64("am:pw"))).has_value());
  CHECK(basic->authenticate(alertmanager_request(body, "Basic " + crypto::to_base64("am:nope"))).has_value());
}

TEST_CASE("alertmanager: malformed payloads are 400, empty notifications skipped", "[alertmanager]") {
  json v3 = am_group("firing", {am_alert("firing", "a")});
  v3["version"] = "3";
  json pending = am_group("firing", {am_alert("firing", "a")});
  pending["status"] = "pending";
  json no_alerts = am_group("firing", {});
  no_alerts.erase("alerts");
  const std::vector<std::string> bodies{"{\"status\": ", "[]", v3.dump(), pending.dump(), no_alerts.dump()};
  for (const auto& body : bodies) {
    INFO(body);
    auto parsed = alertmanager().parse(alertmanager_request(body));
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().status == 400);
    CHECK(parsed.error().reason.find(body) == std::string::npos);
  }
  auto empty = alertmanager().parse(alertmanager_request(am_group("firing", json::array()).dump()));
  REQUIRE(empty.has_value());
  CHECK(empty->events.empty());
  CHECK_FALSE(empty->skip_reason.empty());
}

TEST_CASE("alertmanager: default templates, one for firing and one for resolved", "[alertmanager]") {
  const auto firing = alertmanager_event(json::parse(slurp(kAlertmanagerFixtures + "real-firing.json"))).default_template;
  for (const char* part : {"[COLOR=RED][B]FIRING:{{count}}[/B][/COLOR]", "[B]{{alertname}}[/B]", "{{severity}}",
                           "{{#summary}}: {{summary}}{{/summary}}", "{{#truncated}} (+{{truncated}} truncated){{/truncated}}",
                           "{{link}}", "{{#alerts_shown}}\n  [{{id}}] {{line}}{{/alerts_shown}}",
                           "{{#more_alerts}}\n  … and {{count}} more{{/more_alerts}}"})
    CHECK_THAT(firing, Catch::Contains(part));
  const auto resolved = alertmanager_event(json::parse(slurp(kAlertmanagerFixtures + "real-resolved.json"))).default_template;
  CHECK_THAT(resolved, Catch::Contains("[COLOR=GREEN][B]RESOLVED:{{count}}[/B][/COLOR]"));
  CHECK_THAT(resolved, Catch::Contains("{{#alerts_shown}}"));
  CHECK(resolved != firing);
}

TEST_CASE("alertmanager: the spec needs bearer_token or basic_auth, not both", "[alertmanager]") {
  const auto spec = alertmanager_spec();
  auto make_from = [&](const std::string& yaml) -> Result<std::unique_ptr<Provider>> {
    auto node = config::load_string(yaml, "test.yml");
    REQUIRE(node.has_value());
    auto validated = config::validate(spec.schema(), *node);
    if (!validated) return std::unexpected(validated.error());
    return spec.make(*validated);
  };
  CHECK_FALSE(make_from("{}\n").has_value());
  CHECK_FALSE(make_from("bearer_token: t\nbasic_auth: {username: u, password: p}\n").has_value());
  auto bearer = make_from("bearer_token: am-token\n");
  REQUIRE(bearer.has_value());
  CHECK_FALSE((*bearer)->authenticate(alertmanager_request("{}")).has_value());
}
