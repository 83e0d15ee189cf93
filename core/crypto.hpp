#pragma once
// Hashes, MACs and encodings for webhook signatures and SASL (Nettle underneath; see crypto.cpp).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chatops::crypto {

enum class Digest { Sha1, Sha256, Sha512 };

// Bytes in a digest (and in an HMAC made with it): 20, 32, 64.
std::size_t digest_size(Digest digest);

// Raw (binary) HMAC of `message` under `key`.
std::string hmac(Digest digest, std::string_view key, std::string_view message);
// Raw (binary) hash of `data`.
std::string hash(Digest digest, std::string_view data);
// PBKDF2 with HMAC-`digest` (RFC 8018), `length` raw bytes; SCRAM's Hi() is this with the
// digest's own length.
std::string pbkdf2(Digest digest, std::string_view password, std::string_view salt, unsigned iterations,
                   std::size_t length);
// `n` bytes from the kernel's CSPRNG (getrandom); std::runtime_error if it cannot supply them.
std::string random_bytes(std::size_t n);

std::string to_hex(std::string_view bytes);                      // lowercase
std::optional<std::string> from_hex(std::string_view hex);       // case-insensitive; nullopt if malformed
std::string to_base64(std::string_view bytes);                   // standard alphabet, padded
std::optional<std::string> from_base64(std::string_view text);   // nullopt if malformed

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace chatops::crypto
