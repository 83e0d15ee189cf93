#pragma once
// SASL mechanisms as pure state machines, and the AUTHENTICATE framing (IRCv3 SASL 3.1).
// A mechanism is fed the server's decoded challenges and answers with the decoded response, or
// with an error that aborts the exchange (AUTHENTICATE *). Nothing here touches a socket.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/irc/client_config.hpp"
#include "bot/irc/message.hpp"
#include "core/error.hpp"

namespace chatops::irc {

std::string_view mechanism_name(SaslMechanism m);  // "PLAIN", "SCRAM-SHA-256", …
std::optional<SaslMechanism> mechanism_from_name(std::string_view name);

class SaslExchange {
 public:
  virtual ~SaslExchange() = default;
  virtual SaslMechanism mechanism() const = 0;
  // The response to the server's next challenge ("" is the empty one, sent as "+").
  virtual Result<std::string> respond(std::string_view challenge) = 0;
  // Whether the server's success (903) may be believed: SCRAM only once the server has proven
  // that it knows the password; the others at any time.
  virtual bool complete() const { return true; }
  // Whether the failure of this exchange says the server cannot be trusted (then no other
  // mechanism, and no NickServ fallback, is tried).
  virtual bool server_refused() const { return false; }
};

// A fresh exchange for one attempt (a SCRAM exchange gets a random nonce).
std::unique_ptr<SaslExchange> make_exchange(SaslMechanism mechanism, const SaslConfig& config);

// PLAIN: "authzid NUL authcid NUL password" with authzid = authcid (as Atheme, Solanum and
// irctest expect).
class PlainExchange final : public SaslExchange {
 public:
  PlainExchange(std::string username, std::string password);
  SaslMechanism mechanism() const override { return SaslMechanism::Plain; }
  Result<std::string> respond(std::string_view challenge) override;

 private:
  std::string username_, password_;
  bool sent_ = false;
};

// EXTERNAL: an empty response; the server takes the identity from the TLS client certificate.
class ExternalExchange final : public SaslExchange {
 public:
  SaslMechanism mechanism() const override { return SaslMechanism::External; }
  Result<std::string> respond(std::string_view challenge) override;

 private:
  bool sent_ = false;
};

// AUTHENTICATE lines for a response: base64 in 400-byte chunks, then "+" when the response is
// empty or its encoding an exact multiple of 400 bytes.
std::vector<Message> authenticate_lines(std::string_view payload);

// Collects one challenge from the server's AUTHENTICATE lines: a 400-byte chunk means more
// follows, "+" is empty. Bounded: a challenge longer than kMaxChallenge bytes is invalid.
class AuthenticateReader {
 public:
  static constexpr std::size_t kMaxChallenge = 8192;  // encoded; SCRAM's server-first is < 200
  enum class Status { More, Done, Invalid };

  Status feed(std::string_view param);
  // The decoded challenge after Done; the reader is then empty again.
  std::string take();

 private:
  std::string encoded_;
  std::string decoded_;
};

}  // namespace chatops::irc
