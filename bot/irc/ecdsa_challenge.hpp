#pragma once
// ECDSA-NIST256P-CHALLENGE (Atheme's mechanism): the client names the account, the server sends
// a 32-byte challenge, the client answers with the DER ECDSA signature of those raw bytes, made
// with the P-256 private key whose public key the account holds (NickServ SET PUBKEY).
#include <string>
#include <string_view>

#include "bot/irc/sasl.hpp"

namespace chatops::irc {

// Whether `pem_file` holds a P-256 private key ("EC PARAMETERS" blocks before it are fine).
// The error names the file, never its content.
Result<void> check_ecdsa_key(const std::string& pem_file);

class EcdsaChallengeExchange final : public SaslExchange {
 public:
  static constexpr std::size_t kChallengeBytes = 32;

  // The key file is read when the challenge arrives, so that a replaced key is picked up at the
  // next connection.
  EcdsaChallengeExchange(std::string username, std::string key_file);

  SaslMechanism mechanism() const override { return SaslMechanism::EcdsaNist256pChallenge; }
  Result<std::string> respond(std::string_view challenge) override;

 private:
  std::string username_, key_file_;
  int step_ = 0;
};

}  // namespace chatops::irc
