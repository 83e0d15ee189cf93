#pragma once
// The IRC client the application talks to: one connection at a time to one of the configured
// servers, registration (CAP/SASL/NICK), channels, liveness (PING/PONG), reconnect with backoff,
// and flood-controlled, delivery-tracked output.
// Everything runs on the io_context's thread, except status(), which any thread may call.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <asio.hpp>

#include "core/backoff.hpp"
#include "bot/irc/client_config.hpp"
#include "bot/irc/ctcp.hpp"
#include "bot/irc/isupport.hpp"
#include "bot/irc/message.hpp"
#include "bot/irc/nickserv.hpp"
#include "bot/irc/output_queue.hpp"
#include "bot/irc/registration.hpp"
#include "bot/irc/sts.hpp"
#include "core/config/schema.hpp"

namespace chatops::irc {

class Connection;

enum class ClientState { Disconnected, Connecting, Registering, Registered };
std::string_view to_string(ClientState s);

struct ClientStatus {
  ClientState state = ClientState::Disconnected;
  std::string server;  // "host:port" of the current or last server
  std::string nick;
  std::vector<std::string> joined;
  std::string sasl = "none";  // "none", "in-progress", "success", "failed", "unavailable"
  std::uint64_t reconnects = 0;
  std::uint64_t lines_sent = 0;
  std::uint64_t lines_queued = 0;
  bool echo_message = false;
  std::string last_error;  // why the last connection ended or failed
};

class Client {
 public:
  // `sts_store` keeps STS policies across runs (it must outlive the client); without one they
  // last as long as the client.
  Client(asio::io_context& io, ClientConfig config, StsPolicyStore* sts_store = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void start();
  // Sends QUIT (written or given up after 2 s), closes, and stays disconnected.
  void stop(std::string_view quit_message, std::function<void()> on_stopped = {});

  // Text to a channel or nick: sanitised, split, queued. on_done(true) once every line was
  // accepted by the server (its echo seen when echo-message is negotiated, else written to the
  // socket); on_done(false) if the connection dropped first, the client is not registered, the
  // queue is full, or the server refused the line (404, 401…). Must be called on the io thread.
  void say(std::string target, std::string text, std::function<void(bool delivered)> on_done = {});
  void notice(std::string target, std::string text, std::function<void(bool)> on_done = {});
  void send(const Message& m);  // raw, normal lane; dropped (logged) unless registered

  std::size_t queued_lines() const { return queue_.size(); }
  double send_rate() const { return config_.flood_rate; }
  std::size_t burst() const { return config_.flood_burst; }
  bool in_channel(std::string_view channel) const;  // casemapping-aware
  bool registered() const { return state_ == ClientState::Registered; }
  ClientStatus status() const;                      // thread-safe (a locked copy, for other threads)
  const ISupport& isupport() const { return isupport_; }
  // "nick!user@host" as the server shows us (a worst-case guess until learnt).
  std::string own_prefix() const;

  std::function<void(const Message&)> on_message;  // every parsed inbound line
  std::function<void()> on_registered;
  std::function<void(const std::string& channel)> on_joined;
  std::function<void(const std::string& channel, const std::string& reason)> on_join_failed;
  std::function<void(const std::string& reason)> on_disconnected;

 private:
  using Clock = std::chrono::steady_clock;
  struct Batch {  // one say()/notice(): its lines and who to tell
    std::string target;  // case-folded
    std::size_t remaining = 0;
    std::function<void(bool)> done;
  };
  struct Echo {  // a written line whose echo we wait for
    std::string target;  // case-folded
    std::uint64_t batch = 0;
  };

  void connect();
  void on_connected(const Result<void>& result);
  void on_line(std::string_view raw);
  void handle(const Message& m);
  void on_welcome(const Message& m);
  void on_sts(std::string_view value);
  void on_own_join(const Message& m);
  void on_echo(const Message& m);
  void join_all();
  void lost(std::string reason);
  void schedule_reconnect();
  void arm_ping();
  void on_ping_timer();
  void arm_regain();

  void text(std::string_view command, std::string target, std::string text, std::function<void(bool)> on_done);
  void priority(const Message& m, bool counted = true);
  void pump();
  void written(std::uint64_t batch);
  void line_done(std::uint64_t batch, bool ok);
  void fail_all_batches();

  bool is_self(std::string_view nick) const;
  std::string fold(std::string_view s) const;
  void learn_prefix(std::string_view source);
  void publish();

  asio::io_context& io_;
  ClientConfig config_;
  OutputQueue queue_;
  Backoff backoff_;
  ISupport isupport_;
  std::unique_ptr<StsPolicyStore> own_sts_store_;
  StsPolicies sts_;
  ServerConfig current_;                 // where the current or last connection goes
  std::optional<ServerConfig> upgrade_;  // the next connection: TLS as an STS upgrade asked
  CtcpResponder ctcp_;
  std::optional<NickServIdentify> nickserv_;
  std::shared_ptr<Connection> conn_;
  std::optional<Registration> reg_;
  ClientState state_ = ClientState::Disconnected;
  std::size_t server_index_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool echo_message_ = false;

  std::string nick_;
  std::string user_;  // "" until learnt
  std::string host_;  // "" until learnt
  std::vector<std::string> joined_;  // as the server spelt them

  asio::steady_timer reconnect_timer_;
  asio::steady_timer register_timer_;
  asio::steady_timer ping_timer_;
  asio::steady_timer regain_timer_;
  asio::steady_timer send_timer_;
  bool send_armed_ = false;
  Clock::time_point last_rx_;
  std::optional<Clock::time_point> ping_sent_;

  std::unordered_map<std::uint64_t, Batch> batches_;
  std::deque<Echo> echoes_;
  std::uint64_t next_batch_ = 1;

  std::uint64_t reconnects_ = 0;
  std::uint64_t lines_sent_ = 0;
  std::string last_error_;
  std::string sasl_ = "none";  // outcome of the last registration

  mutable std::mutex status_mutex_;
  ClientStatus status_;
  // Set to false by the destructor: timer handlers already queued must not touch a dead client.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace chatops::irc
