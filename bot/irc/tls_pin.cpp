#include "bot/irc/tls_pin.hpp"

#include <algorithm>
#include <memory>

#include <openssl/x509.h>

#include "core/crypto.hpp"

namespace chatops::irc {

bool matches_pin(std::string_view der, const std::vector<std::string>& pins) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), X509_free);
  if (!cert) return false;
  unsigned char* spki = nullptr;
  const int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &spki);
  if (spki_len <= 0) return false;
  const std::string spki_der(reinterpret_cast<const char*>(spki), static_cast<std::size_t>(spki_len));
  OPENSSL_free(spki);
  const auto cert_hash = crypto::to_hex(crypto::hash(crypto::Digest::Sha256, der));
  const auto key_hash = crypto::to_hex(crypto::hash(crypto::Digest::Sha256, spki_der));
  return std::ranges::any_of(pins, [&](const std::string& pin) {
    return crypto::constant_time_equal(pin, cert_hash) || crypto::constant_time_equal(pin, key_hash);
  });
}

}  // namespace chatops::irc
