// Issue 16, item 5: a cron bind says a summary of what is firing and what each source did, with
// the built bot on a real ngircd. Cron binds run at the start of a minute: the test waits for the
// next one (at most a minute).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/raw_http.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("a cron bind says what is firing and what each source received", "[e2e][summary]") {
  BotConfig c;
  c.flood = "{burst: 20, rate: 10.0}";
  c.sources = "  - {name: alerts, kind: webhook, provider: alertmanager, path: /hooks/am, bearer_token: am-t0ken}\n"
              "  - {name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, topic_pointer: /event,\n"
              "     token: tok3n, token_header: X-Token}\n";
  c.binds = "  - {type: webhook, mask: \"*\", say: {to: [\"#ops\"]}}\n"
            "  - type: cron\n"
            "    mask: \"* * * * *\"\n"
            "    say:\n"
            "      to: [\"#ops\"]\n"
            "      template: |-\n"
            "        summary: {{firing_count}} firing{{#firing}} [{{id}}] {{name}}{{/firing}}{{^firing}} none{{/firing}}\n"
            "        {{#sources}}{{name}} {{state}} {{events}}; {{/sources}}\n";
  BotInChannel s(c, "chatops-summary");
  REQUIRE(s.bot->post("/hooks/am", fixture_text("webhooks/alertmanager/real-firing.json"),
                      {{"Authorization", "Bearer am-t0ken"}, {"Content-Type", "application/json"}})
              .status == 202);
  for (const char* service : {"api", "web"}) {
    const nlohmann::json body = {{"event", "deploy/finished"}, {"service", service}};
    auto reply = raw_exchange(s.bot->http_port(), post_request("/hooks/deploy", body.dump(),
                                                               "Content-Type: application/json\r\nX-Token: tok3n\r\n"));
    REQUIRE(reply);
    REQUIRE(reply->status == 202);
  }
  const auto firing = s.watcher->wait_for(std::regex("TestbedAlwaysFiring"), "opsbot", "#ops", 30s);
  REQUIRE(firing.size() == 1);
  REQUIRE(s.watcher->wait_for(std::regex("deploy/finished"), "opsbot", "#ops", 15s, 2).size() == 2);
  // The next minute's tick after the events were said (a tick before then may have said less).
  const auto after = std::chrono::steady_clock::now();
  const auto said = s.watcher->wait_for(
      [after](const Privmsg& m) { return m.nick == "opsbot" && m.received >= after && m.text.starts_with("summary: "); },
      75s, 1);
  REQUIRE(said.size() == 1);
  CHECK(std::regex_match(said[0].text, std::regex(R"(summary: 1 firing \[[0-9a-f]{6}\] TestbedAlwaysFiring)")));
  CHECK(s.watcher->wait_for(
            [after](const Privmsg& m) {
              return m.nick == "opsbot" && m.received >= after &&
                     std::regex_match(m.text, std::regex(R"(alerts running 1; deploys running 2;\s*)"));
            },
            10s, 1).size() == 1);
}
