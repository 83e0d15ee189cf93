#include "core/crypto.hpp"

#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/pbkdf2.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#undef pbkdf2  // Nettle's generic PBKDF2 (unused here) is a macro that would rename ours
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>

// Nettle rather than OpenSSL for the hashes: OpenSSL 3 initialises its providers at the first
// digest or MAC (about 2 MiB of its pages touched, for a bot whose only TLS may be none) and
// fetches the algorithm again at every one-shot HMAC() call (1.2 us against Nettle's 0.23 us for a
// short message; bench/README.md). Base64 too: OpenSSL is loaded only with TLS (core/tls/tls.hpp).
namespace chatops::crypto {

namespace {

const std::uint8_t* bytes_of(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }
std::uint8_t* bytes_of(std::string& s) { return reinterpret_cast<std::uint8_t*>(s.data()); }

// Nettle's per-algorithm functions, named once per digest.
template <class Ctx, void (*init)(Ctx*), void (*update)(Ctx*, std::size_t, const std::uint8_t*),
          void (*finish)(Ctx*, std::size_t, std::uint8_t*), std::size_t size>
std::string hash_with(std::string_view data) {
  Ctx ctx;
  init(&ctx);
  update(&ctx, data.size(), bytes_of(data));
  std::string out(size, '\0');
  finish(&ctx, size, bytes_of(out));
  return out;
}

template <class Ctx, void (*set_key)(Ctx*, std::size_t, const std::uint8_t*),
          void (*update)(Ctx*, std::size_t, const std::uint8_t*), void (*finish)(Ctx*, std::size_t, std::uint8_t*),
          std::size_t size>
std::string hmac_with(std::string_view key, std::string_view message) {
  Ctx ctx;
  set_key(&ctx, key.size(), bytes_of(key));
  update(&ctx, message.size(), bytes_of(message));
  std::string out(size, '\0');
  finish(&ctx, size, bytes_of(out));
  return out;
}

}  // namespace

std::size_t digest_size(Digest digest) {
  switch (digest) {
    case Digest::Sha1: return SHA1_DIGEST_SIZE;
    case Digest::Sha256: return SHA256_DIGEST_SIZE;
    case Digest::Sha512: return SHA512_DIGEST_SIZE;
  }
  return SHA256_DIGEST_SIZE;
}

std::string hmac(Digest digest, std::string_view key, std::string_view message) {
  switch (digest) {
    case Digest::Sha1:
      return hmac_with<hmac_sha1_ctx, hmac_sha1_set_key, hmac_sha1_update, hmac_sha1_digest, SHA1_DIGEST_SIZE>(
          key, message);
    case Digest::Sha512:
      return hmac_with<hmac_sha512_ctx, hmac_sha512_set_key, hmac_sha512_update, hmac_sha512_digest,
                       SHA512_DIGEST_SIZE>(key, message);
    case Digest::Sha256: break;
  }
  return hmac_with<hmac_sha256_ctx, hmac_sha256_set_key, hmac_sha256_update, hmac_sha256_digest, SHA256_DIGEST_SIZE>(
      key, message);
}

std::string hash(Digest digest, std::string_view data) {
  switch (digest) {
    case Digest::Sha1:
      return hash_with<sha1_ctx, sha1_init, sha1_update, sha1_digest, SHA1_DIGEST_SIZE>(data);
    case Digest::Sha512:
      return hash_with<sha512_ctx, sha512_init, sha512_update, sha512_digest, SHA512_DIGEST_SIZE>(data);
    case Digest::Sha256: break;
  }
  return hash_with<sha256_ctx, sha256_init, sha256_update, sha256_digest, SHA256_DIGEST_SIZE>(data);
}

std::string pbkdf2(Digest digest, std::string_view password, std::string_view salt, unsigned iterations,
                   std::size_t length) {
  if (iterations == 0) throw std::invalid_argument("pbkdf2: zero iterations");
  std::string out(length, '\0');
  const auto run = digest == Digest::Sha1     ? pbkdf2_hmac_sha1
                   : digest == Digest::Sha512 ? pbkdf2_hmac_sha512
                                              : pbkdf2_hmac_sha256;
  run(password.size(), bytes_of(password), iterations, salt.size(), bytes_of(salt), length, bytes_of(out));
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const auto r = getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw std::runtime_error("getrandom failed: no randomness");
    got += static_cast<std::size_t>(r);
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

std::string to_base64(std::string_view bytes) {
  std::string out(BASE64_ENCODE_RAW_LENGTH(bytes.size()), '\0');
  base64_encode_raw(out.data(), bytes.size(), reinterpret_cast<const std::uint8_t*>(bytes.data()));
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  // Nettle's decoder skips white space: only the alphabet, then at most two '=', are taken here.
  if (text.size() % 4 != 0) return std::nullopt;
  const auto data = text.substr(0, text.find_last_not_of('=') + 1);
  if (text.size() - data.size() > 2) return std::nullopt;
  const bool alphabet = std::ranges::all_of(data, [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  });
  if (!alphabet) return std::nullopt;
  std::string out(BASE64_DECODE_LENGTH(text.size()), '\0');
  std::size_t length = out.size();
  base64_decode_ctx ctx;
  base64_decode_init(&ctx);
  if (base64_decode_update(&ctx, &length, reinterpret_cast<std::uint8_t*>(out.data()), text.size(), text.data()) != 1 ||
      base64_decode_final(&ctx) != 1)
    return std::nullopt;
  out.resize(length);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return memeql_sec(a.data(), b.data(), a.size()) != 0;
}

}  // namespace chatops::crypto
