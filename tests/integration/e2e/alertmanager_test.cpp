// Issue: webhook providers. A real Prometheus Alertmanager notifies the bot (bearer token); its
// alerts appear in the channel as firing, then as resolved after they end, each once.
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/alertmanager.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {
std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%FT%TZ", &utc);
  return text;
}

std::string alert(const std::string& name, const std::string& instance, std::chrono::system_clock::time_point starts,
                  std::optional<std::chrono::system_clock::time_point> ends) {
  std::string json = "{\"labels\":{\"alertname\":\"" + name + "\",\"severity\":\"critical\",\"instance\":\"" + instance +
                     "\"},\"annotations\":{\"summary\":\"" + name + " on " + instance + "\"},\"startsAt\":\"" +
                     rfc3339(starts) + "\"";
  if (ends) json += ",\"endsAt\":\"" + rfc3339(*ends) + "\"";
  return json + "}";
}
}  // namespace

TEST_CASE("alerts from a real Alertmanager are said firing, then resolved, each once", "[e2e][alertmanager]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-am");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  BotConfig config;
  config.irc_port = ircd.port();
  config.sources = "  - {name: alerts, kind: webhook, provider: alertmanager, path: /hooks/alertmanager, bearer_token: am-t0ken}\n";
  config.binds = "  - {type: webhook, mask: \"alertmanager/*\", say: {to: [\"#ops\"]}}\n";
  BotProcess bot(dir, bot_config_yaml(config));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));

  // A wrong token is refused before anything else happens.
  REQUIRE(bot.post("/hooks/alertmanager", "{}", {{"Authorization", "Bearer nope"}}).status == 401);

  Alertmanager am(AlertmanagerOptions{
      .webhook_url = "http://127.0.0.1:" + std::to_string(bot.http_port()) + "/hooks/alertmanager",
      .bearer_token = "am-t0ken"});
  const auto started = std::chrono::system_clock::now() - 10s;
  REQUIRE(am.post_alerts("[" + alert("DiskFull", "db1", started, std::nullopt) + "]").status == 200);

  auto firing = watcher.wait_for(std::regex("DiskFull"), "opsbot", "#ops", 20s);
  REQUIRE(firing.size() >= 1);
  CHECK(std::regex_search(firing[0].text, std::regex("FIRING", std::regex::icase)));

  REQUIRE(am.post_alerts("[" + alert("DiskFull", "db1", started, std::chrono::system_clock::now()) + "]").status == 200);
  auto resolved = watcher.wait_for(std::regex("RESOLVED", std::regex::icase), "opsbot", "#ops", 20s);
  REQUIRE(resolved.size() >= 1);
  CHECK(resolved[0].text.find("DiskFull") != std::string::npos);

  // Alertmanager repeats nothing within repeat_interval, and a repeat would be deduplicated:
  // each state is said once.
  std::this_thread::sleep_for(3s);
  std::size_t firing_lines = 0, resolved_lines = 0;
  for (const auto& m : watcher.messages()) {
    if (m.nick != "opsbot" || m.text.find("DiskFull") == std::string::npos) continue;
    if (std::regex_search(m.text, std::regex("RESOLVED", std::regex::icase))) ++resolved_lines;
    else if (std::regex_search(m.text, std::regex("FIRING", std::regex::icase))) ++firing_lines;
  }
  CHECK(firing_lines == 1);
  CHECK(resolved_lines == 1);
}
