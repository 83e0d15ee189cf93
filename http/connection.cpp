// One connection's life: read within the limits and deadlines, check the head, hand the request
// over, write the answer, then keep alive or close.
#include "http/connection.hpp"

#include <ctime>
#include <memory>
#include <span>

#include <spdlog/spdlog.h>

namespace chatops::http::detail {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;  // a plain read, into the loop's buffer
constexpr std::size_t kTlsChunk = 16 * 1024;   // a TLS record
// After an answer that closes the connection while the client may still be sending (a refused
// body), what is still coming is read and dropped for a moment before closing: closing with
// unread data makes the kernel send a reset, which can destroy the answer before it is read.
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);

enum TimeoutPhase { kHeadTimeout, kBodyTimeout, kAnswerTimeout, kWriteTimeout };

// The loop thread's buffer for plain reads, allocated on its first read. Not a thread_local array:
// that would be part of every thread's static TLS, which glibc allocates and zeroes at the start
// of each thread of the process (64 KiB of resident memory per thread, per template instance).
std::span<char> loop_read_buffer() {
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) buffer = std::make_unique_for_overwrite<char[]>(kReadChunk);
  return {buffer.get(), kReadChunk};
}

// Plain TCP: wait until readable, then read what is there into the loop's buffer, so that an idle
// connection (or one sending a header every few seconds) holds no buffer of its own.
class PlainTransport {
 public:
  PlainTransport(asio::ip::tcp::socket socket, Shared&) : socket_(std::move(socket)) { socket_.non_blocking(true); }
  asio::ip::tcp::socket& lowest() { return socket_; }
  template <class Buffers, class Done>
  void write(const Buffers& buffers, Done done) {
    asio::async_write(socket_, buffers, std::move(done));
  }
  template <class Done>
  void handshake(Done done) {
    done(std::error_code{});
  }
  template <class Got>
  void read(Got got) {
    socket_.async_wait(asio::ip::tcp::socket::wait_read, [this, got = std::move(got)](std::error_code ec) mutable {
      if (ec) return got(ec, std::string_view{});
      const auto buffer = loop_read_buffer();
      const auto n = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return read(std::move(got));
      got(ec, std::string_view(buffer.data(), n));
    });
  }
  void release_buffer() {}
  // No more to send: the client reads the answer to its end.
  template <class Done>
  void finish(Done done) {
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    done();
  }

 private:
  asio::ip::tcp::socket socket_;
};

// TLS (the openssl module's streams): records are decrypted into the connection's own buffer.
class TlsTransport {
 public:
  // A server's stream cannot fail to be made (only a client's, setting SNI): value() is safe.
  TlsTransport(asio::ip::tcp::socket socket, Shared& shared) : stream_(shared.tls->stream(std::move(socket)).value()) {}
  asio::ip::tcp::socket& lowest() { return stream_->socket(); }
  template <class Buffers, class Done>
  void write(const Buffers& buffers, Done done) {
    stream_->write(std::span<const asio::const_buffer>(buffers.data(), buffers.size()), std::move(done));
  }
  template <class Done>
  void handshake(Done done) {
    stream_->handshake(std::move(done));
  }
  template <class Got>
  void read(Got got) {
    if (!buffer_) buffer_ = std::make_unique<char[]>(kTlsChunk);
    stream_->read_some(asio::buffer(buffer_.get(), kTlsChunk),
                       [this, got = std::move(got)](const std::error_code& ec, std::size_t n) mutable {
                         got(ec, std::string_view(buffer_.get(), n));
                       });
  }
  void release_buffer() { buffer_.reset(); }
  // TLS's own end (close_notify), so that the client can tell the end from a cut.
  template <class Done>
  void finish(Done done) {
    stream_->shutdown([done = std::move(done)](const std::error_code&) mutable { done(); });
  }

 private:
  std::unique_ptr<tls::Stream> stream_;
  std::unique_ptr<char[]> buffer_;
};

template <class Transport>
class Connection final : public ConnectionBase {
 public:
  Connection(asio::ip::tcp::socket socket, std::string remote, std::shared_ptr<Shared> shared,
             const std::shared_ptr<Loop>& loop)
      : shared_(std::move(shared)),
        loop_(*loop),
        loop_owner_(loop),
        transport_(std::move(socket), *shared_),
        parser_(shared_->options.parser),
        remote_(std::move(remote)) {}

  ~Connection() override {
    unreserve();
    shared_->release(remote_);
    if (registration_) loop_.connections.erase(*registration_);
  }

  // On the connection's loop, like everything below.
  void start() override {
    registration_ = loop_.connections.insert(loop_.connections.end(), this);
    phase_ = Phase::Handshake;
    arm(shared_->options.head_timeout, kHeadTimeout);
    transport_.handshake([self = self()](const std::error_code& ec) {
      if (ec) return self->close();
      self->idle();
    });
  }

  void answer(std::uint64_t seq, Response response) override {
    if (seq != seq_ || phase_ != Phase::Answer) return;  // answered by the deadline already, or closed
    write(std::move(response), false);
  }

 private:
  std::shared_ptr<Connection> self() { return std::static_pointer_cast<Connection>(shared_from_this()); }

  // --- reading

  void idle() {
    phase_ = Phase::Idle;
    arm(shared_->options.idle_timeout, -1);
    if (pending_.empty()) return read();
    std::string bytes = std::move(pending_);
    pending_.clear();
    consume(bytes);
  }

  void read() {
    transport_.read([self = self()](const std::error_code& ec, std::string_view bytes) {
      if (self->phase_ == Phase::Closing) return;
      if (ec) return self->close();  // the client went away (or reset): nothing to answer
      self->consume(bytes);
    });
  }

  // Feeds the parser; reads on unless a stop hands control elsewhere.
  void consume(std::string_view bytes) {
    while (!bytes.empty()) {
      if (phase_ == Phase::Idle) {
        phase_ = Phase::Head;  // the deadline for the head runs from its first byte
        arm(shared_->options.head_timeout, kHeadTimeout);
      }
      const auto before = parser_.body_size();
      const auto step = parser_.feed(bytes);
      bytes.remove_prefix(step.consumed);
      if (!reserve(parser_.body_size() - before)) return refuse(503, "the server holds too many request bodies");
      switch (step.stop) {
        case RequestParser::Stop::NeedMore:
          break;
        case RequestParser::Stop::Error:
          return refuse(parser_.error_status(), parser_.error_reason());
        case RequestParser::Stop::Head:
          if (!check_head()) return;
          if (parser_.expects_continue()) {
            pending_.assign(bytes);
            return send_continue();
          }
          break;
        case RequestParser::Stop::Message:
          pending_.assign(bytes);
          return hand_over();
      }
    }
    read();
  }

  // Route, method and the handler's own head check, before any byte of the body is buffered.
  bool check_head() {
    phase_ = Phase::Body;
    arm(shared_->options.body_timeout, kBodyTimeout);
    auto& request = parser_.request();
    request.remote = remote_;
    head_request_ = request.method == "HEAD";
    bool held = false;
    route_ = shared_->route(request.path, &held);
    if (!route_) {
      // A path whose route is coming (its source starting, or restarting for a reload) is not
      // "no such path": a 404 is final to Alertmanager and most senders, a 503 is retried.
      if (held) refuse(503, "starting; retry later");
      else refuse(404, "no such path");
      return false;
    }
    if (!route_->methods.contains(request.method)) {
      std::string allow;
      for (const auto& m : route_->methods) allow += (allow.empty() ? "" : ", ") + m;
      auto r = error_response(405, request.method + " is not served here");
      r.headers.emplace_back("Allow", allow);
      write(std::move(r), true);
      return false;
    }
    if (auto refused = route_->handler->check_head(request)) {
      write(std::move(*refused), true);
      return false;
    }
    return true;
  }

  void send_continue() {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    const std::array<asio::const_buffer, 1> buffers{asio::buffer(kContinue)};
    transport_.write(buffers, [self = self()](const std::error_code& ec, std::size_t) {
      if (ec || self->phase_ == Phase::Closing) return self->close();
      std::string bytes = std::move(self->pending_);
      self->pending_.clear();
      self->consume(bytes);
    });
  }

  void hand_over() {
    phase_ = Phase::Answer;
    arm(shared_->options.answer_timeout, kAnswerTimeout);
    ++seq_;
    ++shared_->requests;
    unreserve();  // the body is the handler's now
    transport_.release_buffer();
    auto exchange = std::make_shared<Exchange>(shared_from_this(), loop_owner_.lock(), seq_);
    auto handler = route_->handler;
    route_.reset();
    handler->handle(std::move(parser_.request()), Responder(std::move(exchange)));
  }

  // --- answering

  static Response error_response(int status, std::string_view reason) {
    std::string body = R"({"status":"error","code":)" + std::to_string(status) + R"(,"reason":")";
    for (char c : reason) {  // reasons are ours, but may quote a header: keep the JSON valid
      if (c == '"' || c == '\\') body += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) body += c;
    }
    body += "\"}";
    return Response::json(status, std::move(body));
  }

  void refuse(int status, std::string_view reason) {
    auto r = error_response(status, reason);
    if (status == 503) r.headers.emplace_back("Retry-After", "1");
    write(std::move(r), true);
  }

  void write(Response response, bool close_after) {
    keep_alive_ = !close_after && parser_.keep_alive() && phase_ == Phase::Answer;
    phase_ = Phase::Write;
    // A refused request's body is dropped now, not when the client has read the refusal.
    unreserve();
    std::string().swap(parser_.request().body);
    arm(shared_->options.write_timeout, kWriteTimeout);
    if (response.status >= 100 && response.status < 600) ++shared_->responses[static_cast<std::size_t>(response.status)];
    out_head_ = response_head(response, keep_alive_, loop_.date_text(), response.body.size());
    out_body_ = head_request_ ? std::string() : std::move(response.body);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_), asio::buffer(out_body_)};
    transport_.write(buffers, [self = self()](const std::error_code& ec, std::size_t) {
      if (self->phase_ == Phase::Closing) return;
      self->out_head_.clear();
      self->out_body_.clear();
      self->out_body_.shrink_to_fit();
      if (ec) return self->close();
      if (!self->keep_alive_) return self->linger();
      self->parser_.reset();
      self->head_request_ = false;
      self->idle();
    });
  }

  // --- closing and deadlines

  void linger() {
    phase_ = Phase::Closing;
    arm(kLingerTime, -1);
    transport_.finish([self = self()] { self->drain(); });
  }

  void drain() {
    transport_.read([self = self()](const std::error_code& ec, std::string_view bytes) {
      self->lingered_ += bytes.size();
      if (ec || self->lingered_ > kLingerBytes) return self->close();
      self->drain();
    });
  }

  void close() {
    phase_ = Phase::Closing;
    deadline_ = std::chrono::steady_clock::time_point::max();
    std::error_code ignored;
    transport_.lowest().close(ignored);
    unreserve();
  }

  // One deadline at a time; re-arming replaces it. The loop's sweep checks it (a timer per
  // connection, re-armed at every phase of every request, cost more than the requests' parsing).
  // `timeout_phase` < 0: closing without a word.
  void arm(std::chrono::steady_clock::duration after, int timeout_phase) {
    deadline_ = std::chrono::steady_clock::now() + after;
    timeout_phase_ = timeout_phase;
  }

  void check_deadline(std::chrono::steady_clock::time_point now) override {
    if (now < deadline_) return;
    deadline_ = std::chrono::steady_clock::time_point::max();
    if (timeout_phase_ < 0) return close();
    ++shared_->timeouts[static_cast<std::size_t>(timeout_phase_)];
    switch (timeout_phase_) {
      case kHeadTimeout:
        if (phase_ == Phase::Handshake) return close();
        return refuse(408, "the request head took too long");
      case kBodyTimeout:
        return refuse(408, "the request body took too long");
      case kAnswerTimeout: {
        ++seq_;  // a late answer finds nobody
        auto r = error_response(503, "no answer in time; retry later");
        r.headers.emplace_back("Retry-After", "5");
        return write(std::move(r), false);
      }
      default:
        return close();  // the client does not read its answer
    }
  }

  // Counts `bytes` more of body against the server-wide bound; false when it would go over.
  bool reserve(std::size_t bytes) {
    if (bytes == 0) return true;
    reserved_ += bytes;
    return shared_->buffered.fetch_add(bytes) + bytes <= shared_->options.max_buffered;
  }
  void unreserve() { shared_->buffered -= std::exchange(reserved_, 0); }

  std::shared_ptr<Shared> shared_;
  // Not owned: the loop's io_context owns the handlers that keep this connection alive. Answers
  // (Exchange) hold the loop, so that a late one can still be posted to it.
  Loop& loop_;
  std::weak_ptr<Loop> loop_owner_;
  Transport transport_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  int timeout_phase_ = -1;
  std::optional<std::list<ConnectionBase*>::iterator> registration_;  // in loop_.connections, once started
  RequestParser parser_;
  std::string remote_;
  std::string pending_;  // bytes received after the current stop, parsed once it is over
  std::optional<Route> route_;
  Phase phase_ = Phase::Handshake;
  std::uint64_t seq_ = 0;
  bool keep_alive_ = false;
  bool head_request_ = false;  // the current request is a HEAD: its answer goes without a body
  std::size_t reserved_ = 0;
  std::size_t lingered_ = 0;
  std::string out_head_, out_body_;
};

}  // namespace

std::shared_ptr<ConnectionBase> make_connection(asio::ip::tcp::socket socket, std::string remote, bool tls,
                                                std::shared_ptr<Shared> shared, std::shared_ptr<Loop> loop) {
  if (tls)
    return std::make_shared<Connection<TlsTransport>>(std::move(socket), std::move(remote), std::move(shared),
                                                      std::move(loop));
  return std::make_shared<Connection<PlainTransport>>(std::move(socket), std::move(remote), std::move(shared),
                                                      std::move(loop));
}

std::string response_head(const Response& r, bool keep_alive, const std::string& date, std::size_t content_length) {
  std::string head;
  head.reserve(160);
  head += "HTTP/1.1 ";
  head += std::to_string(r.status);
  head += ' ';
  head += reason_phrase(r.status);
  head += "\r\nDate: ";
  head += date;
  head += "\r\nContent-Type: ";
  head += r.content_type;
  head += "\r\nContent-Length: ";
  head += std::to_string(content_length);
  if (!keep_alive) head += "\r\nConnection: close";
  for (const auto& [name, value] : r.headers) {
    head += "\r\n";
    head += name;
    head += ": ";
    head += value;
  }
  head += "\r\n\r\n";
  return head;
}

const std::string& Loop::date_text() {
  const std::time_t now = std::time(nullptr);
  if (now != date_second) {
    date_second = now;
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[40];
    date.assign(text, std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc));
  }
  return date;
}

}  // namespace chatops::http::detail
