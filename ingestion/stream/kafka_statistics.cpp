#include "ingestion/stream/kafka_statistics.hpp"

#include <functional>

#include <nlohmann/json.hpp>

namespace chatops::ingestion::stream {

namespace {

constexpr std::size_t kBrokersNamed = 5;  // in the problem: enough to see which, bounded

// Bootstrap entries ("host:port/bootstrap") count too: before the first metadata they are all
// there is. librdkafka connects only to the brokers it needs: the others stay INIT.
KafkaReach brokers(const nlohmann::json& stats) {
  KafkaReach reach;
  std::string states;
  std::size_t named = 0;
  for (const auto& [name, broker] : stats.at("brokers").items()) {
    const auto state = broker.value("state", std::string("?"));
    if (state == "UP") ++reach.brokers_up;
    if (named++ < kBrokersNamed) states += (states.empty() ? "" : ", ") + name + " " + state;
  }
  if (reach.brokers_up == 0) {
    if (named > kBrokersNamed) states += ", …";
    reach.problem = "no broker reachable (" + (states.empty() ? std::string("none known") : states) + ")";
  }
  return reach;
}

KafkaReach topic_led(const nlohmann::json& stats, std::string_view topic) {
  auto reach = brokers(stats);
  if (!reach.problem.empty()) return reach;
  const auto topics = stats.value("topics", nlohmann::json::object());
  const auto entry = topics.find(std::string(topic));
  std::string leaderless;
  std::size_t partitions = 0;
  if (entry != topics.end() && entry->contains("partitions"))
    for (const auto& [id, partition] : entry->at("partitions").items()) {
      if (id == "-1") continue;  // librdkafka's own partition for messages not yet assigned one
      ++partitions;
      if (partition.value("leader", -1) < 0) leaderless += (leaderless.empty() ? "" : ", ") + id;
    }
  if (partitions == 0)
    reach.problem = "topic " + std::string(topic) + ": no partition known to the brokers (does it exist?)";
  else if (!leaderless.empty())
    reach.problem = "topic " + std::string(topic) + ": no leader for partition(s) " + leaderless;
  return reach;
}

KafkaReach group_up(const nlohmann::json& stats) {
  auto reach = brokers(stats);
  if (!reach.problem.empty() || !stats.contains("cgrp")) return reach;
  if (const auto state = stats.at("cgrp").value("state", std::string("?")); state != "up")
    reach.problem = "the consumer group's coordinator is not reached (group state " + state + ")";
  return reach;
}

KafkaReach read(std::string_view statistics, const std::function<KafkaReach(const nlohmann::json&)>& reach) {
  const auto stats = nlohmann::json::parse(statistics, nullptr, /*allow_exceptions=*/false);
  if (!stats.is_object() || !stats.contains("brokers") || !stats["brokers"].is_object())
    return {0, "librdkafka's statistics are unreadable (no \"brokers\" object)"};
  try {
    return reach(stats);
  } catch (const nlohmann::json::exception& e) {  // a field of another type than documented
    return {0, std::string("librdkafka's statistics are unreadable: ") + e.what()};
  }
}

}  // namespace

KafkaReach producer_reach(std::string_view statistics, std::string_view topic) {
  return read(statistics, [topic](const nlohmann::json& stats) { return topic_led(stats, topic); });
}

KafkaReach consumer_reach(std::string_view statistics) { return read(statistics, group_up); }

}  // namespace chatops::ingestion::stream
