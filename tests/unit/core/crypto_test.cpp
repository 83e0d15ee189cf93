#include <catch2/catch.hpp>

#include "core/crypto.hpp"

using namespace chatops::crypto;

TEST_CASE("HMAC-SHA256 matches GitHub's published test vector", "[crypto]") {
  // shared/fixtures/webhooks/github/SIGNATURE-VECTORS.md, vector 1 (GitHub Docs).
  auto mac = hmac(Digest::Sha256, "It's a Secret to Everybody", "Hello, World!");
  REQUIRE(to_hex(mac) == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST_CASE("hex and base64 round-trip and reject malformed input", "[crypto]") {
  std::string bytes("\x00\xff\x10 abc", 7);
  REQUIRE(from_hex(to_hex(bytes)) == bytes);
  REQUIRE(from_base64(to_base64(bytes)) == bytes);
  REQUIRE(to_base64("ab") == "YWI=");
  REQUIRE(from_base64("YWI=") == "ab");
  REQUIRE(from_base64("YQ==") == "a");
  REQUIRE_FALSE(from_hex("abc").has_value());
  REQUIRE_FALSE(from_hex("zz").has_value());
  REQUIRE_FALSE(from_base64("abc").has_value());
  REQUIRE_FALSE(from_base64("a*c=").has_value());
}

TEST_CASE("constant_time_equal compares whole strings", "[crypto]") {
  REQUIRE(constant_time_equal("secret", "secret"));
  REQUIRE_FALSE(constant_time_equal("secret", "secreT"));
  REQUIRE_FALSE(constant_time_equal("secret", "secret2"));
  REQUIRE(constant_time_equal("", ""));
}

TEST_CASE("HMACs and hashes match the RFCs' test vectors for every digest", "[crypto]") {
  // RFC 2202 and RFC 4231, test case 2.
  CHECK(to_hex(hmac(Digest::Sha1, "Jefe", "what do ya want for nothing?")) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  CHECK(to_hex(hmac(Digest::Sha256, "Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(to_hex(hmac(Digest::Sha512, "Jefe", "what do ya want for nothing?")) ==
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
        "caeab1a34d4a6b4b636e070a38bce737");
  // FIPS 180-2's "abc".
  CHECK(to_hex(hash(Digest::Sha1, "abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(to_hex(hash(Digest::Sha256, "abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(hash(Digest::Sha512, "abc")) ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
        "454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(digest_size(Digest::Sha1) == 20);
  CHECK(digest_size(Digest::Sha256) == 32);
  CHECK(digest_size(Digest::Sha512) == 64);
}

TEST_CASE("PBKDF2 matches the published test vectors", "[crypto]") {
  // RFC 6070 (HMAC-SHA1); the same inputs with HMAC-SHA256 as commonly published.
  CHECK(to_hex(pbkdf2(Digest::Sha1, "password", "salt", 2, 20)) == "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  CHECK(to_hex(pbkdf2(Digest::Sha256, "password", "salt", 1, 32)) ==
        "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  CHECK(to_hex(pbkdf2(Digest::Sha256, "password", "salt", 2, 32)) ==
        "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
}

TEST_CASE("random_bytes gives as many bytes as asked, different each time", "[crypto]") {
  const auto a = random_bytes(32), b = random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(b.size() == 32);
  CHECK(a != b);
  CHECK(random_bytes(0).empty());
}
