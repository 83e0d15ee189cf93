#include "bot/irc/ecdsa_challenge.hpp"

#include <memory>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace chatops::irc {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Result<Key> load_key(const std::string& pem_file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(pem_file.c_str(), "r"));
  if (!bio) return fail("cannot read the ECDSA key file " + pem_file);
  // Skips the "EC PARAMETERS" block that atheme-ecdsakeygen and openssl ecparam -genkey write first.
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail(pem_file + " holds no PEM private key (or it is encrypted)");
  char group[64] = {};
  std::size_t group_len = 0;
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1 ||
      std::string_view(group, group_len) != "prime256v1")
    return fail(pem_file + " is not a NIST P-256 (prime256v1) EC key");
  return key;
}

}  // namespace

Result<void> check_ecdsa_key(const std::string& pem_file) {
  auto key = load_key(pem_file);
  if (!key) return std::unexpected(key.error());
  return {};
}

EcdsaChallengeExchange::EcdsaChallengeExchange(std::string username, std::string key_file)
    : username_(std::move(username)), key_file_(std::move(key_file)) {}

Result<std::string> EcdsaChallengeExchange::respond(std::string_view challenge) {
  ++step_;
  if (step_ == 1 && challenge.empty()) return username_;
  if (step_ != 2 || challenge.size() != kChallengeBytes)
    return fail("ECDSA-NIST256P-CHALLENGE: the server sent an unexpected challenge");
  auto key = load_key(key_file_);
  if (!key) return std::unexpected(key.error());
  // No digest: the challenge itself is signed, as Atheme verifies it (ECDSA_verify on the bytes).
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(key->get(), nullptr));
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(challenge.data());
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &length, data, challenge.size()) != 1)
    return fail("ECDSA-NIST256P-CHALLENGE: cannot sign with " + key_file_);
  std::string signature(length, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                    challenge.size()) != 1)
    return fail("ECDSA-NIST256P-CHALLENGE: cannot sign with " + key_file_);
  signature.resize(length);
  return signature;
}

}  // namespace chatops::irc
