#include "http/server.hpp"

#include <sys/resource.h>

#include <algorithm>

#include <pthread.h>

#include <spdlog/spdlog.h>

#include "http/connection.hpp"

namespace chatops::http {

using detail::Loop;
using detail::Shared;

// --- answers ------------------------------------------------------------------------------------

void detail::Loop::sweep(std::chrono::milliseconds every) {
  sweeper.expires_after(every);
  sweeper.async_wait([this, every](const std::error_code& ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    // A check may close (and so unlist) that connection only; step past it first.
    for (auto it = connections.begin(); it != connections.end();) (*it++)->check_deadline(now);
    sweep(every);
  });
}

void Exchange::deliver(Response response) {
  if (answered.exchange(true)) return;
  // The connection goes with the answer and is released on its loop: one wake-up of the loop per
  // answer (a wake-up from another thread is a system call, here the journal writer's).
  asio::post(loop->io, [connection = std::move(connection), seq = seq, response = std::move(response)]() mutable {
    connection->answer(seq, std::move(response));
  });
}

Exchange::~Exchange() {
  if (!answered) deliver(Response::json(500, R"({"status":"error","code":500,"reason":"no answer was given"})"));
}

void Responder::send(Response response) const { exchange_->deliver(std::move(response)); }

void Responder::send_after(std::chrono::milliseconds after, Response fallback) const {
  auto timer = std::make_shared<asio::steady_timer>(exchange_->loop->io, after);
  // Holds the exchange only weakly: an answer given in time ends it, and the timer finds nothing.
  timer->async_wait([timer, exchange = std::weak_ptr<Exchange>(exchange_),
                     fallback = std::move(fallback)](const std::error_code& ec) mutable {
    if (auto e = exchange.lock(); e && !ec) e->deliver(std::move(fallback));
  });
}

namespace {
class FunctionHandler final : public Handler {
 public:
  explicit FunctionHandler(std::function<void(Request, Responder)> f) : f_(std::move(f)) {}
  void handle(Request request, Responder responder) override { f_(std::move(request), std::move(responder)); }

 private:
  std::function<void(Request, Responder)> f_;
};
}  // namespace

std::shared_ptr<Handler> handler(std::function<void(Request, Responder)> handle) {
  return std::make_shared<FunctionHandler>(std::move(handle));
}

// --- shared state -------------------------------------------------------------------------------

namespace detail {

std::optional<Route> Shared::route(const std::string& path, bool* is_held) const {
  std::shared_lock lock(routes_mutex);
  auto it = routes.find(path);
  if (it == routes.end()) {
    if (is_held) *is_held = held.contains(path);
    return std::nullopt;
  }
  return it->second;
}

bool Shared::admit(const std::string& address) {
  if (open.fetch_add(1) >= options.max_connections) {
    --open;
    ++refused_max;
    return false;
  }
  std::lock_guard lock(addresses_mutex);
  auto& n = per_address[address];
  if (options.max_connections_per_address != 0 && n >= options.max_connections_per_address) {
    if (n == 0) per_address.erase(address);
    --open;
    ++refused_address;
    return false;
  }
  ++n;
  ++accepted;
  return true;
}

void Shared::release(const std::string& address) {
  --open;
  std::lock_guard lock(addresses_mutex);
  auto it = per_address.find(address);
  if (it != per_address.end() && --it->second == 0) per_address.erase(it);
}

}  // namespace detail

// --- the server ---------------------------------------------------------------------------------

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  explicit Impl(ServerOptions options) : shared(std::make_shared<Shared>(std::move(options))) {}

  std::shared_ptr<Shared> shared;
  std::vector<std::shared_ptr<Loop>> loops;
  std::optional<asio::ip::tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_pause;
  std::size_t next_loop = 0;
  int port = 0;
  bool running = false;

  Result<void> listen();
  void accept();
  void admit(asio::ip::tcp::socket socket, Loop& loop);
};

namespace {

// Thousands of connections need as many file descriptors; the soft limit is often 1024.
void raise_open_file_limit(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted)
    spdlog::warn("http: the open-file limit is {} (hard limit {}), below http.max_connections ({}) plus the bot's "
                 "own files; raise it (LimitNOFILE= in systemd) or lower http.max_connections",
                 std::max(before, limit.rlim_cur), limit.rlim_max, wanted - 256);
}

// Refuses a connection over a limit with a short answer, without waiting for anything.
void refuse_at_once(asio::ip::tcp::socket& socket) {
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: 64\r\n\r\n"
      R"({"status":"error","code":503,"reason":"too many connections"}    )";
  std::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(kBusy), ec);
  socket.close(ec);
}

}  // namespace

Result<void> Server::Impl::listen() {
  const auto& o = shared->options;
  if (o.tls) {
    auto module = tls::load_module();
    if (!module) return fail("http.tls: " + module.error().message);
    auto context = (*module)->server_context(tls::ServerOptions{.cert_file = o.tls->first, .key_file = o.tls->second});
    if (!context) return fail("http.tls: " + context.error().message);
    shared->tls = std::move(*context);
  }
  for (int i = 0; i < o.threads; ++i) loops.push_back(std::make_shared<Loop>());
  std::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec) return fail("http.listen: " + o.host + " is not an IP address");
  auto& a = acceptor.emplace(loops.front()->io);
  const asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);  // restarts despite TIME_WAIT; not REUSEPORT
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(o.backlog, ec);
  if (ec) {
    acceptor.reset();
    return fail("http.listen: cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  }
  port = a.local_endpoint().port();
  accept_pause.emplace(loops.front()->io);
  raise_open_file_limit(o.max_connections + 256);
  return {};
}

void Server::Impl::accept() {
  auto& loop = *loops[next_loop++ % loops.size()];
  acceptor->async_accept(loop.io, [self = shared_from_this(), &loop](std::error_code ec, asio::ip::tcp::socket socket) {
    if (!self->running) return;
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors, typically: wait a little instead of spinning on the error.
      spdlog::warn("http: accepting a connection failed: {}", ec.message());
      self->accept_pause->expires_after(std::chrono::milliseconds(100));
      self->accept_pause->async_wait([self](const std::error_code& e) {
        if (!e && self->running) self->accept();
      });
      return;
    }
    self->admit(std::move(socket), loop);
    self->accept();
  });
}

void Server::Impl::admit(asio::ip::tcp::socket socket, Loop& loop) {
  std::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // gone already
  std::string remote = peer.address().to_string();
  if (!shared->admit(remote)) return refuse_at_once(socket);
  socket.set_option(asio::ip::tcp::no_delay(true), ec);  // else keep-alive answers wait for a delayed ACK
  std::shared_ptr<Loop> owner;
  for (const auto& l : loops)
    if (l.get() == &loop) owner = l;
  auto connection = detail::make_connection(std::move(socket), std::move(remote), shared->tls != nullptr, shared, owner);
  asio::post(loop.io, [connection] { connection->start(); });
}

Server::Server(ServerOptions options, metrics::Registry* registry) : impl_(std::make_shared<Impl>(std::move(options))) {
  if (!registry) return;
  registry->add_collector([shared = impl_->shared](metrics::MetricWriter& w) {
    w.gauge("chatops_http_connections", "HTTP connections open.", static_cast<double>(shared->open.load()));
    const std::pair<const char*, std::uint64_t> connections[] = {{"accepted", shared->accepted.load()},
                                                                 {"refused_max_connections", shared->refused_max.load()},
                                                                 {"refused_per_address", shared->refused_address.load()}};
    for (const auto& [outcome, n] : connections)
      w.counter("chatops_http_connections_total", "HTTP connections, by outcome.", static_cast<double>(n),
                {{"outcome", outcome}});
    w.counter("chatops_http_requests_total", "Complete HTTP requests handed to a handler.",
              static_cast<double>(shared->requests.load()));
    for (std::size_t status = 100; status < shared->responses.size(); ++status)
      if (const auto n = shared->responses[status].load())
        w.counter("chatops_http_responses_total", "HTTP responses, by status.", static_cast<double>(n),
                  {{"code", std::to_string(status)}});
    const char* phases[] = {"head", "body", "answer", "write"};
    for (std::size_t i = 0; i < 4; ++i)
      w.counter("chatops_http_timeouts_total", "HTTP deadlines missed, by phase.",
                static_cast<double>(shared->timeouts[i].load()), {{"phase", phases[i]}});
    w.gauge("chatops_http_buffered_bytes", "Request bodies held in memory.", static_cast<double>(shared->buffered.load()));
  });
}

Server::~Server() { stop(); }

Result<void> Server::start() {
  if (auto listening = impl_->listen(); !listening) return listening;
  impl_->running = true;
  impl_->accept();
  // Deadlines are checked this often: a tenth of the shortest, between 10 and 250 ms.
  const auto& o = impl_->shared->options;
  const auto shortest = std::min({o.head_timeout, o.body_timeout, o.idle_timeout, o.answer_timeout, o.write_timeout});
  const auto every = std::clamp(shortest / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  int n = 0;
  for (auto& loop : impl_->loops) {
    loop->sweep(every);
    loop->thread = std::thread([l = loop.get(), n = n++] {
      pthread_setname_np(pthread_self(), ("http-loop-" + std::to_string(n)).c_str());
      l->io.run();
    });
  }
  spdlog::info("http: listening on {}://{}:{} ({} event loop{})", o.tls ? "https" : "http", o.host, impl_->port,
               o.threads, o.threads == 1 ? "" : "s");
  return {};
}

void Server::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  for (auto& loop : impl_->loops) {
    loop->io.stop();
    if (loop->thread.joinable()) loop->thread.join();
  }
  // Connections go with the handlers still queued on their loop, when it is destroyed (here, or
  // with the last Responder of an answer still to come). The acceptor goes before its loop.
  impl_->acceptor.reset();
  impl_->accept_pause.reset();
  impl_->loops.clear();
}

int Server::port() const { return impl_->port; }

const ServerOptions& Server::options() const { return impl_->shared->options; }

Result<void> Server::add_route(std::string path, std::set<std::string> methods, std::shared_ptr<Handler> handler) {
  std::unique_lock lock(impl_->shared->routes_mutex);
  if (impl_->shared->routes.contains(path)) return fail("http: the path " + path + " is already taken");
  impl_->shared->routes.emplace(std::move(path), detail::Route{std::move(methods), std::move(handler)});
  return {};
}

void Server::remove_route(const std::string& path) {
  std::unique_lock lock(impl_->shared->routes_mutex);
  impl_->shared->routes.erase(path);
}

void Server::hold_route(const std::string& path) {
  std::unique_lock lock(impl_->shared->routes_mutex);
  ++impl_->shared->held[path];
}

void Server::release_route(const std::string& path) {
  std::unique_lock lock(impl_->shared->routes_mutex);
  auto& held = impl_->shared->held;
  if (const auto it = held.find(path); it != held.end() && --it->second == 0) held.erase(it);
}

ServerStats Server::stats() const {
  const auto& s = *impl_->shared;
  ServerStats out;
  out.connections_open = s.open.load();
  out.connections_accepted = s.accepted.load();
  out.refused_max_connections = s.refused_max.load();
  out.refused_per_address = s.refused_address.load();
  out.requests = s.requests.load();
  for (std::size_t status = 100; status < s.responses.size(); ++status)
    if (const auto n = s.responses[status].load()) out.responses[static_cast<int>(status)] = n;
  const char* phases[] = {"head", "body", "answer", "write"};
  for (std::size_t i = 0; i < 4; ++i) out.timeouts[phases[i]] = s.timeouts[i].load();
  out.buffered_bytes = s.buffered.load();
  return out;
}

}  // namespace chatops::http
