#include "ingestion/journal/compression.hpp"

#include <catch2/catch.hpp>
#include <zstd.h>

using namespace chatops::ingestion;

TEST_CASE("payloads round-trip through compression, and JSON shrinks", "[journal]") {
  std::string text;
  for (int i = 0; i < 100; ++i) text += R"({"id": )" + std::to_string(i) + R"(, "url": "https://github.com/octo/hello"},)";
  const auto frame = compression::compress(text);
  CHECK(frame.size() < text.size() / 4);
  CHECK(compression::decompress(frame) == text);
  CHECK(compression::compress("").empty());
  CHECK(compression::decompress("") == "");
}

TEST_CASE("payloads of every small size round-trip", "[journal]") {
  // A string's capacity may exceed what was asked (28 bytes get 30): sizes around it.
  for (std::size_t n = 1; n <= 300; ++n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += static_cast<char>('a' + (i * 7 + n) % 26);
    INFO("size " << n);
    CHECK(compression::decompress(compression::compress(text)) == text);
  }
}

TEST_CASE("payloads of several LZ4 blocks round-trip, one after another on the same thread", "[journal]") {
  // Blocks are 64 KiB: a payload of 200 KiB spans four; the thread's context is reused between them.
  std::string large;
  for (int i = 0; large.size() < 200 * 1024; ++i) large += R"({"seq": )" + std::to_string(i * 7919 % 100003) + "},";
  const std::string small = R"({"after": "the large one"})";
  const auto large_frame = compression::compress(large);
  const auto small_frame = compression::compress(small);
  CHECK(large_frame.size() < large.size() / 2);
  CHECK(compression::decompress(large_frame) == large);
  CHECK(compression::decompress(small_frame) == small);
}

TEST_CASE("payloads journaled by schema 2 (zstd frames) still read", "[journal]") {
  // As schema 2 wrote them: ZSTD_compressCCtx at level 1.
  const std::string text = R"({"repository": {"full_name": "octo/hello"}, "ref": "refs/heads/main"})";
  std::string frame(ZSTD_compressBound(text.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), text.data(), text.size(), 1));
  CHECK(compression::decompress(frame) == text);
}

TEST_CASE("a frame that is not one is refused, not trusted", "[journal]") {
  CHECK_FALSE(compression::decompress("not a frame"));
  auto frame = compression::compress(std::string(1000, 'a'));
  CHECK_FALSE(compression::decompress(frame.substr(0, frame.size() - 3)));  // truncated
  // Headers claiming 2^40 bytes: refused before anything is allocated.
  const std::string huge_zstd{"\x28\xb5\x2f\xfd\xc0\x00\x00\x00\x00\x00\x01\x00\x00\x01\x00\x00", 16};
  CHECK_FALSE(compression::decompress(huge_zstd));
  auto huge_lz4 = compression::compress("x");
  huge_lz4[4] = static_cast<char>(huge_lz4[4] | 0x08);  // content size present (it is already)
  huge_lz4.replace(6, 8, std::string("\x00\x00\x00\x00\x00\x01\x00\x00", 8));  // 2^40
  CHECK_FALSE(compression::decompress(huge_lz4));
}
