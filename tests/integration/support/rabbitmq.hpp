// A real RabbitMQ (Debian's rabbitmq-server) for tests: AMQP and AMQPS (a test CA's certificate)
// on free ports of 127.0.0.1, its own epmd on a free port, a private node name, its database and
// logs in a temporary directory, and the user `chatops` (password below) on vhost "/". Erlang
// takes seconds to start: tests that do not restart the broker share one per test process
// (shared_rabbitmq()) and use queues of their own (unique_queue()).
// The test's own publishing and counting go through librabbitmq as that user, with publisher
// confirms: publish() returns once the broker has the messages (persistent, on durable queues).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

struct amqp_connection_state_t_;

namespace chatops::test {

struct AmqpMessage {
  std::string body;
  std::string routing_key;  // the queue's name through the default exchange
  std::string exchange{};
  std::optional<std::string> message_id{};
  std::vector<std::pair<std::string, std::string>> headers{};
};

class RabbitMqServer {
 public:
  RabbitMqServer();  // throws std::runtime_error when it does not start
  ~RabbitMqServer();
  RabbitMqServer(const RabbitMqServer&) = delete;
  RabbitMqServer& operator=(const RabbitMqServer&) = delete;

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  const std::filesystem::path& ca_file() const { return ca_.ca_cert(); }
  static constexpr const char* user = "chatops";
  static constexpr const char* password = "rabbit-s3cret";

  void declare_queue(const std::string& queue);  // durable
  // Publishes (persistent) and waits for the broker's confirmation of every message.
  void publish(const std::vector<AmqpMessage>& messages);
  void publish(const std::string& queue, const std::string& body, std::optional<std::string> message_id = {});
  // Messages of a queue waiting for a consumer, delivered but not acknowledged, and its consumers
  // (rabbitmqctl); nullopt when the queue does not exist.
  struct Counts {
    long ready = 0, unacknowledged = 0, consumers = 0;
  };
  std::optional<Counts> counts(const std::string& queue);

  void start();  // (re)starts on the same ports and data; waits until it accepts AMQP connections
  void stop();   // a clean shutdown: durable queues and persistent messages are kept

 private:
  std::vector<std::pair<std::string, std::string>> environment() const;
  amqp_connection_state_t_* client();  // under client_mutex_
  void drop_client();

  TempDir dir_{"chatops-rabbitmq"};
  TestCa ca_{dir_.path()};
  int port_ = 0, tls_port_ = 0, dist_port_ = 0, epmd_port_ = 0;
  std::string node_;
  std::unique_ptr<Process> epmd_, process_;
  std::mutex client_mutex_;
  amqp_connection_state_t_* client_ = nullptr;
  std::uint64_t published_ = 0;  // on client_'s channel: the last delivery tag, for publisher confirms
};

// One broker for the whole test process, started on first use.
RabbitMqServer& shared_rabbitmq();
// A queue name no other test of this process uses.
std::string unique_queue(const std::string& prefix = "q");

}  // namespace chatops::test
