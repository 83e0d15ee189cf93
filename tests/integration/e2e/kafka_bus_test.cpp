// The Kafka journal end to end (issue 14, item 7): real bot processes on librdkafka's mock
// cluster (three brokers, the bus topic replicated on all three) and a real ngircd. Two receivers
// take signed webhooks; one is killed with SIGKILL mid-stream (the poster retries what got no 2xx
// on the other); then the active speaker is killed with SIGKILL mid-stream and the standby of its
// group takes over. Every event that got a 2xx is said exactly once, in order per source.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "core/crypto.hpp"
#include "ingestion/bus/bus_message.hpp"
#include "ingestion/bus/bus_progress.hpp"
#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/kafka_mock.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

const std::string kScaleTopic = "chatops-events";
const std::string kScaleGroup = "chatops-speaker";
const std::vector<std::string> kScaleSources = {"alpha", "beta"};

// One process of the topology: the same sources and binds everywhere, the role and nick apart.
std::string bus_bot_yaml(int irc_port, const KafkaMock& kafka, const std::string& role, const std::string& nick,
                         const std::string& extra = "") {
  BotConfig c;
  c.irc_port = irc_port;
  c.nick = nick;
  c.log = "{level: info}";
  c.flood = "{burst: 1, rate: 2}";  // a backlog builds up at the speaker: there is something to hand over
  for (const auto& source : kScaleSources)
    c.sources += "  - {name: " + source + ", kind: webhook, provider: generic, path: /hooks/" + source +
                 ", topic: deploy/" + source + ", dedupe: /id, hmac: {header: X-Signature, secret: s3cret, prefix: "
                 "\"sha256=\"}}\n";
  c.binds = "  - {type: webhook, mask: \"deploy/*\", say: {to: [\"#ops\"], template: \"{{_event.source}} {{n}}\"}}\n";
  c.extra = "bus:\n  role: " + role + "\n  brokers: \"" + kafka.bootstraps() +
            "\"\n  delivery_timeout: 3s\n"
            "  properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500, log_level: 3}\n" + extra;
  return bot_config_yaml(c);
}

// The same file without its `irc:` section (and binds), as a receiver may be configured.
std::string bus_without_irc(std::string yaml) {
  const auto irc = yaml.find("irc:\n");
  yaml.erase(irc, yaml.find("http:\n") - irc);
  const auto binds = yaml.find("binds:\n");
  yaml.erase(binds, yaml.find("bus:\n") - binds);
  return yaml;
}

Finished bus_check_config(const TempDir& dir, std::string yaml) {
  for (const auto& [placeholder, value] : {std::pair<std::string, std::string>{"{{http_port}}", "8080"},
                                           {"{{dir}}", dir.path().string()}})
    for (auto at = yaml.find(placeholder); at != std::string::npos; at = yaml.find(placeholder))
      yaml.replace(at, placeholder.size(), value);
  const auto path = dir.path() / "check.yml";
  std::ofstream(path) << yaml;
  return run_to_end({.argv = {CHATOPS_BOT_BINARY, "--check", "--config", path.string()}, .log_dir = dir.path(),
                     .name = "chatops-bot-check"});
}

HttpReply post_signed(const BotProcess& bot, const std::string& source, int n) {
  const std::string body = R"({"id": ")" + source + "-" + std::to_string(n) + R"(", "n": )" + std::to_string(n) + "}";
  const auto signature = "sha256=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, "s3cret", body));
  return bot.post("/hooks/" + source, body, {{"X-Signature", signature}, {"Content-Type", "application/json"}});
}

template <class Pred>
bool scale_eventually(Pred pred, std::chrono::milliseconds timeout) {
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

struct Said {
  std::string source;
  int n;
  std::string nick;
  std::chrono::steady_clock::time_point when;
};

std::vector<Said> said_in_ops(const IrcTestClient& watcher) {
  static const std::regex line(R"(^(\w+) (\d+)$)");
  std::vector<Said> out;
  for (const auto& m : watcher.messages()) {
    std::smatch match;
    if (m.target == "#ops" && std::regex_match(m.text, match, line))
      out.push_back({match[1], std::stoi(match[2]), m.nick, m.received});
  }
  return out;
}

// The offset of the first message of the bus topic that carries (source, n).
std::optional<std::int64_t> offset_of(const std::vector<std::string>& topic, const std::string& source, int n) {
  for (std::size_t i = 0; i < topic.size(); ++i)
    if (auto e = ingestion::bus::decode(topic[i]); e && e->source == source && e->fields.value("n", -1) == n)
      return static_cast<std::int64_t>(i);
  return std::nullopt;
}

}  // namespace

TEST_CASE("Kafka bus: receivers and a speaker killed mid-stream, every acknowledged event said once in order",
          "[e2e][bus][kafka]") {
  constexpr int kPerSource = 30;
  KafkaMock kafka(3);
  kafka.create_topic(kScaleTopic, 1, 3);
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");

  TempDir dir_s1("chatops-bus-speaker1"), dir_s2("chatops-bus-speaker2"), dir_r1("chatops-bus-recv1"),
      dir_r2("chatops-bus-recv2");
  std::map<std::string, std::unique_ptr<BotProcess>> speakers;
  speakers["speaker1"] = std::make_unique<BotProcess>(dir_s1, bus_bot_yaml(ircd.port(), kafka, "speaker", "speaker1"));
  REQUIRE(watcher.wait_for_join("speaker1", "#ops", 15s));
  REQUIRE(scale_eventually([&] { return speakers["speaker1"]->log().find("partition(s) assigned") != std::string::npos; }, 30s));
  speakers["speaker2"] = std::make_unique<BotProcess>(dir_s2, bus_bot_yaml(ircd.port(), kafka, "speaker", "speaker2"));
  REQUIRE(watcher.wait_for_join("speaker2", "#ops", 15s));
  // The standby has joined the group (its assignment may be empty) before anything is posted.
  REQUIRE(scale_eventually([&] { return speakers["speaker2"]->log().find("partition(s) assigned") != std::string::npos; }, 30s));
  BotProcess recv1(dir_r1, bus_bot_yaml(ircd.port(), kafka, "receiver", "recv1"));
  BotProcess recv2(dir_r2, bus_bot_yaml(ircd.port(), kafka, "receiver", "recv2"));
  const std::vector<BotProcess*> receivers = {&recv1, &recv2};

  // The poster: each event in turn, to the receivers alternately; what gets no 2xx goes to the
  // other one until it does.
  std::atomic<int> acknowledged{0};
  std::atomic<bool> poster_failed{false};
  std::thread poster([&] {
    std::size_t next = 0;
    for (int n = 0; n < kPerSource; ++n)
      for (const auto& source : kScaleSources) {
        const auto give_up = std::chrono::steady_clock::now() + 60s;
        for (;; ++next) {
          const auto status = post_signed(*receivers[next % 2], source, n).status;
          if (status >= 200 && status < 300) break;
          if (std::chrono::steady_clock::now() > give_up) {
            poster_failed = true;
            return;
          }
        }
        ++next;
        ++acknowledged;
      }
  });
  // One receiver dies while events stream in.
  REQUIRE(scale_eventually([&] { return acknowledged >= 10; }, 30s));
  recv1.kill9();
  poster.join();
  REQUIRE_FALSE(poster_failed);
  REQUIRE(acknowledged == kPerSource * 2);

  // The active speaker dies while it still has events to say. It is killed just after one of
  // its lines has been seen and committed, and well before its next line is due
  // (flood control: one line per 500 ms): the window in which a line said is not yet committed
  // (a few milliseconds after each line) is where a standby would say a line again.
  REQUIRE(scale_eventually([&] { return said_in_ops(watcher).size() >= 15; }, 60s));
  const auto topic = kafka.messages(kScaleTopic);
  std::string active;
  REQUIRE(scale_eventually(
      [&] {
        const auto said = said_in_ops(watcher);
        const auto& last = said.back();
        const auto offset = offset_of(topic, last.source, last.n);
        if (!offset || std::chrono::steady_clock::now() - last.when > 200ms) return false;
        // Committed: before the first offset not done, or among the done ones above it.
        const auto [next, metadata] = kafka.committed_point(kScaleGroup, kScaleTopic, 0);
        if (next <= *offset && !ingestion::bus::parse_done_metadata(metadata).contains(*offset)) return false;
        // Still well before the next line is due, and no newer line came meanwhile.
        if (std::chrono::steady_clock::now() - last.when > 300ms || said_in_ops(watcher).size() != said.size())
          return false;
        active = last.nick;
        speakers.at(active)->kill9();
        return true;
      },
      60s));
  INFO("killed " << active);
  const std::string standby = active == "speaker1" ? "speaker2" : "speaker1";

  // The standby takes the partition over and says the rest.
  const auto all_said = [&] {
    std::set<std::pair<std::string, int>> seen;
    for (const auto& s : said_in_ops(watcher)) seen.insert({s.source, s.n});
    return seen.size() == static_cast<std::size_t>(kPerSource * 2);
  };
  REQUIRE(scale_eventually(all_said, 120s));
  // Nothing more is to come once the group has committed every message of the topic.
  const auto total = static_cast<std::int64_t>(kafka.messages(kScaleTopic).size());
  REQUIRE(scale_eventually([&] { return kafka.committed(kScaleGroup, kScaleTopic, 1) == total; }, 30s));

  const auto said = said_in_ops(watcher);
  std::string trace;
  for (const auto& s : said) trace += s.nick + ":" + s.source + std::to_string(s.n) + " ";
  INFO("said: " << trace);
  std::string bus_lines;  // what the speakers logged of the bus, but the events
  for (const auto& [nick, speaker] : speakers) {
    std::istringstream log(speaker->log());
    for (std::string line; std::getline(log, line);)
      if (line.find("bus") != std::string::npos && line.find("accepted") == std::string::npos)
        bus_lines += nick + ": " + line + "\n";
  }
  INFO(bus_lines);
  std::map<std::string, std::vector<int>> per_source;
  for (const auto& s : said) per_source[s.source].push_back(s.n);
  for (const auto& source : kScaleSources) {
    INFO(source);
    std::vector<int> expected(kPerSource);
    for (int n = 0; n < kPerSource; ++n) expected[n] = n;
    CHECK(per_source[source] == expected);
  }
  CHECK(std::ranges::count_if(said, [&](const Said& s) { return s.nick == standby; }) > 0);
}

TEST_CASE("Kafka bus: with the brokers unreachable a receiver answers a webhook 503, then 202 once they are back",
          "[e2e][bus][kafka]") {
  KafkaMock kafka(1);
  kafka.create_topic(kScaleTopic, 1);
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-bus-recv");
  BotProcess receiver(dir, bus_bot_yaml(ircd.port(), kafka, "receiver", "recv"));
  REQUIRE(receiver.wait_sources_running());
  REQUIRE(post_signed(receiver, "alpha", 0).status == 202);
  // Ready while it can produce (librdkafka's statistics, once a second), so that a load balancer
  // sends webhooks elsewhere while it cannot.
  const auto readiness = [&] {
    const auto health = receiver.get("/healthz/ready");
    return std::pair{health.status, nlohmann::json::parse(health.body)["bus"]};
  };
  REQUIRE(scale_eventually([&] { return readiness().first == 200; }, 10s));
  CHECK(readiness().second["brokers_up"] == 1);
  CHECK(receiver.metric("chatops_bus_brokers_up") == 1);
  kafka.broker_down(1);
  // 503 at the delivery timeout (3 s), also when the request to the broker that went away is
  // still in flight (librdkafka would hold its messages until the request times out, past the
  // client's 10 s): the receiver refuses the batch at its own deadline.
  const auto asked = std::chrono::steady_clock::now();
  const auto refused = post_signed(receiver, "alpha", 1);
  CHECK(refused.status == 503);
  CHECK(std::chrono::steady_clock::now() - asked < 8s);
  REQUIRE(scale_eventually([&] { return readiness().first == 503; }, 10s));
  const auto unready = readiness().second;
  CHECK(unready["reachable"] == false);
  CHECK(unready["brokers_up"] == 0);
  CHECK_THAT(unready["problem"].get<std::string>(), Catch::StartsWith("no broker reachable (127.0.0.1:"));
  CHECK(receiver.metric("chatops_bus_brokers_up") == 0);
  // Said once for the outage (seconds of it by now), not at every statistics.
  const auto log = receiver.log();
  CHECK_THAT(log, Catch::Contains("bus: cannot produce to the brokers: no broker reachable"));
  std::size_t told = 0;
  for (auto at = log.find("cannot produce to the brokers"); at != std::string::npos;
       at = log.find("cannot produce to the brokers", at + 1))
    ++told;
  CHECK(told == 1);
  kafka.broker_up(1);
  REQUIRE(scale_eventually([&] { return readiness().first == 200; }, 30s));
  REQUIRE(scale_eventually([&] { return post_signed(receiver, "alpha", 1).status == 202; }, 30s));
  // The bus has the first event, then the second (more than once if a refused try reached a
  // broker after all: the speaker's dedupe says it once).
  const auto topic = kafka.messages(kScaleTopic);
  REQUIRE(topic.size() >= 2);
  CHECK(ingestion::bus::decode(topic[0])->fields["n"] == 0);
  for (std::size_t i = 1; i < topic.size(); ++i) CHECK(ingestion::bus::decode(topic[i])->fields["n"] == 1);
}

TEST_CASE("Kafka bus: a receiver runs without irc, warns about an irc it does not use, a speaker needs one",
          "[e2e][bus][kafka]") {
  KafkaMock kafka(1);
  kafka.create_topic(kScaleTopic, 1);
  TempDir dir("chatops-bus-roles");
  const auto receiver_yaml = bus_bot_yaml(6667, kafka, "receiver", "recv");

  const auto bare = bus_check_config(dir, bus_without_irc(receiver_yaml));
  CHECK(bare.exit_code == 0);
  CHECK(bare.err.empty());
  const auto pointless = bus_check_config(dir, receiver_yaml);
  CHECK(pointless.exit_code == 0);  // valid: one file may serve every role
  CHECK_THAT(pointless.err, Catch::Contains("warning: ") && Catch::Contains("irc: not used by a bus receiver") &&
                                Catch::Contains("binds: not used by a bus receiver"));
  const auto speaker = bus_check_config(dir, bus_without_irc(bus_bot_yaml(6667, kafka, "speaker", "speaker")));
  CHECK(speaker.exit_code == 2);
  CHECK_THAT(speaker.err, Catch::Contains("missing required key \"irc\" (only a bus receiver"));
  // What the bus's guarantees and a receiver's readiness rest on is the bus's own.
  for (const std::string own : {"acks: 1", "statistics.interval.ms: 0"}) {
    auto mine = bus_without_irc(receiver_yaml);
    mine.replace(mine.find("log_level: 3}"), 13, "log_level: 3, " + own + "}");
    const auto refused = bus_check_config(dir, mine);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("property " + own.substr(0, own.find(':')) +
                                            " is set by the bus itself (see brokers, group)"));
  }
  // The receiver must refuse (503) before the listener gives up on the answer.
  auto slow = bus_without_irc(receiver_yaml);
  slow.replace(slow.find("delivery_timeout: 3s"), 20, "delivery_timeout: 40s");
  const auto late = bus_check_config(dir, slow);
  CHECK(late.exit_code == 2);
  CHECK_THAT(late.err, Catch::Contains("delivery_timeout must be shorter than http.answer_timeout (30s)"));

  // Started without irc: it takes webhooks, and is ready without any IRC connection.
  BotProcess receiver(dir, bus_without_irc(receiver_yaml));
  REQUIRE(receiver.wait_sources_running());
  const auto first = post_signed(receiver, "alpha", 0);
  INFO(receiver.log());
  CHECK(first.status == 202);
  // Ready once librdkafka's first statistics (after a second) say a broker is up.
  REQUIRE(scale_eventually([&] { return receiver.get("/healthz/ready").status == 200; }, 10s));
  const auto health = receiver.get("/healthz/ready");
  INFO(health.body);
  const auto body = nlohmann::json::parse(health.body);
  CHECK(body["bus"]["role"] == "receiver");
  CHECK(body["bus"]["reachable"] == true);
  CHECK(body["bus"]["brokers_up"] >= 1);
  CHECK_FALSE(body["bus"].contains("problem"));
  CHECK(body["bus"]["produced"] == 1);
  CHECK_FALSE(body.contains("irc"));
  REQUIRE(kafka.messages(kScaleTopic).size() == 1);
}

TEST_CASE("Kafka bus: the speaker's consumer is a source in !sources, /healthz and /metrics", "[e2e][bus][kafka]") {
  KafkaMock kafka(1);
  kafka.create_topic(kScaleTopic, 1);
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  TempDir dir_s("chatops-bus-visible-speaker"), dir_r("chatops-bus-visible-recv");
  BotProcess speaker(dir_s, bus_bot_yaml(ircd.port(), kafka, "speaker", "speaker",
                                         "users:\n  - {handle: watcher, hostmasks: [\"watcher!*@*\"], flags: o}\n"));
  REQUIRE(watcher.wait_for_join("speaker", "#ops", 15s));
  BotProcess receiver(dir_r, bus_without_irc(bus_bot_yaml(ircd.port(), kafka, "receiver", "recv")));
  REQUIRE(receiver.wait_sources_running());
  for (int n = 0; n < 3; ++n) {
    const auto reply = post_signed(receiver, "alpha", n);
    INFO(receiver.log());
    REQUIRE(reply.status == 202);
  }
  REQUIRE(watcher.wait_for(std::regex("^alpha 2$"), "speaker", "#ops", 30s).size() == 1);
  // Its offsets are committed once the events are said: nothing outstanding, no lag.
  REQUIRE(scale_eventually([&] { return kafka.committed(kScaleGroup, kScaleTopic, 1) == 3; }, 30s));

  const auto asked = std::chrono::steady_clock::now();
  watcher.privmsg("#ops", "!sources");
  const auto lines = watcher.wait_for(
      [asked](const Privmsg& m) { return m.nick == "speaker" && m.target == "#ops" && m.received >= asked; }, 30s);
  REQUIRE(lines.size() == 1);
  // The speaker's only source: the receivers' sources run on the receivers.
  CHECK(lines[0].text == "bus (bus stream): running, 3 accepted, 0 duplicates, 0 refused, lag 0, 0 outstanding");

  const auto health = speaker.get("/healthz");
  INFO(health.body);
  CHECK(health.status == 200);
  const auto sources = nlohmann::json::parse(health.body)["sources"];
  CHECK(sources.size() == 1);
  CHECK(sources["bus"]["state"] == "running");
  CHECK(sources["bus"]["lag"] == 0);
  CHECK(sources["bus"]["outstanding"] == 0);
  CHECK(speaker.metric("chatops_source_up{source=\"bus\"}") == 1);
  CHECK(speaker.metric("chatops_source_outstanding{source=\"bus\"}") == 0);
  CHECK(speaker.metric("chatops_events_accepted_total{source=\"bus\"}") == 3);
  const auto metrics = speaker.get("/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("chatops_kafka_consumer_lag{source=\"bus\",topic=\"" + kScaleTopic +
                                      "\",partition=\"0\"} 0"));
}

TEST_CASE("docs/examples.md: past one machine, two receivers, a speaker and a standby", "[e2e][bus][kafka][examples]") {
  const std::string heading = "## Past one machine: the Kafka bus";
  const auto yaml = examples::blocks(heading, "yaml");
  const auto bodies = examples::blocks(heading, "json");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 3);
  REQUIRE(bodies.size() == 1);
  REQUIRE(text.size() == 1);
  KafkaMock kafka(3);
  kafka.create_topic(kScaleTopic, 1, 3);
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  // Only addresses and paths change: the brokers, the IRC server, the listeners and the journals.
  const std::string brokers = "brokers: \"kafka1:9092,kafka2:9092,kafka3:9092\"";
  const auto receiver_yaml = examples::replaced(
      examples::replaced(examples::replaced(yaml[0], "listen: 0.0.0.0:8080", "listen: 127.0.0.1:{{http_port}}"),
                         "/var/lib/chatops-bot/receiver.db", "{{dir}}/receiver.db"),
      brokers, "brokers: \"" + kafka.bootstraps() + "\"");
  // The standby's file is the speaker's with the nick the page gives it.
  const auto standby_irc = yaml[2];
  REQUIRE(yaml[1].starts_with(examples::replaced(standby_irc, "nick: opsbot2", "nick: opsbot")));
  const auto speaker_yaml = [&](const std::string& nick) {
    auto y = examples::replaced(yaml[1], "{host: irc.example.net, port: 6697, tls: true}",
                                "{host: 127.0.0.1, port: " + std::to_string(ircd.port()) + ", tls: false}");
    y = examples::replaced(y, "nick: opsbot\n", "nick: " + nick + "\n");
    y = examples::replaced(y, "/var/lib/chatops-bot/speaker.db", "{{dir}}/speaker.db");
    return "http: {listen: \"127.0.0.1:{{http_port}}\"}\n" +
           examples::replaced(y, brokers, "brokers: \"" + kafka.bootstraps() + "\"");
  };
  TempDir dir_s("chatops-bus-example-speaker"), dir_sb("chatops-bus-example-standby"),
      dir_a("chatops-bus-example-a"), dir_b("chatops-bus-example-b");
  BotProcess speaker(dir_s, speaker_yaml("opsbot"));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 15s));
  REQUIRE(scale_eventually([&] { return speaker.log().find("partition(s) assigned") != std::string::npos; }, 60s));
  BotProcess standby(dir_sb, speaker_yaml("opsbot2"));
  REQUIRE(watcher.wait_for_join("opsbot2", "#ops", 15s));
  // The group's rebalance for the standby takes a few of the page's heartbeats (librdkafka's
  // default, 3 s): slow on a loaded machine.
  REQUIRE(scale_eventually([&] { return standby.log().find("partition(s) assigned") != std::string::npos; }, 90s));
  BotProcess receiver_a(dir_a, receiver_yaml), receiver_b(dir_b, receiver_yaml);
  REQUIRE(receiver_a.wait_sources_running());
  REQUIRE(receiver_b.wait_sources_running());

  const std::map<std::string, std::string> headers = {{"X-Token", "tok3n"}, {"Content-Type", "application/json"}};
  REQUIRE(receiver_a.post("/hooks/deploy", bodies[0], headers).status == 202);
  const auto expected = examples::lines(text[0]);
  REQUIRE(expected.size() == 1);
  REQUIRE(watcher.wait_for(std::regex("^" + expected[0] + "$"), "opsbot", "#ops", 30s).size() == 1);
  // The sender's retry, on the other receiver: on the bus again, said no more.
  REQUIRE(receiver_b.post("/hooks/deploy", bodies[0], headers).status == 202);
  REQUIRE(scale_eventually([&] { return kafka.committed(kScaleGroup, kScaleTopic, 1) == 2; }, 30s));

  // The speaker dies; the standby takes the partition over and says what comes next.
  speaker.kill9();
  REQUIRE(receiver_b.post("/hooks/deploy", R"({"id": "deploy-4712", "service": "web", "version": "2.0.0"})", headers)
              .status == 202);
  REQUIRE(watcher.wait_for(std::regex("^web 2.0.0 deployed$"), "opsbot2", "#ops", 60s).size() == 1);
  std::vector<std::string> said;
  for (const auto& m : watcher.messages())
    if (m.target == "#ops") said.push_back(m.nick + ": " + examples::plain(m.text));
  CHECK(said == std::vector<std::string>{"opsbot: " + expected[0], "opsbot2: web 2.0.0 deployed"});
}
