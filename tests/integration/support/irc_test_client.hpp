// A small IRC client for tests: one I/O thread per client (plain TCP or TLS without
// verification), registration with CAP negotiation (and optional SASL PLAIN), automatic PONG,
// and a thread-safe record of everything received, with blocking waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace chatops::test {

// One parsed line as received.
struct IrcLine {
  std::string raw{};                   // without CR LF
  std::string tags{};                  // "@a=b;c" without '@', "" if none
  std::string prefix{};                // "nick!user@host" or server name, without ':'
  std::string nick{};                  // prefix up to '!'
  std::string command{};               // upper-case, e.g. "PRIVMSG", "001"
  std::vector<std::string> params{};   // trailing parameter included
  std::chrono::steady_clock::time_point received{};

  std::string param(size_t i) const { return i < params.size() ? params[i] : std::string(); }
};

// A PRIVMSG (or NOTICE in notices()) as received: sender nick, target, text.
struct Privmsg {
  std::string nick{};
  std::string target{};
  std::string text{};
  std::string tags{};
  std::chrono::steady_clock::time_point received{};
};

IrcLine parse_irc_line(std::string_view raw);

struct IrcClientOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  bool tls = false;                  // TLS without certificate verification
  std::string client_cert{};           // optional PEM with cert+key (CertFP / SASL EXTERNAL)
  std::string nick = "tester";
  std::string user = "tester";
  std::string realname = "chatops test client";
  std::string password{};              // PASS, if any
  std::vector<std::string> caps{};     // capabilities to request when offered (e.g. "echo-message")
  // Send CAP LS (filling caps_offered()) even with no caps or SASL to request; false registers
  // like a pre-IRCv3 client. (InspIRCd completes any registration on its 1 s timer anyway.)
  bool cap_ls = true;
  std::string sasl_mechanism = "PLAIN";  // or "EXTERNAL" (needs tls and client_cert)
  std::string sasl_user{};             // SASL PLAIN when set and "sasl" is offered
  std::string sasl_password{};
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  // connect + registration
};

class IrcTestClient {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::milliseconds;

  // Connects and registers; returns once 001 arrived. Throws std::runtime_error on failure
  // (connection refused, nick in use, timeout).
  explicit IrcTestClient(IrcClientOptions options);
  ~IrcTestClient();  // sends QUIT if still connected, joins the I/O thread
  IrcTestClient(const IrcTestClient&) = delete;
  IrcTestClient& operator=(const IrcTestClient&) = delete;

  const std::string& nick() const { return options_.nick; }

  void send(std::string_view line);                  // raw line, CR LF appended
  void privmsg(std::string_view target, std::string_view text);
  // JOIN and wait until the server confirms our own JOIN (throws on timeout).
  void join(std::string_view channel, Duration timeout = std::chrono::seconds(5));
  // Waits until <nick> is seen joining <channel> (also counts joins seen before the call).
  bool wait_for_join(std::string_view nick, std::string_view channel,
                     Duration timeout = std::chrono::seconds(30));
  void quit(std::string_view message = "bye");       // QUIT and wait for the close
  void close();                                      // drop the TCP connection without QUIT

  // Snapshots, in arrival order.
  std::vector<Privmsg> messages() const;             // every PRIVMSG received
  std::vector<Privmsg> notices() const;              // every NOTICE received
  std::vector<IrcLine> lines() const;                // every line received
  void clear();                                      // forget everything received so far
  std::vector<std::string> caps_offered() const;     // from CAP LS
  std::vector<std::string> caps_enabled() const;     // ACKed
  std::optional<bool> sasl_succeeded() const;        // nullopt if SASL was not attempted

  // Blocks until at least `count` received PRIVMSGs (from the start of the record) satisfy the
  // predicate, or the timeout; returns all the matching ones (fewer than count on timeout).
  std::vector<Privmsg> wait_for(const std::function<bool(const Privmsg&)>& pred,
                                Duration timeout = std::chrono::seconds(30), size_t count = 1);
  // PRIVMSGs whose text matches `re` (regex_search), from `from_nick` ("" = anyone) to
  // `target` ("" = anywhere; a channel, or our nick for private messages).
  std::vector<Privmsg> wait_for(const std::regex& re, std::string_view from_nick = "",
                                std::string_view target = "",
                                Duration timeout = std::chrono::seconds(30), size_t count = 1);
  // The first `count` PRIVMSGs from `from_nick` (waits up to timeout; fewer on timeout).
  std::vector<Privmsg> collect_privmsgs(std::string_view from_nick, size_t count,
                                        Duration timeout = std::chrono::seconds(30));
  // Any received line (e.g. a NOTICE, KICK or numeric) satisfying the predicate.
  std::optional<IrcLine> wait_for_line(const std::function<bool(const IrcLine&)>& pred,
                                       Duration timeout = std::chrono::seconds(30));

  bool connected() const;
  bool wait_for_disconnect(Duration timeout = std::chrono::seconds(30));
  // Why the connection ended: the server's ERROR text, or "eof" / an error message.
  std::string disconnect_reason() const;

 private:
  struct Io;
  void run();
  void handle(IrcLine line);
  void write_now(const std::string& data);
  bool wants_sasl() const { return !options_.sasl_user.empty() || options_.sasl_mechanism == "EXTERNAL"; }
  template <class Pred>
  bool wait_until(Pred pred, Duration timeout);

  IrcClientOptions options_;
  std::unique_ptr<Io> io_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> outbox_;
  std::vector<IrcLine> lines_;
  std::vector<std::string> caps_offered_;
  std::vector<std::string> caps_enabled_;
  std::optional<bool> sasl_ok_;
  bool registered_ = false;
  bool cap_done_ = false;
  bool connected_ = false;
  bool stopping_ = false;
  std::string error_;
  std::string disconnect_reason_;
  std::thread thread_;
};

}  // namespace chatops::test
