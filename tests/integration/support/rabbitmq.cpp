#include "tests/integration/support/rabbitmq.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <atomic>
#include <set>
#include <sstream>
#include <stdexcept>

namespace chatops::test {

namespace {

constexpr amqp_channel_t kClientChannel = 1;
const char* kScripts = "/usr/lib/rabbitmq/bin/";

amqp_bytes_t bytes_of(const std::string& s) { return {s.size(), const_cast<char*>(s.data())}; }

void require_rpc(amqp_connection_state_t c, const std::string& what) {
  const auto reply = amqp_get_rpc_reply(c);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  throw std::runtime_error("rabbitmq test client: " + what + " failed (reply type " +
                           std::to_string(reply.reply_type) + ", " + amqp_error_string2(reply.library_error) + ")");
}

}  // namespace

RabbitMqServer::RabbitMqServer() {
  port_ = free_port();
  tls_port_ = free_port();
  dist_port_ = free_port();
  epmd_port_ = free_port();
  node_ = "chatops" + std::to_string(port_) + "@localhost";
  const auto cert = ca_.issue_server("rabbitmq");
  dir_.write("env.conf", "");  // not Debian's /etc/rabbitmq/rabbitmq-env.conf
  dir_.write("enabled_plugins", "[].\n");
  dir_.write("rabbitmq.conf",
             "listeners.tcp.default = 127.0.0.1:" + std::to_string(port_) + "\n" +
                 "listeners.ssl.default = 127.0.0.1:" + std::to_string(tls_port_) + "\n" +
                 "ssl_options.cacertfile = " + ca_.ca_cert().string() + "\n" +
                 "ssl_options.certfile = " + cert.cert.string() + "\n" +
                 "ssl_options.keyfile = " + cert.key.string() + "\n" +
                 "ssl_options.verify = verify_none\n"
                 "ssl_options.fail_if_no_peer_cert = false\n"
                 "default_user = " + user + "\n" +
                 "default_pass = " + password + "\n" +
                 "loopback_users = none\n"
                 "disk_free_limit.absolute = 1MB\n");
  start();
}

RabbitMqServer::~RabbitMqServer() {
  stop();
  if (epmd_) epmd_->stop(2s);
}

std::vector<std::pair<std::string, std::string>> RabbitMqServer::environment() const {
  const auto d = dir_.path();
  return {
      {"HOME", d.string()},  // the Erlang cookie
      {"RABBITMQ_CONF_ENV_FILE", (d / "env.conf").string()},
      {"RABBITMQ_NODENAME", node_},
      {"RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_NODE_PORT", std::to_string(port_)},
      {"RABBITMQ_DIST_PORT", std::to_string(dist_port_)},
      {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
      {"ERL_EPMD_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_CONFIG_FILE", (d / "rabbitmq.conf").string()},
      {"RABBITMQ_MNESIA_BASE", (d / "mnesia").string()},
      {"RABBITMQ_LOG_BASE", (d / "log").string()},
      {"RABBITMQ_LOGS", "-"},
      {"RABBITMQ_ENABLED_PLUGINS_FILE", (d / "enabled_plugins").string()},
  };
}

void RabbitMqServer::start() {
  if (process_ && process_->running()) return;
  drop_client();
  if (!epmd_) {
    // Its own epmd, in the foreground, so that it ends with the test (rabbitmq-server would
    // start a daemon that outlives it).
    epmd_ = std::make_unique<Process>(ProcessOptions{
        .argv = {"epmd", "-port", std::to_string(epmd_port_), "-address", "127.0.0.1"},
        .env = {},
        .log_dir = dir_.path(),
        .name = "epmd"});
    if (!wait_for_port(epmd_port_, 10s)) throw std::runtime_error("epmd did not start:\n" + epmd_->output());
  }
  // Erlang and RabbitMQ's boot take seconds, a minute on a loaded machine. A boot that fails ends
  // the process: it is seen at once (not after the whole wait), and tried once more, the first
  // failure's output kept for the error.
  std::string failures;
  for (int attempt = 1;; ++attempt) {
    process_ = std::make_unique<Process>(ProcessOptions{.argv = {std::string(kScripts) + "rabbitmq-server"},
                                                        .env = environment(),
                                                        .log_dir = dir_.path(),
                                                        .name = "rabbitmq"});
    if (process_->wait_for_log("Server startup complete", 180s) && wait_for_port(port_, 10s) &&
        wait_for_port(tls_port_, 10s))
      return;
    const bool exited = !process_->running();
    failures += "rabbitmq-server did not start (" + describe_status(process_->wait_status()) + "):\n" +
                process_->output() + "\n";
    if (!exited || attempt == 2) throw std::runtime_error(failures);
  }
}

void RabbitMqServer::stop() {
  drop_client();
  if (process_) process_->stop(30s);
}

void RabbitMqServer::drop_client() {
  std::lock_guard lock(client_mutex_);
  if (client_) amqp_destroy_connection(client_);
  client_ = nullptr;
}

amqp_connection_state_t RabbitMqServer::client() {
  if (client_) return client_;
  client_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(client_);
  if (!socket || amqp_socket_open(socket, "127.0.0.1", port_) != AMQP_STATUS_OK) {
    amqp_destroy_connection(client_);
    client_ = nullptr;
    throw std::runtime_error("rabbitmq test client: cannot connect");
  }
  const auto login = amqp_login(client_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, user, password);
  if (login.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error("rabbitmq test client: login failed");
  amqp_channel_open(client_, kClientChannel);
  require_rpc(client_, "channel.open");
  amqp_confirm_select(client_, kClientChannel);
  require_rpc(client_, "confirm.select");
  published_ = 0;  // delivery tags count from 1 on the new channel
  return client_;
}

void RabbitMqServer::declare_queue(const std::string& queue) {
  std::lock_guard lock(client_mutex_);
  auto* c = client();
  amqp_queue_declare(c, kClientChannel, bytes_of(queue), 0, 1, 0, 0, amqp_empty_table);
  try {
    require_rpc(c, "queue.declare " + queue);
  } catch (...) {
    amqp_destroy_connection(client_);
    client_ = nullptr;
    throw;
  }
}

void RabbitMqServer::publish(const std::vector<AmqpMessage>& messages) {
  std::lock_guard lock(client_mutex_);
  auto* c = client();
  for (const auto& m : messages) {
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
    p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    p.content_type = amqp_cstring_bytes("application/json");
    if (m.message_id) {
      p._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
      p.message_id = bytes_of(*m.message_id);
    }
    std::vector<amqp_table_entry_t> entries;
    for (const auto& [name, value] : m.headers) {
      amqp_table_entry_t e{};
      e.key = bytes_of(name);
      e.value.kind = AMQP_FIELD_KIND_UTF8;
      e.value.value.bytes = bytes_of(value);
      entries.push_back(e);
    }
    if (!entries.empty()) {
      p._flags |= AMQP_BASIC_HEADERS_FLAG;
      p.headers = {static_cast<int>(entries.size()), entries.data()};
    }
    if (amqp_basic_publish(c, kClientChannel, bytes_of(m.exchange), bytes_of(m.routing_key), 0, 0, &p, bytes_of(m.body)) !=
        AMQP_STATUS_OK) {
      amqp_destroy_connection(client_);
      client_ = nullptr;
      throw std::runtime_error("rabbitmq test client: publish failed");
    }
  }
  // Publisher confirms: the broker acknowledges each message (several at once with `multiple`)
  // once it has it (on disk, for persistent messages on durable queues).
  // Confirmations may come out of order (an unroutable message's at once, a persistent one's
  // after it is written), one at a time or several with `multiple`.
  std::set<std::uint64_t> unconfirmed;
  for (std::size_t i = 0; i < messages.size(); ++i) unconfirmed.insert(++published_);
  while (!unconfirmed.empty()) {
    amqp_frame_t frame;
    timeval timeout{30, 0};
    if (const int status = amqp_simple_wait_frame_noblock(c, &frame, &timeout); status != AMQP_STATUS_OK) {
      amqp_destroy_connection(client_);
      client_ = nullptr;
      throw std::runtime_error(std::string("rabbitmq test client: no publisher confirmation: ") +
                               amqp_error_string2(status));
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD || frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      const auto* close = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
      const std::string reason(static_cast<const char*>(close->reply_text.bytes), close->reply_text.len);
      amqp_destroy_connection(client_);
      client_ = nullptr;
      throw std::runtime_error("rabbitmq test client: the broker closed the channel: " + reason);
    }
    if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      const auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      if (ack->multiple)
        unconfirmed.erase(unconfirmed.begin(), unconfirmed.upper_bound(ack->delivery_tag));
      else
        unconfirmed.erase(ack->delivery_tag);
    } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      throw std::runtime_error("rabbitmq test client: the broker refused a message");
    }
  }
  amqp_maybe_release_buffers(c);
}

void RabbitMqServer::publish(const std::string& queue, const std::string& body, std::optional<std::string> message_id) {
  publish({AmqpMessage{.body = body, .routing_key = queue, .message_id = std::move(message_id)}});
}

std::optional<RabbitMqServer::Counts> RabbitMqServer::counts(const std::string& queue) {
  const auto ran = run_to_end(ProcessOptions{.argv = {std::string(kScripts) + "rabbitmqctl", "-n", node_, "list_queues", "-q",
                                                      "--no-table-headers", "name", "messages_ready",
                                                      "messages_unacknowledged", "consumers"},
                                             .env = environment(),
                                             .log_dir = dir_.path(),
                                             .name = "rabbitmqctl"},
                              60s);
  if (ran.exit_code != 0) throw std::runtime_error("rabbitmqctl list_queues failed:\n" + ran.out + ran.err);
  std::istringstream lines(ran.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string name;
    Counts c;
    if (fields >> name >> c.ready >> c.unacknowledged >> c.consumers && name == queue) return c;
  }
  return std::nullopt;
}

RabbitMqServer& shared_rabbitmq() {
  static RabbitMqServer server;
  return server;
}

std::string unique_queue(const std::string& prefix) {
  static std::atomic<int> next{0};
  return prefix + "-" + std::to_string(++next);
}

}  // namespace chatops::test
