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
