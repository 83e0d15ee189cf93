#pragma once
// `kind: stream, system: rabbitmq`: a consumer on one queue of an AMQP 0-9-1 broker (librabbitmq,
// rabbitmq-c). Deliveries are unacknowledged until the journal committed their batch; then one
// basic.ack with `multiple` acknowledges the whole batch. A batch the journal refuses is given back
// with basic.nack (multiple, requeue). basic.qos bounds what the broker sends ahead (prefetch).
// At-least-once upstream; said once when messages carry a message_id (or the mapping a dedupe key).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ingestion/payload/mapping.hpp"
#include "ingestion/runtime/stream.hpp"
#include "ingestion/stream/rabbitmq_config.hpp"

struct amqp_connection_state_t_;
struct amqp_envelope_t_;

namespace chatops::ingestion::stream {

struct RabbitMqTls {
  std::optional<std::string> ca_file;  // else the system's CAs
  std::optional<std::string> cert_file, key_file;  // a client certificate (EXTERNAL-less mutual TLS)
  bool verify_hostname = true;
};

// What the source declares before consuming (all idempotent): an exchange, the queue, and the
// queue's bindings to the exchange.
struct RabbitMqDeclare {
  bool queue = false;  // declare the queue (durable)
  std::optional<std::string> exchange;
  std::string exchange_type = "topic";
  std::vector<std::string> routing_keys;  // bindings of the queue to the exchange
};

struct RabbitMqOptions {
  std::string host = "localhost";
  int port = 5672;
  std::string vhost = "/";
  std::string user = "guest";
  std::string password = "guest";
  std::optional<RabbitMqTls> tls;  // amqps
  std::string queue;
  RabbitMqDeclare declare;
  std::uint16_t prefetch = 1000;
  bool json = true;  // else text: the message is the field `text`
  std::size_t batch_size = 500;
  std::size_t max_message_size = 1024 * 1024;
  std::chrono::seconds heartbeat{30};
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
};

class RabbitMqSource final : public StreamSource {
 public:
  RabbitMqSource(StreamOptions stream, RabbitMqOptions options, payload::Mapping mapping);
  ~RabbitMqSource() override;

 private:
  SourceResult<> connect() override;
  SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) override;
  SourceResult<> acknowledge(const Received& batch) override;
  void refused(const Received& batch) override;
  void interrupt() override;
  void disconnect() override;
  // Each batch is acknowledged by its own last delivery tag, in order (with `multiple`).
  bool pipelined() const override { return true; }

  SourceResult<> open_connection();
  SourceResult<> declare_and_consume();
  // What a reply that is not a delivery means (a closed channel or connection, a lost socket).
  SourceError failure(const std::string& what, int library_error, const void* method_reply, bool server);
  // After amqp_consume_message said a frame other than a delivery came: read it; an error when it
  // ends the consumer, nothing when it can be passed over.
  std::optional<SourceError> other_frame();
  void take(const amqp_envelope_t_& envelope, Received& batch);

  const RabbitMqOptions o_;
  const payload::Mapping mapping_;
  std::mutex connection_mutex_;  // connection_ and connecting_ against interrupt() from stop()
  amqp_connection_state_t_* connection_ = nullptr;
  bool connecting_ = false;  // in connect(): interrupt() may cut the connection
  SourceMetrics::Counter unreadable_;
};

Result<std::unique_ptr<IngestionSource>> make_rabbitmq_source(const config::Node& validated);

}  // namespace chatops::ingestion::stream
