#include "ingestion/stream/kafka_config.hpp"

#include "core/modules/module_loader.hpp"

namespace chatops::ingestion::stream {

namespace {

// librdkafka properties the source sets itself: its guarantees depend on them.
const std::set<std::string, std::less<>> kOwnProperties = {
    "bootstrap.servers", "metadata.broker.list", "group.id", "enable.auto.offset.store",
    "enable.auto.commit", "auto.offset.reset",   "rebalance_cb", "offset_commit_cb", "enable.partition.eof",
    "statistics.interval.ms"};

}  // namespace

Result<const KafkaModule*> kafka_module() {
  auto module = modules::load<SystemModule>("kafka");
  if (!module) return std::unexpected(module.error());
  return static_cast<const KafkaModule*>(*module);
}

config::Schema kafka_schema() {
  config::Schema s("stream/kafka", "Apache Kafka (librdkafka): a consumer in a consumer group.");
  s.field("brokers", config::Kind::String, "Bootstrap brokers, host:port separated by commas.")
      .required()
      .example("\"kafka1:9092,kafka2:9092\"");
  s.field("topics", config::Kind::List,
          "Topics to consume: names, or regular expressions when they start with ^ (\"^alerts\\\\..*\").")
      .items(config::Kind::String)
      .required()
      .example("[alerts]");
  s.field("group", config::Kind::String,
          "Consumer group id: the group's committed offsets are where consumption resumes. By default "
          "chatops-<source name>.");
  s.field("start", config::Kind::String,
          "Where a group without committed offsets begins: latest (only new messages) or earliest (everything the "
          "topic still holds).")
      .fallback("latest")
      .one_of({"latest", "earliest"});
  add_format_field(s);
  s.field("batch_size", config::Kind::Integer, "Most messages journaled (and committed) together.")
      .fallback("500")
      .range(1, 100000);
  s.field("max_message_size", config::Kind::Size, "Longer messages are skipped (counted, and committed).")
      .fallback("1MiB")
      .range(1, 64 * 1024 * 1024);
  s.field("properties", config::Kind::Map,
          "librdkafka properties, passed as they are (security.protocol, sasl.mechanism, sasl.username, "
          "sasl.password, ssl.ca.location, session.timeout.ms, …). Values of names with password, secret or .pem "
          "are never logged; give them from the environment (${KAFKA_PASSWORD}). group.id, bootstrap.servers, "
          "enable.auto.commit, enable.auto.offset.store, enable.partition.eof, auto.offset.reset and "
          "statistics.interval.ms are the source's own.")
      .example("{security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512, sasl.username: bot, "
               "sasl.password: \"${KAFKA_PASSWORD}\"}");
  payload::add_mapping_fields(s, kKafkaMappingKeys);
  return s;
}

Result<void> check_kafka_config(const config::Node& v) {
  if (auto mapping = payload::Mapping::from_config(v, kKafkaMappingKeys); !mapping)
    return std::unexpected(mapping.error());
  for (const auto& topic : v.list("topics"))
    if (topic.scalar().empty()) return std::unexpected(topic.error("an empty topic name"));
  if (!v.has("properties")) return {};
  auto module = kafka_module();
  if (!module) return std::unexpected(v["properties"].error(module.error().message));
  return (*module)->check_properties(v.map("properties"), kOwnProperties,
                                     "the source itself (see brokers, group, start)");
}

}  // namespace chatops::ingestion::stream
