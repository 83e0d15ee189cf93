#include "ingestion/journal/compression.hpp"

#include <catch2/catch.hpp>

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

TEST_CASE("a frame that is not one is refused, not trusted", "[journal]") {
  CHECK_FALSE(compression::decompress("not zstd"));
  auto frame = compression::compress(std::string(1000, 'a'));
  CHECK_FALSE(compression::decompress(frame.substr(0, frame.size() - 3)));  // truncated
  // A header claiming 2^40 bytes: refused before anything is allocated.
  const std::string huge{"\x28\xb5\x2f\xfd\xc0\x00\x00\x00\x00\x00\x01\x00\x00\x01\x00\x00", 16};
  CHECK_FALSE(compression::decompress(huge));
}
