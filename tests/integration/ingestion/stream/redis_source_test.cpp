// `kind: stream, system: redis` against a real redis-server 7 started by the test
// (tests/integration/support/redis): the compliance harness, an entry's fields (or a JSON field)
// as the item, XAUTOCLAIM of entries a dead consumer left pending, a server restart, wrong
// credentials. Each TEST_CASE (and each of its sections) has a server of its own.
#include <catch2/catch.hpp>

#include <sstream>

#include "ingestion/stream/stream_kind.hpp"
#include "tests/integration/ingestion/stream/stream_fixture.hpp"
#include "tests/integration/support/redis.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::test;
using namespace std::chrono_literals;
using compliance::eventually;
using compliance::journaled;

namespace {

std::string redis_entry(const RedisServer& redis, const std::string& streams, const std::string& extra = "",
                        const std::string& name = "s", const std::string& password = RedisServer::password) {
  return "{name: " + name + ", kind: stream, system: redis, host: 127.0.0.1, port: " + std::to_string(redis.port()) +
         ", user: " + RedisServer::user + ", password: \"" + password + "\", streams: " + streams +
         ", start: earliest, backoff: {initial: 100ms, max: 500ms}" + extra + "}";
}

// A value of XINFO GROUPS' flattened reply for the first group ("" when none).
std::string group_info(RedisServer& redis, const std::string& stream, const std::string& key) {
  std::string info;
  try {
    info = redis.command({"XINFO", "GROUPS", stream});
  } catch (const std::runtime_error&) {
    return "";  // no stream yet
  }
  std::istringstream lines(info);
  for (std::string line; std::getline(lines, line);)
    if (line == key && std::getline(lines, line)) return line;
  return "";
}

// Entries the group has read and acknowledged.
std::size_t acknowledged(RedisServer& redis, const std::string& stream) {
  const auto read = group_info(redis, stream, "entries-read"), pending = group_info(redis, stream, "pending");
  if (read.empty() || pending.empty()) return 0;
  return std::stoul(read) - std::stoul(pending);
}

}  // namespace

TEST_CASE("Redis Streams sources pass the compliance harness", "[stream][redis][compliance]") {
  RedisServer redis;
  int produced = 0;
  const auto kind = stream::stream_source_kind();
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = redis_entry(redis, "[alerts]", "", "compliance"),
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i, ++produced)
                           redis.command({"XADD", "alerts", "*", "n", std::to_string(produced)});
                       },
                   .acknowledged = [&]() -> std::optional<std::size_t> { return acknowledged(redis, "alerts"); }},
      .topic_prefix = "redis/",
  };
  compliance::run_compliance(subject);
}

TEST_CASE("Redis: a stream entry's fields are the item, its stream and id are fields, its dedupe key is its position",
          "[stream][redis]") {
  RedisServer redis;
  const auto id = redis.command({"XADD", "deploys", "*", "service", "api", "version", "1.2"});
  StreamFixture f;
  auto r = f.run(redis_entry(redis, "[deploys]", ", topic_pointer: /service, topic_prefix: \"deploy/\""));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  const auto e = journaled(*f.journal).at(0);
  CHECK(e.topic == "deploy/api");
  CHECK(e.dedupe_key == "deploys/" + id);
  CHECK(e.fields["service"] == "api");
  CHECK(e.fields["version"] == "1.2");
  CHECK(e.fields["redis"] == nlohmann::json{{"stream", "deploys"}, {"id", id}});
  CHECK(eventually([&] { return acknowledged(redis, "deploys") == 1; }, 30s));
}

TEST_CASE("Redis: an entry's fields are written as JSON whatever they hold: escapes, a repeated name, the "
          "envelope's name, bytes that are not UTF-8",
          "[stream][redis]") {
  RedisServer redis;
  const auto id = redis.command({"XADD", "deploys", "*", "note", "say \"hi\"\n\tcaf\xC3\xA9 \x01", "service", "old",
                                 "redis", "mine", "service", "api"});
  redis.command({"XADD", "deploys", "*", "bad", "\xff"});
  const auto last = redis.command({"XADD", "deploys", "*", "n", "2"});
  StreamFixture f;
  auto r = f.run(redis_entry(redis, "[deploys]", ", topic: deploys"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  const auto events = journaled(*f.journal);
  const auto& e = events.at(0);
  const nlohmann::json entry{{"note", "say \"hi\"\n\tcaf\xC3\xA9 \x01"}, {"redis", "mine"}, {"service", "api"}};
  CHECK(payload_text(e) == entry.dump());  // the object's text: names sorted, the last of a repeated name
  CHECK(e.fields["note"] == entry["note"]);
  CHECK(e.fields["service"] == "api");
  CHECK(e.fields["redis"] == nlohmann::json{{"stream", "deploys"}, {"id", id}});  // the envelope wins
  CHECK(events.at(1).fields["redis"]["id"] == last);
  CHECK(eventually([&] { return acknowledged(redis, "deploys") == 3; }, 30s));
  CHECK(r->runtime.status().failed.load() == 1);  // the entry that is not UTF-8
}

TEST_CASE("Redis: json_field names the field holding the JSON document, entries without it, not JSON or too "
          "large are skipped and acknowledged",
          "[stream][redis]") {
  RedisServer redis;
  redis.command({"XADD", "alerts", "*", "payload", R"({"id": 7, "level": "error"})"});
  redis.command({"XADD", "alerts", "*", "other", "x"});
  redis.command({"XADD", "alerts", "*", "payload", "{not json"});
  redis.command({"XADD", "alerts", "*", "payload", R"({"big": ")" + std::string(2000, 'x') + R"("})"});
  redis.command({"XADD", "alerts", "*", "payload", R"({"id": 8, "level": "warning"})"});
  StreamFixture f;
  auto r = f.run(redis_entry(redis, "[alerts]", ", json_field: payload, severity: /level, max_message_size: 1KiB"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  const auto events = journaled(*f.journal);
  CHECK(events.at(0).fields["id"] == 7);
  CHECK(events.at(0).severity == Severity::Error);
  CHECK(payload_text(events.at(0)) == R"({"id": 7, "level": "error"})");
  CHECK(events.at(1).fields["id"] == 8);
  CHECK(eventually([&] { return acknowledged(redis, "alerts") == 5; }, 30s));
  CHECK(r->runtime.status().failed.load() == 3);
}

TEST_CASE("Redis: entries a dead consumer left pending are taken over after claim_idle", "[stream][redis]") {
  RedisServer redis;
  redis.command({"XGROUP", "CREATE", "alerts", "chatops-s", "0", "MKSTREAM"});
  for (int i = 0; i < 3; ++i) redis.command({"XADD", "alerts", "*", "n", std::to_string(i)});
  // Another consumer reads them and dies without acknowledging.
  redis.command({"XREADGROUP", "GROUP", "chatops-s", "dead", "COUNT", "10", "STREAMS", "alerts", ">"});
  StreamFixture f;
  auto r = f.run(redis_entry(redis, "[alerts]", ", claim_idle: 1s"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 3; }, 30s));
  CHECK(eventually([&] { return group_info(redis, "alerts", "pending") == "0"; }, 30s));
}

TEST_CASE("Redis: the server restarts, the source reconnects, makes its group again and goes on", "[stream][redis]") {
  RedisServer redis;
  StreamFixture f;
  auto r = f.run(redis_entry(redis, "[alerts]"));
  redis.command({"XADD", "alerts", "*", "n", "1"});
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  redis.stop();
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
  redis.start();
  redis.command({"XADD", "alerts", "*", "n", "2"});  // the server kept nothing: a new stream
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  CHECK(journaled(*f.journal).at(1).fields["n"] == "2");
  CHECK(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
}

TEST_CASE("Redis: a wrong password leaves the source Failed, and the password is not in its error",
          "[stream][redis]") {
  RedisServer redis;
  StreamFixture f;
  auto r = f.run(redis_entry(redis, "[alerts]", "", "s", "not-the-pa55word"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
  const auto status = r->runtime.status().snapshot();
  CHECK(status.error_kind == ErrorKind::Configuration);
  CHECK_THAT(status.last_error, Catch::Contains("WRONGPASS") && !Catch::Contains("not-the-pa55word"));
}

namespace {

// {name: …, system: redis, …} subscribed to `subscriptions` (channels: […] and/or patterns: […]).
std::string redis_pubsub_entry(const RedisServer& redis, const std::string& subscriptions, const std::string& extra = "",
                               const std::string& name = "s") {
  return "{name: " + name + ", kind: stream, system: redis, host: 127.0.0.1, port: " + std::to_string(redis.port()) +
         ", user: " + RedisServer::user + ", password: \"" + RedisServer::password + "\", " + subscriptions +
         ", backoff: {initial: 100ms, max: 500ms}" + extra + "}";
}

// Publishes, trying again (for up to 30 s) while nobody is subscribed: Pub/Sub keeps nothing, so a
// message published before the source subscribed would be lost. Returns the receivers.
int publish_when_subscribed(RedisServer& redis, const std::string& channel, const std::string& message) {
  int receivers = 0;
  for (auto end = std::chrono::steady_clock::now() + 30s;
       (receivers = std::stoi(redis.command({"PUBLISH", channel, message}))) == 0 && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(50ms);
  return receivers;
}

}  // namespace

TEST_CASE("Redis Pub/Sub sources pass the compliance harness", "[stream][redis][pubsub][compliance]") {
  RedisServer redis;
  int produced = 0;
  const auto kind = stream::stream_source_kind();
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = redis_pubsub_entry(redis, "channels: [alerts]", "", "compliance"),
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i, ++produced)
                           publish_when_subscribed(redis, "alerts", "{\"n\": " + std::to_string(produced) + "}");
                       }},
      .topic_prefix = "redis/",
      // At-most-once: what is published while no source is subscribed is lost.
      .resumes_after_restart = false,
  };
  compliance::run_compliance(subject);
}

TEST_CASE("Redis Pub/Sub: channels and patterns, the channel is the topic, text messages, unreadable ones skipped",
          "[stream][redis][pubsub]") {
  RedisServer redis;
  StreamFixture f;
  auto r = f.run(redis_pubsub_entry(redis, "channels: [deploys], patterns: [\"alerts.*\"]", ", format: text, max_message_size: 1KiB"));
  REQUIRE(publish_when_subscribed(redis, "deploys", "api 1.2 deployed") == 1);
  REQUIRE(publish_when_subscribed(redis, "alerts.disk", "db-2 /var at 91%") == 1);
  REQUIRE(publish_when_subscribed(redis, "alerts.disk", std::string("bad \xff bytes")) == 1);
  REQUIRE(publish_when_subscribed(redis, "alerts.disk", std::string(2000, 'x')) == 1);
  CHECK(redis.command({"PUBLISH", "other", "not subscribed"}) == "0");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2 && r->runtime.status().failed.load() == 2; }, 30s));
  const auto events = journaled(*f.journal);
  CHECK(events.at(0).topic == "redis/deploys");
  CHECK(events.at(0).fields["text"] == "api 1.2 deployed");
  CHECK(events.at(0).fields["redis"] == nlohmann::json{{"channel", "deploys"}, {"pattern", nullptr}});
  CHECK(events.at(1).topic == "redis/alerts.disk");
  CHECK(events.at(1).fields["redis"] == nlohmann::json{{"channel", "alerts.disk"}, {"pattern", "alerts.*"}});
  CHECK(events.at(1).dedupe_key.empty());
}

TEST_CASE("Redis Pub/Sub: the server restarts, the source subscribes again and goes on", "[stream][redis][pubsub]") {
  RedisServer redis;
  StreamFixture f;
  auto r = f.run(redis_pubsub_entry(redis, "channels: [deploys]"));
  REQUIRE(publish_when_subscribed(redis, "deploys", R"({"n": 1})") == 1);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  redis.stop();
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
  redis.start();
  REQUIRE(publish_when_subscribed(redis, "deploys", R"({"n": 2})") == 1);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  CHECK(journaled(*f.journal).at(1).fields["n"] == 2);
  CHECK(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
}
