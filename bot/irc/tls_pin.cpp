#include "bot/irc/tls_pin.hpp"

#include <algorithm>

#include "core/crypto.hpp"
#include "core/tls/tls.hpp"

namespace chatops::irc {

bool matches_pin(std::string_view der, const std::vector<std::string>& pins) {
  if (pins.empty()) return false;
  // Pins are configured only with TLS, whose connection has loaded the module already.
  const auto module = tls::load_module();
  if (!module) return false;
  const auto public_key = (*module)->public_key_of(der);
  if (!public_key) return false;
  const auto cert_hash = crypto::to_hex(crypto::hash(crypto::Digest::Sha256, der));
  const auto key_hash = crypto::to_hex(crypto::hash(crypto::Digest::Sha256, *public_key));
  return std::ranges::any_of(pins, [&](const std::string& pin) {
    return crypto::constant_time_equal(pin, cert_hash) || crypto::constant_time_equal(pin, key_hash);
  });
}

}  // namespace chatops::irc
