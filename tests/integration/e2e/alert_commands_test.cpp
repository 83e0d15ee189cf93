// Issue 16, item 4: alert actions from the channel against a real Alertmanager. Its alerts are
// said with a short id; `!ack` marks one; `!silence` creates a silence that Alertmanager's own API
// shows (createdBy the user's handle), whose alerts are then not notified; `!unsilence` expires it.
#include <catch2/catch.hpp>

#include <ctime>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/alertmanager.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string alert_json(const std::string& name, const std::string& instance) {
  const std::time_t started = std::time(nullptr) - 10;
  std::tm utc{};
  gmtime_r(&started, &utc);
  char at[32];
  std::strftime(at, sizeof at, "%FT%TZ", &utc);
  return json{{"labels", {{"alertname", name}, {"instance", instance}, {"severity", "critical"}}},
              {"annotations", {{"summary", name + " on " + instance}}},
              {"startsAt", at}}
      .dump();
}

struct AlertStack {
  // Alertmanager first (the bot's config names it), then told where the bot listens.
  Alertmanager am{AlertmanagerOptions{.webhook_url = "http://127.0.0.1:9/not-yet", .bearer_token = "am-t0ken"}};
  BotInChannel channel{[this] {
                         BotConfig c;
                         c.flood = "{burst: 20, rate: 10.0}";
                         c.sources = "  - {name: alerts, kind: webhook, provider: alertmanager, path: /hooks/am, "
                                     "bearer_token: am-t0ken}\n";
                         c.binds = "  - {type: webhook, mask: \"alertmanager/*\", say: {to: [\"#ops\"]}}\n";
                         c.extra = "users:\n  - {handle: oncall, hostmasks: [\"boss!*@*\"], flags: o}\n"
                                   "commands: {user_burst: 50, channel_burst: 50}\n"
                                   "alertmanager: {url: \"" + am.url() + "\", timeout: 5s}\n";
                         return c;
                       }(),
                       "chatops-alert-commands"};
  std::unique_ptr<IrcTestClient> boss, stranger;

  AlertStack() {
    am.retarget("http://127.0.0.1:" + std::to_string(channel.bot->http_port()) + "/hooks/am");
    boss = std::make_unique<IrcTestClient>(IrcClientOptions{.port = channel.ircd.port(), .nick = "boss"});
    boss->join("#ops");
    stranger = std::make_unique<IrcTestClient>(IrcClientOptions{.port = channel.ircd.port(), .nick = "stranger"});
    stranger->join("#ops");
  }

  std::string ask(IrcTestClient& who, const std::string& text) {
    const auto asked = std::chrono::steady_clock::now();
    who.privmsg("#ops", text);
    const auto said = channel.watcher->wait_for(
        [asked](const Privmsg& m) { return m.nick == "opsbot" && m.target == "#ops" && m.received >= asked; }, 15s, 1);
    return said.empty() ? std::string("(nothing)") : said[0].text;
  }

  json silences() {
    const auto answer = am.get("/api/v2/silences");
    REQUIRE(answer.status == 200);
    return json::parse(answer.body);
  }
};

}  // namespace

TEST_CASE("an alert's id acks it, silences it in a real Alertmanager, and the silence is expired from IRC",
          "[e2e][commands][alertmanager]") {
  AlertStack s;
  REQUIRE(s.am.post_alerts("[" + alert_json("DiskFull", "db1") + "]").status == 200);
  const auto firing = s.channel.watcher->wait_for(std::regex("DiskFull"), "opsbot", "#ops", 20s);
  REQUIRE(firing.size() == 1);
  std::smatch id_match;
  REQUIRE(std::regex_search(firing[0].text, id_match, std::regex(R"(\[([0-9a-f]{6})\])")));
  const std::string id = id_match[1];

  CHECK(s.ask(*s.boss, "!ack " + id) == "Alert " + id + " (DiskFull on db1) acknowledged by oncall.");
  // Kept in the journal: after a restart, status and history still show it.
  s.channel.bot->stop();
  s.channel.watcher->clear();
  s.channel.bot->start();
  REQUIRE(s.channel.watcher->wait_for_join("opsbot", "#ops", 30s));
  s.boss->privmsg("#ops", "!status");
  CHECK(s.channel.watcher->wait_for(std::regex("^acknowledged: " + id + " DiskFull on db1 by oncall$"), "opsbot", "#ops", 30s).size() == 1);
  s.boss->privmsg("#ops", "!history 1");
  const auto history = s.channel.watcher->wait_for(std::regex(R"(^#\d+ .* alerts alertmanager/firing: )"), "opsbot", "#ops", 30s);
  REQUIRE(history.size() == 1);
  CHECK(history[0].text.ends_with("(acked " + id + " by oncall)"));
  CHECK(s.ask(*s.stranger, "!silence " + id + " 1h") ==
        "stranger: sorry, !silence needs flags o|o and I do not know you (say !whoami).");
  CHECK(s.silences().empty());

  const auto reply = s.ask(*s.boss, "!silence " + id + " 2h disk swap tonight");
  std::smatch silence_match;
  REQUIRE(std::regex_match(reply, silence_match,
                           std::regex("Silenced " + id + R"( \(DiskFull on db1\) for 2h: silence ([0-9a-f-]{36}) by oncall\.)")));
  const std::string silence_id = silence_match[1];
  auto listed = s.silences();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["id"] == silence_id);
  CHECK(listed[0]["createdBy"] == "oncall");
  CHECK(listed[0]["comment"] == "disk swap tonight");
  CHECK(listed[0]["status"]["state"] == "active");
  std::map<std::string, std::string> matchers;
  for (const auto& m : listed[0]["matchers"]) {
    CHECK(m["isRegex"] == false);
    matchers[m["name"]] = m["value"];
  }
  CHECK(matchers == std::map<std::string, std::string>{{"alertname", "DiskFull"}, {"instance", "db1"}, {"severity", "critical"}});

  const auto shown = s.ask(*s.boss, "!silences");
  CHECK(shown.starts_with(silence_id + " active until "));
  CHECK(shown.ends_with(" by oncall: alertname=DiskFull, instance=db1, severity=critical — disk swap tonight"));

  CHECK(s.ask(*s.boss, "!unsilence " + silence_id) == "Silence " + silence_id + " expired by oncall.");
  CHECK(s.silences()[0]["status"]["state"] == "expired");
  CHECK(s.ask(*s.boss, "!silences") == "No active silence.");
}

TEST_CASE("a silence by matchers from IRC keeps its alerts from being said", "[e2e][commands][alertmanager]") {
  AlertStack s;
  CHECK(std::regex_match(s.ask(*s.boss, "!silence alertname=~Quiet.* instance!=db9 30m"),
                         std::regex(R"(Silenced alertname=~Quiet\.\*, instance!=db9 for 30m: silence [0-9a-f-]{36} by oncall\.)")));
  const auto listed = s.silences();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["comment"] == "silenced from IRC by oncall");
  CHECK(s.ask(*s.boss, "!silence alertname 30m") ==
        "boss: usage: silence <alert id | name=value …> <duration: 30m, 2h, 1d> [comment]");

  // Both go through the same route and group timing: once the loud one is said, the quiet one
  // would have been too.
  REQUIRE(s.am.post_alerts("[" + alert_json("QuietOne", "db1") + "," + alert_json("LoudOne", "db1") + "]").status == 200);
  REQUIRE(s.channel.watcher->wait_for(std::regex("LoudOne"), "opsbot", "#ops", 20s).size() == 1);
  std::this_thread::sleep_for(2s);  // a second group_interval: the quiet group has had its turn
  for (const auto& m : s.channel.watcher->messages()) CHECK(m.text.find("QuietOne") == std::string::npos);
}

TEST_CASE("the bot keeps speaking and answering while an Alertmanager call hangs", "[e2e][commands][alertmanager]") {
  AlertStack s;
  // Stopped, not gone: its socket still accepts connections, and nothing answers on them.
  REQUIRE(s.am.process()->freeze());
  s.boss->privmsg("#ops", "!silences");
  s.boss->privmsg("#ops", "!version");
  const auto version = s.channel.watcher->wait_for(std::regex("^chatops-bot "), "opsbot", "#ops", 30s);
  REQUIRE(version.size() == 1);
  const auto posted = s.channel.bot->post("/hooks/am", fixture_text("webhooks/alertmanager/real-firing.json"),
                                          {{"Authorization", "Bearer am-t0ken"}, {"Content-Type", "application/json"}});
  CHECK(posted.status == 202);
  const auto event = s.channel.watcher->wait_for(std::regex("TestbedAlwaysFiring"), "opsbot", "#ops", 30s);
  REQUIRE(event.size() == 1);
  // The call to Alertmanager gives up at its 5 s timeout; the answer and the event were said
  // while it waited.
  const auto failed = s.channel.watcher->wait_for(std::regex("^boss: cannot list silences: "), "opsbot", "#ops", 20s);
  if (failed.empty()) {
    std::string seen;
    for (const auto& m : s.channel.watcher->messages()) seen += "<" + m.nick + "> " + m.text + "\n";
    FAIL("no answer to !silences; seen in #ops:\n" << seen << "bot log:\n" << s.channel.bot->log());
  }
  CHECK(version[0].received < failed[0].received);
  CHECK(event[0].received < failed[0].received);
  s.am.process()->thaw();
  CHECK(s.ask(*s.boss, "!silences") == "No active silence.");
}
