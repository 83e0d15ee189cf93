// What librdkafka's statistics say about reaching the cluster: the documents recorded from a
// producer and a consumer on librdkafka's mock cluster (tests/fixtures/kafka), and what they can
// say otherwise.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ingestion/stream/kafka_statistics.hpp"

using namespace chatops::ingestion::stream;

namespace {

nlohmann::json recorded_statistics(const std::string& name) {
  std::ifstream in(std::string(CHATOPS_FIXTURES_DIR) + "/kafka/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

}  // namespace

TEST_CASE("Kafka statistics: a producer with one broker connection up and every partition led can produce",
          "[kafka]") {
  const auto reach = producer_reach(recorded_statistics("producer-statistics-up.json").dump(), "chatops-events");
  CHECK(reach.brokers_up == 1);
  CHECK(reach.problem.empty());
}

TEST_CASE("Kafka statistics: every broker down is a problem that names the brokers' states", "[kafka]") {
  const auto reach =
      producer_reach(recorded_statistics("producer-statistics-brokers-down.json").dump(), "chatops-events");
  CHECK(reach.brokers_up == 0);
  CHECK_THAT(reach.problem, Catch::StartsWith("no broker reachable (127.0.0.1:") && Catch::Contains("/1 INIT"));
}

TEST_CASE("Kafka statistics: a topic the brokers do not know, or a partition without a leader, cannot be produced to",
          "[kafka]") {
  const auto up = recorded_statistics("producer-statistics-up.json");
  CHECK(producer_reach(up.dump(), "other-topic").problem ==
        "topic other-topic: no partition known to the brokers (does it exist?)");
  auto leaderless = up;
  leaderless["topics"]["chatops-events"]["partitions"]["1"]["leader"] = -1;
  CHECK(producer_reach(leaderless.dump(), "chatops-events").problem ==
        "topic chatops-events: no leader for partition(s) 1");
  auto only_unassigned = up;  // librdkafka's partition -1 holds what is not yet assigned one
  only_unassigned["topics"]["chatops-events"]["partitions"].erase("0");
  only_unassigned["topics"]["chatops-events"]["partitions"].erase("1");
  CHECK_THAT(producer_reach(only_unassigned.dump(), "chatops-events").problem, Catch::Contains("no partition known"));
}

TEST_CASE("Kafka statistics: a consumer is connected once a connection and its group are up", "[kafka]") {
  const auto up = consumer_reach(recorded_statistics("consumer-statistics-up.json").dump());
  CHECK(up.brokers_up == 2);  // the broker, and the group coordinator's own connection
  CHECK(up.problem.empty());
  const auto down = consumer_reach(recorded_statistics("consumer-statistics-broker-down.json").dump());
  CHECK(down.brokers_up == 0);
  CHECK_THAT(down.problem, Catch::StartsWith("no broker reachable (") && Catch::Contains("TRY_CONNECT"));
  // Back: the coordinator's connection first, the fetch connection still waiting to reconnect.
  const auto back = consumer_reach(recorded_statistics("consumer-statistics-coordinator-back.json").dump());
  CHECK(back.brokers_up == 1);
  CHECK(back.problem.empty());

  auto searching = recorded_statistics("consumer-statistics-up.json");
  searching["cgrp"]["state"] = "query-coord";
  CHECK(consumer_reach(searching.dump()).problem ==
        "the consumer group's coordinator is not reached (group state query-coord)");
  auto no_group = recorded_statistics("consumer-statistics-up.json");  // assign() without a group
  no_group.erase("cgrp");
  CHECK(consumer_reach(no_group.dump()).problem.empty());
}

TEST_CASE("Kafka statistics that cannot be read are a problem, never a connection", "[kafka]") {
  for (const std::string text : {"", "{", "[]", "{\"brokers\": 3}", "{\"name\": \"x\"}"}) {
    INFO(text);
    for (const auto& reach : {producer_reach(text, "chatops-events"), consumer_reach(text)}) {
      CHECK(reach.brokers_up == 0);
      CHECK(reach.problem == "librdkafka's statistics are unreadable (no \"brokers\" object)");
    }
  }
  auto odd = recorded_statistics("producer-statistics-up.json");
  odd["topics"]["chatops-events"]["partitions"]["0"] = "led";
  CHECK_THAT(producer_reach(odd.dump(), "chatops-events").problem,
             Catch::StartsWith("librdkafka's statistics are unreadable: "));
  auto odd_group = recorded_statistics("consumer-statistics-up.json");
  odd_group["cgrp"] = 7;
  CHECK_THAT(consumer_reach(odd_group.dump()).problem, Catch::StartsWith("librdkafka's statistics are unreadable: "));
  // Brokers listed but none of them up, many of them: the problem stays short.
  nlohmann::json many = {{"brokers", nlohmann::json::object()}};
  for (int i = 0; i < 50; ++i) many["brokers"]["b" + std::to_string(i) + ":9092/" + std::to_string(i)] = {{"state", "DOWN"}};
  const auto reach = consumer_reach(many.dump());
  CHECK(reach.problem.size() < 200);
  CHECK_THAT(reach.problem, Catch::EndsWith(", …)"));
}
