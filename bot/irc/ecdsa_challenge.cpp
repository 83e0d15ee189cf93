#include "bot/irc/ecdsa_challenge.hpp"

#include <utility>

#include "core/tls/tls.hpp"

namespace chatops::irc {

// The key is OpenSSL's to read and use: the openssl module's.
Result<void> check_ecdsa_key(const std::string& pem_file) {
  auto module = tls::load_module();
  if (!module) return std::unexpected(module.error());
  return (*module)->check_ecdsa_key(pem_file);
}

EcdsaChallengeExchange::EcdsaChallengeExchange(std::string username, std::string key_file)
    : username_(std::move(username)), key_file_(std::move(key_file)) {}

Result<std::string> EcdsaChallengeExchange::respond(std::string_view challenge) {
  ++step_;
  if (step_ == 1 && challenge.empty()) return username_;
  if (step_ != 2 || challenge.size() != kChallengeBytes)
    return fail("ECDSA-NIST256P-CHALLENGE: the server sent an unexpected challenge");
  auto module = tls::load_module();
  if (!module) return std::unexpected(module.error());
  // No digest: the challenge itself is signed, as Atheme verifies it (ECDSA_verify on the bytes).
  auto signature = (*module)->sign_ecdsa(key_file_, challenge);
  if (!signature) return fail("ECDSA-NIST256P-CHALLENGE: " + signature.error().message);
  return signature;
}

}  // namespace chatops::irc
