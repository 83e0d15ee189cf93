#pragma once
// What librdkafka's statistics (its STATISTICS.md; emitted every statistics.interval.ms through
// the client's poll) say about reaching the cluster:
// - a producer (the bus receiver) can produce when at least one broker connection is up and every
//   partition of its topic has a leader; a receiver that cannot is not ready (/healthz/ready 503),
//   so that a load balancer sends its webhooks to another receiver;
// - a consumer (a Kafka source, the bus speaker) is connected when a broker connection is up and
//   its group is up (coordinator found). librdkafka reconnects by itself and reports no "back"
//   event: without this, a source on an idle topic stayed "retrying" after an outage ended.
#include <string>
#include <string_view>

namespace chatops::ingestion::stream {

struct KafkaReach {
  int brokers_up = 0;   // broker connections up (the group coordinator's included)
  std::string problem;  // empty when it can produce (consume), else why not
};

// From one statistics JSON document; one that cannot be read is a problem too, named as such.
KafkaReach producer_reach(std::string_view statistics, std::string_view topic);
KafkaReach consumer_reach(std::string_view statistics);

}  // namespace chatops::ingestion::stream
