#include "ingestion/stream/rabbitmq_config.hpp"

#include <filesystem>

#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

config::Schema rabbitmq_schema() {
  config::Schema s("stream/rabbitmq", "RabbitMQ, or another AMQP 0-9-1 broker (librabbitmq): a consumer on one queue, "
                                      "with manual acknowledgements.");
  s.field("host", config::Kind::String, "Broker name or address.").fallback("localhost");
  s.field("port", config::Kind::Integer, "TCP port; by default 5672, or 5671 with tls.").range(1, 65535);
  s.field("vhost", config::Kind::String, "Virtual host.").fallback("/");
  s.field("user", config::Kind::String, "User (SASL PLAIN).").fallback("guest");
  s.field("password", config::Kind::Secret, "Password; never logged.").fallback("guest").example("\"${RABBITMQ_PASSWORD}\"");
  config::Schema tls("tls", "amqps: TLS with the broker's certificate verified.");
  tls.field("ca_file", config::Kind::String, "PEM file of the CAs that may sign the broker's certificate; by default "
                                             "the system's (/etc/ssl/certs/ca-certificates.crt).");
  tls.field("cert_file", config::Kind::String, "PEM client certificate, for a broker that asks for one.");
  tls.field("key_file", config::Kind::String, "Its private key (PEM); by default in cert_file.");
  tls.field("verify_hostname", config::Kind::Boolean, "Check that the certificate names host.").fallback("true");
  s.field("tls", config::Kind::Map, "TLS (amqps). Absent: plain AMQP.").schema(tls).example("{ca_file: /etc/rabbitmq/ca.pem}");
  s.field("queue", config::Kind::String, "The queue to consume from.").required().example("alerts");
  config::Schema declare("declare", "What the source declares before consuming (idempotent; an existing queue or "
                                    "exchange must have the same properties). Without it, a missing queue is a "
                                    "configuration error.");
  declare.field("queue", config::Kind::Boolean, "Declare the queue (durable, not exclusive, not auto-deleted).")
      .fallback("true");
  declare.field("exchange", config::Kind::String, "Declare this exchange (durable) and bind the queue to it.");
  declare.field("exchange_type", config::Kind::String, "The exchange's type.")
      .fallback("topic")
      .one_of({"direct", "fanout", "topic", "headers"});
  declare.field("routing_keys", config::Kind::List, "Binding keys of the queue to the exchange; by default [\"#\"].")
      .items(config::Kind::String);
  s.field("declare", config::Kind::Map, "Declare the queue, an exchange and bindings.")
      .schema(declare)
      .example("{exchange: alerts, routing_keys: [\"alerts.#\"]}");
  s.field("prefetch", config::Kind::Integer,
          "Most deliveries the broker sends ahead of acknowledgements (basic.qos prefetch_count); at least twice "
          "batch_size for full batches (the next batch is received while the last one commits).")
      .fallback("1000")
      .range(1, 65535);
  add_format_field(s);
  s.field("batch_size", config::Kind::Integer, "Most messages journaled together and acknowledged by one basic.ack.")
      .fallback("500")
      .range(1, 65535);
  s.field("max_message_size", config::Kind::Size, "Longer messages are skipped (counted, and acknowledged).")
      .fallback("1MiB")
      .range(1, 64 * 1024 * 1024);
  s.field("heartbeat", config::Kind::Duration, "AMQP heartbeat: a broker silent for twice this is taken as gone; 0: none.")
      .fallback("30s")
      .range(0, 3600);
  s.field("timeout", config::Kind::Duration, "Connecting, the login and each RPC.").fallback("5s").range(0.1, 600);
  payload::add_mapping_fields(s, kRabbitMqMappingKeys);
  return s;
}

Result<void> check_rabbitmq_config(const config::Node& v) {
  if (auto mapping = payload::Mapping::from_config(v, kRabbitMqMappingKeys); !mapping)
    return std::unexpected(mapping.error());
  if (v.str("queue").empty()) return std::unexpected(v["queue"].error("an empty queue name"));
  if (v.has("tls")) {
    const auto tls = v.map("tls");
    for (const char* file : {"ca_file", "cert_file", "key_file"})
      if (std::error_code ec; tls.has(file) && !std::filesystem::is_regular_file(tls.str(file), ec))
        return std::unexpected(tls[file].error("no such file: " + tls.str(file)));
    if (tls.has("key_file") && !tls.has("cert_file"))
      return std::unexpected(tls["key_file"].error("key_file without cert_file"));
  }
  if (v.has("declare") && v.map("declare").has("routing_keys") && !v.map("declare").has("exchange"))
    return std::unexpected(v.map("declare")["routing_keys"].error("routing_keys bind to an exchange: give exchange"));
  return {};
}

}  // namespace chatops::ingestion::stream
