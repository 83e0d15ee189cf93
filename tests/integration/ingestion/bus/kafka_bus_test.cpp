// The Kafka journal's two halves against librdkafka's mock cluster (three brokers, a topic
// replicated on all three): a receiver's batch is accepted only once the brokers acknowledged
// each event (refused, cursor unmoved, when they cannot); the speaker journals the events under
// their own sources, commits offsets only once they are done, and counts and logs what is not a
// bus message without stopping.
#include <catch2/catch.hpp>

#include "core/metrics.hpp"
#include "ingestion/bus/bus_message.hpp"
#include "ingestion/bus/kafka_bus_producer.hpp"
#include "ingestion/bus/kafka_bus_speaker.hpp"
#include "tests/integration/support/kafka_mock.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::test;
using namespace std::chrono_literals;
using compliance::eventually;
using compliance::journaled;

namespace {

const std::string kBusTopic = "chatops-events";
const std::string kBusGroup = "chatops-speaker";

bus::BusOptions bus_test_options(const KafkaMock& kafka, bus::Role role) {
  bus::BusOptions o;
  o.role = role;
  o.brokers = kafka.bootstraps();
  o.delivery_timeout = 3s;
  o.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}, {"log_level", "3"}};
  return o;
}

IngestionEvent bus_test_webhook(int n) {
  IngestionEvent e;
  e.source = "deploys";
  e.family = "webhook";
  e.topic = "deploy/finished";
  e.dedupe_key = "d-" + std::to_string(n);
  e.fields = {{"n", n}};
  e.raw = R"({"n": )" + std::to_string(n) + "}";
  return e;
}

std::vector<IngestionEvent> bus_test_batch(int from, int count) {
  std::vector<IngestionEvent> out;
  for (int n = from; n < from + count; ++n) out.push_back(bus_test_webhook(n));
  return out;
}

struct BusTestCluster {
  KafkaMock kafka{3};
  BusTestCluster() { kafka.create_topic(kBusTopic, 1, 3); }
};

}  // namespace

TEST_CASE("Kafka bus: a receiver accepts a batch once the brokers have it, then saves its cursor", "[bus][kafka]") {
  BusTestCluster cluster;
  testing::TempDir dir;
  auto local = testing::open_journal(dir.file("receiver.db"));
  auto producer = bus::BusProducer::open(bus_test_options(cluster.kafka, bus::Role::Receiver), *local);
  REQUIRE(producer);
  const auto result = (*producer)->submit_and_wait(EventBatch{"deploys", bus_test_batch(0, 5), "cursor-5"});
  INFO(result.error);
  REQUIRE(result.committed());
  CHECK(result.count(Submission::Accepted) == 5);
  CHECK((*producer)->produced() == 5);
  CHECK(local->cursor("deploys").value() == "cursor-5");
  CHECK(journaled(*local).empty());  // the events are the bus's, not the receiver's journal's

  // The speaker's journal gets them whole, under their own source.
  auto speaker_journal = testing::open_journal(dir.file("speaker.db"));
  bus::BusSpeaker speaker(bus_test_options(cluster.kafka, bus::Role::Speaker), *speaker_journal, nullptr);
  speaker.start();
  REQUIRE(eventually([&] { return journaled(*speaker_journal).size() == 5; }, 30s));
  const auto events = journaled(*speaker_journal);
  for (int n = 0; n < 5; ++n) {
    CHECK(events[n].source == "deploys");
    CHECK(events[n].family == "webhook");
    CHECK(events[n].topic == "deploy/finished");
    CHECK(events[n].fields["n"] == n);
    CHECK(payload_text(events[n]) == R"({"n": )" + std::to_string(n) + "}");
  }
}

TEST_CASE("Kafka bus: with every broker down a receiver refuses the batch and its cursor stays", "[bus][kafka]") {
  BusTestCluster cluster;
  testing::TempDir dir;
  auto local = testing::open_journal(dir.file("receiver.db"));
  auto options = bus_test_options(cluster.kafka, bus::Role::Receiver);
  options.delivery_timeout = 1500ms;
  auto producer = bus::BusProducer::open(options, *local);
  REQUIRE(producer);
  for (int id = 1; id <= 3; ++id) cluster.kafka.broker_down(id);
  const auto result = (*producer)->submit_and_wait(EventBatch{"deploys", bus_test_batch(0, 3), "cursor-3"});
  REQUIRE_FALSE(result.committed());
  CHECK(result.count(Submission::Refused) == 3);
  CHECK_THAT(result.error, Catch::Contains("not acknowledge"));
  CHECK((*producer)->failed() == 3);
  CHECK_FALSE(local->cursor("deploys").value().has_value());
}

TEST_CASE("Kafka bus: the speaker commits offsets only once the events are done, in offset order", "[bus][kafka]") {
  BusTestCluster cluster;
  testing::TempDir dir;
  auto local = testing::open_journal(dir.file("receiver.db"));
  auto producer = bus::BusProducer::open(bus_test_options(cluster.kafka, bus::Role::Receiver), *local);
  REQUIRE(producer);
  REQUIRE((*producer)->submit_and_wait(EventBatch{"deploys", bus_test_batch(0, 4), std::nullopt}).committed());
  auto journal = testing::open_journal(dir.file("speaker.db"));
  bus::BusSpeaker speaker(bus_test_options(cluster.kafka, bus::Role::Speaker), *journal, nullptr);
  speaker.start();
  REQUIRE(eventually([&] { return journaled(*journal).size() == 4; }, 30s));
  const auto events = journaled(*journal);
  CHECK(cluster.kafka.committed(kBusGroup, kBusTopic, 1) == 0);
  REQUIRE(journal->mark_done(events[1].id));
  REQUIRE(journal->mark_done(events[0].id));
  REQUIRE(eventually([&] { return cluster.kafka.committed(kBusGroup, kBusTopic, 1) == 2; }, 10s));
  REQUIRE(journal->mark_failed(events[3].id, "cannot be said"));
  CHECK(cluster.kafka.committed(kBusGroup, kBusTopic, 1) == 2);  // 2 is not done
  REQUIRE(journal->mark_done(events[2].id));
  REQUIRE(eventually([&] { return cluster.kafka.committed(kBusGroup, kBusTopic, 1) == 4; }, 10s));
}

TEST_CASE("Kafka bus: what is not a bus message is counted and logged, and the speaker goes on", "[bus][kafka]") {
  BusTestCluster cluster;
  testing::TempDir dir;
  cluster.kafka.produce(kBusTopic, "not json at all");
  cluster.kafka.produce(kBusTopic, bus::encode(bus_test_webhook(1)));
  cluster.kafka.produce(kBusTopic, R"({"v": 7, "source": "x"})");
  cluster.kafka.produce(kBusTopic, std::string(5000, '['));
  cluster.kafka.produce(kBusTopic, R"({"v": 1, "source": "deploys", "family": "webhook", "topic": "t", "time_ms": 1,
                                       "fields": [], "raw": ""})");
  cluster.kafka.produce(kBusTopic, bus::encode(bus_test_webhook(2)));
  auto journal = testing::open_journal(dir.file("speaker.db"));
  metrics::Registry registry;
  bus::BusSpeaker speaker(bus_test_options(cluster.kafka, bus::Role::Speaker), *journal, &registry);
  speaker.start();
  REQUIRE(eventually([&] { return journaled(*journal).size() == 2; }, 30s));
  const auto events = journaled(*journal);
  CHECK(events[0].fields["n"] == 1);
  CHECK(events[1].fields["n"] == 2);
  REQUIRE(eventually([&] { return speaker.runtime().status().failed.load() == 4; }, 10s));
  CHECK_THAT(registry.render(), Catch::Contains(R"(chatops_kafka_unreadable_total{source="bus",cause="bus_message"} 4)"));
  CHECK_THAT(speaker.runtime().status().snapshot().last_error, Catch::Contains("not a bus message"));
  // The unreadable ones are done: once the two events are, everything is committed.
  for (const auto& e : events) REQUIRE(journal->mark_done(e.id));
  REQUIRE(eventually([&] { return cluster.kafka.committed(kBusGroup, kBusTopic, 1) == 6; }, 10s));
}
