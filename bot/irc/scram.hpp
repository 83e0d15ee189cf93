#pragma once
// SCRAM-SHA-256 client (RFC 5802, RFC 7677) without channel binding ("n,,"): client-first,
// then the proof for the server-first message, then the server's signature is verified. A
// server that cannot prove it knows the password (a wrong or missing "v=") is refused.
#include <string>
#include <string_view>

#include "bot/irc/sasl.hpp"

namespace chatops::irc {

class ScramSha256Exchange final : public SaslExchange {
 public:
  // Iteration counts above this are refused: PBKDF2 runs on the io thread, and a hostile server
  // could otherwise make the bot spin for minutes.
  static constexpr unsigned kMaxIterations = 600'000;

  // `client_nonce`: printable ASCII without ','. Credentials must be printable ASCII, for which
  // SASLprep is the identity (checked by the configuration).
  ScramSha256Exchange(std::string username, std::string password, std::string client_nonce);

  SaslMechanism mechanism() const override { return SaslMechanism::ScramSha256; }
  Result<std::string> respond(std::string_view challenge) override;
  bool complete() const override { return step_ == Step::Verified; }
  bool server_refused() const override { return refused_; }

 private:
  enum class Step { Start, SentFirst, SentFinal, Verified };
  Result<std::string> client_final(std::string_view server_first);
  Result<std::string> verify(std::string_view server_final);
  Result<std::string> refuse(std::string why);

  std::string username_, password_, client_nonce_;
  std::string client_first_bare_;
  std::string server_signature_;
  Step step_ = Step::Start;
  bool refused_ = false;
};

}  // namespace chatops::irc
