// `kind: stream, system: kafka` against librdkafka's mock cluster (a real Kafka protocol endpoint
// on free ports, with consumer groups and committed offsets; tests/integration/support/kafka_mock):
// the compliance harness, message metadata as fields, text payloads, unreadable messages skipped
// and committed, regex subscriptions, a broker that goes away and comes back, configuration
// errors that are only found upstream. Each TEST_CASE (and each of its sections) has a cluster of its own.
#include <catch2/catch.hpp>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "ingestion/stream/stream_kind.hpp"
#include "tests/integration/ingestion/stream/stream_fixture.hpp"
#include "tests/integration/support/kafka_mock.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::test;
using namespace std::chrono_literals;
using compliance::eventually;
using compliance::journaled;

namespace {

// The default logger's lines, while it lives.
struct KafkaTestLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  KafkaTestLog() {
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("kafka-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(text)));
  }
  ~KafkaTestLog() { spdlog::set_default_logger(previous); }
};

// Quick group joins and reconnections, for tests.
const std::string kKafkaQuick =
    "backoff: {initial: 100ms, max: 500ms}, "
    "properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500, topic.metadata.refresh.interval.ms: 1000}";

std::string kafka_entry(const KafkaMock& kafka, const std::string& topics, const std::string& extra = "",
                         const std::string& name = "s") {
  return "{name: " + name + ", kind: stream, system: kafka, brokers: \"" + kafka.bootstraps() + "\", topics: " +
         topics + ", start: earliest, " + kKafkaQuick + extra + "}";
}

}  // namespace

TEST_CASE("Kafka sources pass the compliance harness", "[stream][kafka][compliance]") {
  KafkaMock kafka;
  kafka.create_topic("alerts", 3);
  int produced = 0;
  const auto kind = stream::stream_source_kind();
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = kafka_entry(kafka, "[alerts]", "", "compliance"),
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i, ++produced)
                           kafka.produce("alerts", "{\"n\": " + std::to_string(produced) + "}",
                                         "k" + std::to_string(produced));
                       },
                   .acknowledged =
                       [&]() -> std::optional<std::size_t> {
                         return static_cast<std::size_t>(kafka.committed("chatops-compliance", "alerts", 3));
                       }},
      .topic_prefix = "kafka/",
      .deadline = 30s,
  };
  compliance::run_compliance(subject);
}

TEST_CASE("Kafka: a message's key, headers, partition, offset and timestamp are fields, its dedupe key is its position",
          "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("deploys", 2);
  kafka.produce("deploys", R"({"service": "api", "version": "1.2"})", "api", {{"kind", "deploy"}, {"trace", "t-1"}}, 1);
  StreamFixture f;
  auto r = f.run(kafka_entry(kafka, "[deploys]", ", topic_header: kind, topic_prefix: \"ops/\""));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  const auto e = journaled(*f.journal).at(0);
  CHECK(e.topic == "ops/deploy");
  CHECK(e.dedupe_key == "deploys/1/0");
  CHECK(e.fields["service"] == "api");
  CHECK(e.fields["kafka"]["topic"] == "deploys");
  CHECK(e.fields["kafka"]["partition"] == 1);
  CHECK(e.fields["kafka"]["offset"] == 0);
  CHECK(e.fields["kafka"]["key"] == "api");
  CHECK(e.fields["kafka"]["headers"] == nlohmann::json{{"kind", "deploy"}, {"trace", "t-1"}});
  CHECK(e.fields["kafka"]["timestamp"].is_number_integer());
  CHECK(payload_text(e) == R"({"service": "api", "version": "1.2"})");
}

TEST_CASE("Kafka: the mapping's dedupe pointer replaces the position, a message produced twice is said once",
          "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("alerts", 1);
  kafka.produce("alerts", R"({"id": "a-1"})");
  kafka.produce("alerts", R"({"id": "a-1"})");
  kafka.produce("alerts", R"({"id": "a-2"})");
  StreamFixture f;
  auto r = f.run(kafka_entry(kafka, "[alerts]", ", dedupe: /id"));
  REQUIRE(eventually([&] { return r->runtime.duplicates() == 1 && journaled(*f.journal).size() == 2; }, 30s));
  CHECK(eventually([&] { return kafka.committed("chatops-s", "alerts", 1) == 3; }, 30s));
}

TEST_CASE("Kafka: text messages become the field `text`, unreadable ones are skipped, counted and committed",
          "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("logs", 1);
  kafka.produce("logs", "disk /var at 91%");
  kafka.produce("logs", std::string("bad \xff\xfe bytes"));
  kafka.produce("logs", std::string(2000, 'x'));
  kafka.produce("logs", "line two\r\nPRIVMSG #ops :injected");
  StreamFixture f;
  auto r = f.run(kafka_entry(kafka, "[logs]", ", format: text, max_message_size: 1KiB"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  const auto events = journaled(*f.journal);
  CHECK(events.at(0).topic == "kafka/logs");
  CHECK(events.at(0).fields["text"] == "disk /var at 91%");
  CHECK(events.at(0).raw.empty());
  CHECK(events.at(1).fields["text"] == "line two\r\nPRIVMSG #ops :injected");  // rendered inert when said
  CHECK(eventually([&] { return r->runtime.status().failed.load() == 2; }, 30s));
  CHECK(eventually([&] { return kafka.committed("chatops-s", "logs", 1) == 4; }, 30s));
}

TEST_CASE("Kafka: JSON that does not parse is skipped and committed, the messages after it are said", "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("alerts", 1);
  kafka.produce("alerts", "{not json");
  StreamFixture f;
  auto r = f.run(kafka_entry(kafka, "[alerts]", ", required: [/id]"));
  REQUIRE(eventually([&] { return kafka.committed("chatops-s", "alerts", 1) == 1; }, 30s));
  kafka.produce("alerts", R"({"no_id": 1})");
  kafka.produce("alerts", R"({"id": 7})");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  CHECK(journaled(*f.journal).at(0).fields["id"] == 7);
  CHECK(eventually([&] { return kafka.committed("chatops-s", "alerts", 1) == 3; }, 30s));
  CHECK(r->runtime.status().failed.load() == 2);
  CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("alerts/0/1"));
}

TEST_CASE("Kafka: topics given by a regular expression, every matching topic is consumed", "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("logs.api", 1);
  kafka.create_topic("logs.db", 1);
  kafka.create_topic("other", 1);
  kafka.produce("logs.api", R"({"m": 1})");
  kafka.produce("logs.db", R"({"m": 2})");
  kafka.produce("other", R"({"m": 3})");
  StreamFixture f;
  auto r = f.run(kafka_entry(kafka, "[\"^logs\\\\..*\"]"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  std::set<std::string> topics;
  for (const auto& e : journaled(*f.journal)) topics.insert(e.topic);
  CHECK(topics == std::set<std::string>{"kafka/logs.api", "kafka/logs.db"});
}

TEST_CASE("Kafka: the broker goes away and comes back, the source goes on, nothing lost or said twice", "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("alerts", 1);
  StreamFixture f;
  auto r = f.run(kafka_entry(kafka, "[alerts]"));
  kafka.produce_many("alerts", 20, [](int i) { return "{\"n\": " + std::to_string(i) + "}"; });
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 20; }, 30s));
  kafka.broker_down(1);
  std::this_thread::sleep_for(1500ms);
  kafka.broker_up(1);
  kafka.produce_many("alerts", 20, [](int i) { return "{\"n\": " + std::to_string(20 + i) + "}"; });
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 40; }, 60s));
  std::this_thread::sleep_for(500ms);  // absence: nothing more comes
  const auto events = journaled(*f.journal);
  REQUIRE(events.size() == 40);
  for (int i = 0; i < 40; ++i) CHECK(events.at(i).fields["n"] == i);
  CHECK(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
}

TEST_CASE("Kafka: stop returns within 2 s when the broker is down or does not answer and a restart resumes after what "
          "was committed",
          "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("alerts", 1);
  StreamFixture f;
  {
    auto r = f.run(kafka_entry(kafka, "[alerts]"));
    kafka.produce_many("alerts", 10, [](int i) { return "{\"n\": " + std::to_string(i) + "}"; });
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 10; }, 30s));
    REQUIRE(eventually([&] { return kafka.committed("chatops-s", "alerts", 1) == 10; }, 30s));
    SECTION("down: connections refused, which the client has noticed") {
      kafka.broker_down(1);
      REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
      CHECK(r->stop() < 2s);
      kafka.broker_up(1);
    }
    SECTION("not answering: the group coordinator's connection stays up, its answers do not come") {
      kafka.broker_rtt(1, 30000);
      CHECK(r->stop() < 2s);
      kafka.broker_rtt(1, 0);
    }
  }
  kafka.produce_many("alerts", 10, [](int i) { return "{\"n\": " + std::to_string(10 + i) + "}"; });
  auto again = f.run(kafka_entry(kafka, "[alerts]"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 20; }, 60s));
  std::this_thread::sleep_for(500ms);
  const auto events = journaled(*f.journal);
  REQUIRE(events.size() == 20);
  for (int i = 0; i < 20; ++i) CHECK(events.at(i).fields["n"] == i);
}

TEST_CASE("Kafka: a failed SASL authentication leaves the source Failed, not retrying", "[stream][kafka]") {
  // The mock cluster has no SASL: a client that insists on it cannot authenticate (_AUTHENTICATION).
  KafkaMock kafka;
  kafka.create_topic("alerts", 1);
  StreamFixture f;
  auto r = f.run("{name: s, kind: stream, system: kafka, brokers: \"" + kafka.bootstraps() +
                 "\", topics: [alerts], backoff: {initial: 100ms}, properties: {security.protocol: SASL_PLAINTEXT, "
                 "sasl.mechanism: PLAIN, sasl.username: bot, sasl.password: wrong-s3cret}}");
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
  CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
  CHECK_THAT(r->runtime.status().snapshot().last_error, !Catch::Contains("wrong-s3cret"));
}

TEST_CASE("Kafka: after an outage a source on an idle topic is running again, and stops with its last commit",
          "[stream][kafka]") {
  KafkaMock kafka;
  kafka.create_topic("alerts", 1);
  StreamFixture f;
  KafkaTestLog log;
  auto r = f.run(kafka_entry(kafka, "[alerts]"));
  kafka.produce_many("alerts", 2, [](int i) { return "{\"n\": " + std::to_string(i) + "}"; });
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  kafka.broker_down(1);
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
  kafka.broker_up(1);
  // No message comes: librdkafka's statistics (once a second) say the brokers are back.
  CHECK(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 20s));
  CHECK(r->stop() < 2s);
  CHECK_THAT(log.text.str(), Catch::Contains("source s: the brokers are reachable again") &&
                            !Catch::Contains("leaving without a last commit"));
}
