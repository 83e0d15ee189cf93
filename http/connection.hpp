#pragma once
// Internal to the server: the state every connection shares, and one connection's life
// (read within limits, hand over, answer, keep alive or close), over plain TCP or TLS.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>

#include <asio.hpp>

#include "core/tls/tls.hpp"
#include "http/request_parser.hpp"
#include "http/server.hpp"

namespace chatops::http::detail {

class ConnectionBase;

// One event loop and its thread. Kept alive by whatever may still post to it (a Responder).
struct Loop {
  // Its connections, for the sweep of deadlines. Declared before `io`: connections still held by
  // its queued handlers leave this list when `io` is destroyed.
  std::list<ConnectionBase*> connections;
  asio::io_context io{1};
  asio::steady_timer sweeper{io};
  std::thread thread;
  void sweep(std::chrono::milliseconds every);  // checks every connection's deadline, then again
  // The Date header's text, made once a second.
  std::string date;
  std::time_t date_second = 0;
  const std::string& date_text();
};

struct Route {
  std::set<std::string> methods;
  std::shared_ptr<Handler> handler;
};

enum class Phase { Handshake, Idle, Head, Body, Answer, Write, Closing };

// What the server and all its connections share; connections hold it, so it outlives them.
struct Shared {
  explicit Shared(ServerOptions o) : options(std::move(o)) {}
  const ServerOptions options;
  std::unique_ptr<tls::Context> tls;  // with https: the openssl module's

  mutable std::shared_mutex routes_mutex;
  std::map<std::string, Route, std::less<>> routes;
  std::map<std::string, std::size_t, std::less<>> held;  // path → holders (Server::hold_route)
  // The route of `path`; nullopt with `held` set when the path has none yet but one is coming.
  std::optional<Route> route(const std::string& path, bool* held = nullptr) const;

  // Connection limits. Returns false (and counts nothing) when `address` may not open another.
  bool admit(const std::string& address);
  void release(const std::string& address);
  std::mutex addresses_mutex;
  std::map<std::string, std::size_t, std::less<>> per_address;

  std::atomic<std::uint64_t> open{0}, accepted{0}, refused_max{0}, refused_address{0}, requests{0};
  std::atomic<std::uint64_t> buffered{0};
  std::array<std::atomic<std::uint64_t>, 600> responses{};
  std::array<std::atomic<std::uint64_t>, 4> timeouts{};  // head, body, answer, write
};

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  // Acts on a deadline passed (408, 503, or closing).
  virtual void check_deadline(std::chrono::steady_clock::time_point now) = 0;
  // On the connection's loop: the answer to request number `seq` (ignored if it is too late).
  virtual void answer(std::uint64_t seq, Response response) = 0;
};

// A connection over a freshly accepted socket; `tls` chooses the transport.
std::shared_ptr<ConnectionBase> make_connection(asio::ip::tcp::socket socket, std::string remote, bool tls,
                                                std::shared_ptr<Shared> shared, std::shared_ptr<Loop> loop);

// A response's head, as written.
std::string response_head(const Response& r, bool keep_alive, const std::string& date, std::size_t content_length);

}  // namespace chatops::http::detail

namespace chatops::http {

// Shared by the copies of one request's Responder. It holds the connection while an answer may
// still come (nothing else does while a request waits), and lets go of it on the connection's loop,
// the only thread that may destroy it.
struct Exchange {
  Exchange(std::shared_ptr<detail::ConnectionBase> c, std::shared_ptr<detail::Loop> l, std::uint64_t s)
      : loop(std::move(l)), connection(std::move(c)), seq(s) {}
  ~Exchange();  // unanswered: 500
  void deliver(Response response);
  std::shared_ptr<detail::Loop> loop;  // first: outlives the connection
  std::shared_ptr<detail::ConnectionBase> connection;
  std::uint64_t seq;
  std::atomic<bool> answered{false};
};

}  // namespace chatops::http
