#include "ingestion/bus/bus_config.hpp"

#ifdef CHATOPS_WITH_KAFKA
#include "ingestion/bus/kafka_bus_config.hpp"
#endif

namespace chatops::ingestion::bus {

config::Schema bus_schema() {
  using config::Kind;
  config::Schema s("bus",
                   "The Kafka journal, past one machine (docs/operations.md): receivers produce their sources' events "
                   "to a topic and acknowledge upstream once the brokers have them; the speaker consumes the topic "
                   "in a consumer group (a standby in the same group takes over) and says them.");
  s.field("role", Kind::String,
          "off: one process journals in SQLite and speaks; receiver: sources' events go to the topic, nothing is "
          "said here; speaker: the topic's events are journaled here and said.")
      .fallback("off")
      .one_of({"off", "receiver", "speaker"});
  s.field("brokers", Kind::String, "Bootstrap brokers, host:port separated by commas (needed unless role is off).")
      .example("\"kafka1:9092,kafka2:9092,kafka3:9092\"");
  s.field("topic", Kind::String,
          "The topic events travel on. Give it one partition: its one consumer is the active speaker, the "
          "others of the group stand by (and the order of every source's events is the topic's).")
      .fallback("chatops-events");
  s.field("group", Kind::String, "The speakers' consumer group: the active one and its standbys.")
      .fallback("chatops-speaker");
  s.field("delivery_timeout", Kind::Duration,
          "Receiver: an event the brokers have not acknowledged by then is refused (a webhook is answered 503, a "
          "stream is not acknowledged).")
      .fallback("10s");
  s.field("max_message_size", Kind::Size, "Speaker: longer messages are refused as unreadable (counted, logged).")
      .fallback("8MiB")
      .range(1024, 256 * 1024 * 1024);
  s.field("properties", Kind::Map,
          "librdkafka properties for the producer (receiver) or consumer (speaker), passed as they are "
          "(security.protocol, sasl.*, ssl.*, session.timeout.ms, …). Values of names with password, secret or "
          ".pem are never logged. bootstrap.servers, group.id, acks, enable.idempotence, the offset settings "
          "and statistics.interval.ms (a receiver's readiness) are the bus's own.")
      .example("{security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512, sasl.username: bot, "
               "sasl.password: \"${KAFKA_PASSWORD}\"}");
  return s;
}

Result<BusOptions> bus_options(const config::Node& bus) {
  BusOptions o;
  const auto role = bus.str("role");
  o.role = role == "receiver" ? Role::Receiver : role == "speaker" ? Role::Speaker : Role::Off;
  if (o.role == Role::Off) return o;
#ifndef CHATOPS_WITH_KAFKA
  return std::unexpected(bus["role"].error("this build has no Kafka (CHATOPS_WITH_KAFKA is off)"));
#else
  if (!bus.has("brokers") || bus.str("brokers").empty())
    return std::unexpected(bus["role"].error("role " + role + " needs brokers"));
  o.brokers = bus.str("brokers");
  o.topic = bus.str("topic");
  o.group = bus.str("group");
  o.delivery_timeout = bus.duration("delivery_timeout");
  o.max_message_size = bus.size("max_message_size");
  if (bus.has("properties")) {
    const auto props = bus.map("properties");
    if (auto checked = check_bus_properties(props); !checked) return std::unexpected(checked.error());
    for (const auto& name : props.keys()) o.properties.emplace_back(name, props[name].scalar());
  }
  return o;
#endif
}

}  // namespace chatops::ingestion::bus
