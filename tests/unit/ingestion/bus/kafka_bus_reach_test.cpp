// A receiver's readiness from librdkafka's statistics: the documents recorded from a producer on
// librdkafka's mock cluster (tests/fixtures/kafka), and what they can say otherwise.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ingestion/bus/kafka_bus_reach.hpp"

using namespace chatops::ingestion::bus;

namespace {

nlohmann::json recorded_statistics(const std::string& name) {
  std::ifstream in(std::string(CHATOPS_FIXTURES_DIR) + "/kafka/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

}  // namespace

TEST_CASE("Kafka bus reach: one broker connection up and every partition led is ready", "[bus][kafka]") {
  const auto reach = reach_from_statistics(recorded_statistics("statistics-up.json").dump(), "chatops-events");
  CHECK(reach.brokers_up == 1);
  CHECK(reach.problem.empty());
}

TEST_CASE("Kafka bus reach: every broker down is not ready, and names the brokers' states", "[bus][kafka]") {
  const auto reach =
      reach_from_statistics(recorded_statistics("statistics-brokers-down.json").dump(), "chatops-events");
  CHECK(reach.brokers_up == 0);
  CHECK_THAT(reach.problem, Catch::StartsWith("no broker reachable (127.0.0.1:") && Catch::Contains("/1 INIT"));
}

TEST_CASE("Kafka bus reach: a topic the brokers do not know, or a partition without a leader, is not ready",
          "[bus][kafka]") {
  const auto up = recorded_statistics("statistics-up.json");
  CHECK(reach_from_statistics(up.dump(), "other-topic").problem ==
        "topic other-topic: no partition known to the brokers (does it exist?)");
  auto leaderless = up;
  leaderless["topics"]["chatops-events"]["partitions"]["1"]["leader"] = -1;
  CHECK(reach_from_statistics(leaderless.dump(), "chatops-events").problem ==
        "topic chatops-events: no leader for partition(s) 1");
  auto only_unassigned = up;  // librdkafka's partition -1 holds what is not yet assigned one
  only_unassigned["topics"]["chatops-events"]["partitions"].erase("0");
  only_unassigned["topics"]["chatops-events"]["partitions"].erase("1");
  CHECK_THAT(reach_from_statistics(only_unassigned.dump(), "chatops-events").problem,
             Catch::Contains("no partition known"));
}

TEST_CASE("Kafka bus reach: statistics that cannot be read are a problem, never ready", "[bus][kafka]") {
  for (const std::string text : {"", "{", "[]", "{\"brokers\": 3}", "{\"name\": \"x\"}"}) {
    INFO(text);
    const auto reach = reach_from_statistics(text, "chatops-events");
    CHECK(reach.brokers_up == 0);
    CHECK(reach.problem == "librdkafka's statistics are unreadable (no \"brokers\" object)");
  }
  // Brokers listed but none of them up, many of them: the problem stays short.
  nlohmann::json many = {{"brokers", nlohmann::json::object()}};
  for (int i = 0; i < 50; ++i) many["brokers"]["b" + std::to_string(i) + ":9092/" + std::to_string(i)] = {{"state", "DOWN"}};
  const auto reach = reach_from_statistics(many.dump(), "chatops-events");
  CHECK(reach.problem.size() < 200);
  CHECK_THAT(reach.problem, Catch::EndsWith(", …)"));
}

TEST_CASE("Kafka bus reach: fields of another type than documented are unreadable statistics", "[bus][kafka]") {
  auto odd = recorded_statistics("statistics-up.json");
  odd["topics"]["chatops-events"]["partitions"]["0"] = "led";
  const auto reach = reach_from_statistics(odd.dump(), "chatops-events");
  CHECK_THAT(reach.problem, Catch::StartsWith("librdkafka's statistics are unreadable: "));
}
