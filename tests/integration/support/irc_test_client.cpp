#include "tests/integration/support/irc_test_client.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace chatops::test {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequal(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

int connect_tcp(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    throw std::runtime_error("resolve " + host + ": " + ::gai_strerror(rc));
  int fd = -1;
  int err = 0;
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    throw std::runtime_error("connect " + host + ":" + std::to_string(port) + ": " +
                             std::strerror(err));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

IrcLine parse_irc_line(std::string_view raw) {
  IrcLine line;
  line.raw = std::string(raw);
  line.received = std::chrono::steady_clock::now();
  std::string_view rest = raw;
  auto word = [&rest]() {
    size_t sp = rest.find(' ');
    std::string_view w = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    while (rest.starts_with(' ')) rest.remove_prefix(1);
    return w;
  };
  if (rest.starts_with('@')) line.tags = std::string(word().substr(1));
  if (rest.starts_with(':')) {
    line.prefix = std::string(word().substr(1));
    line.nick = line.prefix.substr(0, line.prefix.find('!'));
  }
  for (char c : word()) line.command += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  while (!rest.empty()) {
    if (rest.starts_with(':')) {
      line.params.emplace_back(rest.substr(1));
      break;
    }
    line.params.emplace_back(word());
  }
  return line;
}

struct IrcTestClient::Io {
  int fd = -1;
  int wake[2] = {-1, -1};
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  std::string inbuf;

  ~Io() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
    for (int w : wake)
      if (w >= 0) ::close(w);
  }
  // >0 bytes, 0 nothing available now, -1 closed or failed.
  long read(char* buf, size_t size) {
    if (!ssl) {
      ssize_t n = ::recv(fd, buf, size, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
      return n > 0 ? n : -1;
    }
    int n = SSL_read(ssl, buf, static_cast<int>(size));
    if (n > 0) return n;
    int err = SSL_get_error(ssl, n);
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? 0 : -1;
  }
  bool write(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      long n = ssl ? SSL_write(ssl, data.data() + done, static_cast<int>(data.size() - done))
                   : ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        if (!ssl && errno == EINTR) continue;
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }
};

IrcTestClient::IrcTestClient(IrcClientOptions options)
    : options_(std::move(options)), io_(std::make_unique<Io>()) {
  io_->fd = connect_tcp(options_.host, options_.port);
  if (::pipe2(io_->wake, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error("pipe2 failed");
  if (options_.tls) {
    io_->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(io_->ctx, SSL_VERIFY_NONE, nullptr);  // test servers: no verification
    if (!options_.client_cert.empty() &&
        (SSL_CTX_use_certificate_chain_file(io_->ctx, options_.client_cert.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(io_->ctx, options_.client_cert.c_str(), SSL_FILETYPE_PEM) != 1))
      throw std::runtime_error("cannot load client certificate " + options_.client_cert);
    io_->ssl = SSL_new(io_->ctx);
    // No auto-retry: SSL_read then returns after non-application records (session tickets)
    // instead of blocking the I/O thread with lines waiting to be sent.
    SSL_clear_mode(io_->ssl, SSL_MODE_AUTO_RETRY);
    SSL_set_fd(io_->ssl, io_->fd);
    if (options_.host.find_first_not_of("0123456789.:") != std::string::npos)
      SSL_set_tlsext_host_name(io_->ssl, options_.host.c_str());
    if (SSL_connect(io_->ssl) != 1) {
      ERR_clear_error();
      throw std::runtime_error("TLS handshake with " + options_.host + ":" +
                               std::to_string(options_.port) + " failed");
    }
  }
  connected_ = true;
  if (!options_.password.empty()) send("PASS :" + options_.password);
  if (options_.cap_ls || !options_.caps.empty() || wants_sasl()) send("CAP LS 302");
  send("NICK " + options_.nick);
  send("USER " + options_.user + " 0 * :" + options_.realname);
  thread_ = std::thread([this] { run(); });
  bool done = wait_until([this] { return registered_ || !error_.empty() || !connected_; },
                         options_.timeout);
  std::string problem;
  {
    std::lock_guard lock(mutex_);
    if (!registered_)
      problem = !error_.empty() ? error_ : !connected_ ? "disconnected: " + disconnect_reason_
                                         : done ? "unknown" : "timeout";
  }
  if (!problem.empty()) {
    close();
    throw std::runtime_error("IRC registration of " + options_.nick + " failed: " + problem);
  }
}

IrcTestClient::~IrcTestClient() {
  if (connected()) {
    send("QUIT :test client done");
    wait_for_disconnect(std::chrono::milliseconds(500));
  }
  close();
}

template <class Pred>
bool IrcTestClient::wait_until(Pred pred, Duration timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, pred);
}

void IrcTestClient::send(std::string_view line) {
  {
    std::lock_guard lock(mutex_);
    outbox_.push_back(std::string(line) + "\r\n");
  }
  char c = 1;
  [[maybe_unused]] auto n = ::write(io_->wake[1], &c, 1);
}

void IrcTestClient::privmsg(std::string_view target, std::string_view text) {
  send("PRIVMSG " + std::string(target) + " :" + std::string(text));
}

void IrcTestClient::write_now(const std::string& data) {
  if (!io_->write(data)) {
    std::lock_guard lock(mutex_);
    if (disconnect_reason_.empty()) disconnect_reason_ = "write failed";
  }
}

void IrcTestClient::run() {
  char buf[16384];
  for (;;) {
    std::deque<std::string> out;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      out.swap(outbox_);
    }
    for (const auto& data : out) write_now(data);
    if (!io_->ssl || SSL_pending(io_->ssl) == 0) {
      pollfd fds[2] = {{io_->fd, POLLIN, 0}, {io_->wake[0], POLLIN, 0}};
      if (::poll(fds, 2, 200) < 0 && errno != EINTR) break;
      if (fds[1].revents) {
        char drain[64];
        while (::read(io_->wake[0], drain, sizeof drain) > 0) {
        }
      }
      if (!fds[0].revents) continue;
    }
    long n = io_->read(buf, sizeof buf);
    if (n < 0) {
      std::lock_guard lock(mutex_);
      if (disconnect_reason_.empty()) disconnect_reason_ = "eof";
      break;
    }
    io_->inbuf.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = io_->inbuf.find('\n')) != std::string::npos) {
      std::string raw = io_->inbuf.substr(0, nl);
      io_->inbuf.erase(0, nl + 1);
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      if (!raw.empty()) handle(parse_irc_line(raw));
    }
  }
  std::lock_guard lock(mutex_);
  connected_ = false;
  changed_.notify_all();
}

// Runs on the I/O thread: protocol replies are written directly, then the line is recorded.
void IrcTestClient::handle(IrcLine line) {
  const std::string& cmd = line.command;
  std::vector<std::string> replies;
  if (cmd == "PING") {
    replies.push_back("PONG :" + line.param(0) + "\r\n");
  } else if (cmd == "CAP") {
    std::string sub = line.param(1);
    std::lock_guard lock(mutex_);
    if (sub == "LS") {
      bool more = line.params.size() > 3 && line.param(2) == "*";
      for (auto& cap : split_words(line.params.back()))
        caps_offered_.push_back(cap.substr(0, cap.find('=')));
      if (!more && !cap_done_) {
        std::string want;
        auto offered = [this](const std::string& c) {
          return std::find(caps_offered_.begin(), caps_offered_.end(), c) != caps_offered_.end();
        };
        for (const auto& c : options_.caps)
          if (offered(c)) want += (want.empty() ? "" : " ") + c;
        if (wants_sasl() && offered("sasl")) want += want.empty() ? "sasl" : " sasl";
        if (want.empty()) {
          cap_done_ = true;
          replies.push_back("CAP END\r\n");
        } else {
          replies.push_back("CAP REQ :" + want + "\r\n");
        }
      }
    } else if (sub == "ACK") {
      bool sasl = false;
      for (auto& cap : split_words(line.params.back())) {
        caps_enabled_.push_back(cap);
        sasl = sasl || cap == "sasl";
      }
      if (sasl && wants_sasl()) {
        replies.push_back("AUTHENTICATE " + options_.sasl_mechanism + "\r\n");
      } else if (!cap_done_) {
        cap_done_ = true;
        replies.push_back("CAP END\r\n");
      }
    } else if (sub == "NAK" && !cap_done_) {
      cap_done_ = true;
      replies.push_back("CAP END\r\n");
    }
  } else if (cmd == "AUTHENTICATE" && line.param(0) == "+") {
    std::string creds = options_.sasl_user + '\0' + options_.sasl_user + '\0' + options_.sasl_password;
    // EXTERNAL: the server takes the identity from the client certificate.
    replies.push_back(options_.sasl_mechanism == "EXTERNAL" ? std::string("AUTHENTICATE +\r\n")
                                                           : "AUTHENTICATE " + base64(creds) + "\r\n");
  } else if (cmd == "903" || cmd == "904" || cmd == "905" || cmd == "906" || cmd == "902") {
    std::lock_guard lock(mutex_);
    sasl_ok_ = cmd == "903";
    if (!cap_done_) {
      cap_done_ = true;
      replies.push_back("CAP END\r\n");
    }
  }
  for (const auto& r : replies) write_now(r);

  std::lock_guard lock(mutex_);
  if (cmd == "001") registered_ = true;
  if (!registered_ && (cmd == "433" || cmd == "432" || cmd == "465"))
    error_ = line.raw;
  if (cmd == "ERROR") disconnect_reason_ = line.param(0);
  lines_.push_back(std::move(line));
  changed_.notify_all();
}

void IrcTestClient::join(std::string_view channel, Duration timeout) {
  send("JOIN " + std::string(channel));
  if (!wait_for_join(options_.nick, channel, timeout))
    throw std::runtime_error(options_.nick + " could not join " + std::string(channel));
}

bool IrcTestClient::wait_for_join(std::string_view nick, std::string_view channel, Duration timeout) {
  return wait_until(
      [&] {
        return std::any_of(lines_.begin(), lines_.end(), [&](const IrcLine& l) {
          return l.command == "JOIN" && iequal(l.nick, nick) && iequal(l.param(0), channel);
        });
      },
      timeout);
}

void IrcTestClient::quit(std::string_view message) {
  if (connected()) {
    send("QUIT :" + std::string(message));
    wait_for_disconnect(std::chrono::seconds(2));
  }
  close();
}

void IrcTestClient::close() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  char c = 0;
  [[maybe_unused]] auto n = ::write(io_->wake[1], &c, 1);
  if (thread_.joinable()) thread_.join();
  if (io_->fd >= 0) ::shutdown(io_->fd, SHUT_RDWR);
  std::lock_guard lock(mutex_);
  if (connected_ && disconnect_reason_.empty()) disconnect_reason_ = "closed by test";
  connected_ = false;
  changed_.notify_all();
}

namespace {
std::vector<Privmsg> by_command(const std::vector<IrcLine>& lines, std::string_view command) {
  std::vector<Privmsg> out;
  for (const auto& l : lines)
    if (l.command == command && l.params.size() >= 2)
      out.push_back({l.nick, l.params[0], l.params.back(), l.tags, l.received});
  return out;
}
}  // namespace

std::vector<Privmsg> IrcTestClient::messages() const {
  std::lock_guard lock(mutex_);
  return by_command(lines_, "PRIVMSG");
}

std::vector<Privmsg> IrcTestClient::notices() const {
  std::lock_guard lock(mutex_);
  return by_command(lines_, "NOTICE");
}

std::vector<IrcLine> IrcTestClient::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

void IrcTestClient::clear() {
  std::lock_guard lock(mutex_);
  lines_.clear();
}

std::vector<std::string> IrcTestClient::caps_offered() const {
  std::lock_guard lock(mutex_);
  return caps_offered_;
}

std::vector<std::string> IrcTestClient::caps_enabled() const {
  std::lock_guard lock(mutex_);
  return caps_enabled_;
}

std::optional<bool> IrcTestClient::sasl_succeeded() const {
  std::lock_guard lock(mutex_);
  return sasl_ok_;
}

std::vector<Privmsg> IrcTestClient::wait_for(const std::function<bool(const Privmsg&)>& pred,
                                             Duration timeout, size_t count) {
  std::vector<Privmsg> found;
  wait_until(
      [&] {
        found.clear();
        for (const auto& m : by_command(lines_, "PRIVMSG"))
          if (pred(m)) found.push_back(m);
        return found.size() >= count;
      },
      timeout);
  return found;
}

std::vector<Privmsg> IrcTestClient::wait_for(const std::regex& re, std::string_view from_nick,
                                             std::string_view target, Duration timeout,
                                             size_t count) {
  return wait_for(
      [&](const Privmsg& m) {
        return (from_nick.empty() || iequal(m.nick, from_nick)) &&
               (target.empty() || iequal(m.target, target)) && std::regex_search(m.text, re);
      },
      timeout, count);
}

std::vector<Privmsg> IrcTestClient::collect_privmsgs(std::string_view from_nick, size_t count,
                                                     Duration timeout) {
  auto found = wait_for([&](const Privmsg& m) { return iequal(m.nick, from_nick); }, timeout, count);
  if (found.size() > count) found.resize(count);
  return found;
}

std::optional<IrcLine> IrcTestClient::wait_for_line(const std::function<bool(const IrcLine&)>& pred,
                                                    Duration timeout) {
  std::optional<IrcLine> found;
  wait_until(
      [&] {
        for (const auto& l : lines_)
          if (pred(l)) {
            found = l;
            return true;
          }
        return false;
      },
      timeout);
  return found;
}

bool IrcTestClient::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}

bool IrcTestClient::wait_for_disconnect(Duration timeout) {
  return wait_until([this] { return !connected_; }, timeout);
}

std::string IrcTestClient::disconnect_reason() const {
  std::lock_guard lock(mutex_);
  return disconnect_reason_;
}

}  // namespace chatops::test
