// RFC 6587 framing out of TCP bytes, fed in every split: octet-counting and LF framing mixed,
// and hostile streams (oversized frames, endless lines, lengths without end) staying bounded.
#include <catch2/catch.hpp>

#include "ingestion/log/syslog_framing.hpp"

using namespace chatops::ingestion::log;

namespace {

std::vector<Frame> framing_feed_in_pieces(FrameDecoder& d, std::string_view bytes, std::size_t piece) {
  std::vector<Frame> out;
  for (std::size_t at = 0; at < bytes.size(); at += piece) REQUIRE(d.feed(bytes.substr(at, piece), out));
  return out;
}

}  // namespace

TEST_CASE("framing: octet-counted and LF-framed messages, in any split", "[log][syslog][framing]") {
  const std::string stream =
      "25 <13>1 - host app - - - hi"  // 25 octets, an LF inside a counted frame would be kept
      "<14>Oct 11 22:14:15 web su: plain\r\n"
      "\n"
      "12 <13>line\nend"
      "<15>last\n";
  for (std::size_t piece : {1, 2, 3, 7, 1000}) {
    FrameDecoder d(1024);
    const auto frames = framing_feed_in_pieces(d, stream, piece);
    INFO("pieces of " << piece);
    REQUIRE(frames.size() == 4);
    CHECK(frames[0].text == "<13>1 - host app - - - hi");
    CHECK(frames[1].text == "<14>Oct 11 22:14:15 web su: plain");
    CHECK(frames[2].text == "<13>line\nend");
    CHECK(frames[3].text == "<15>last");
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("framing: a NUL trailer ends nothing but is dropped, a last line without LF is said at the end",
          "[log][syslog][framing]") {
  FrameDecoder d(1024);
  std::vector<Frame> out;
  REQUIRE(d.feed(std::string_view("<13>a\0\n<13>b", 12), out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "<13>a");
  d.finish(out);
  REQUIRE(out.size() == 2);
  CHECK(out[1].text == "<13>b");
}

TEST_CASE("framing hostile: an oversized counted frame is cut and its rest skipped, the next one is whole",
          "[log][syslog][framing][hostile]") {
  FrameDecoder d(16);
  const std::string big(100000, 'x');
  const auto stream = std::to_string(big.size()) + " " + big + "5 <13>z";
  const auto frames = framing_feed_in_pieces(d, stream, 4096);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].text == std::string(16, 'x'));
  CHECK(frames[0].cut);
  CHECK(frames[1].text == "<13>z");
  CHECK_FALSE(frames[1].cut);
  CHECK(d.cut() == 1);
}

TEST_CASE("framing hostile: an endless line is held only up to the cap", "[log][syslog][framing][hostile]") {
  FrameDecoder d(1000);
  std::vector<Frame> out;
  const std::string chunk(65536, 'y');
  for (int i = 0; i < 200; ++i) {  // 13 MB without a newline
    REQUIRE(d.feed(chunk, out));
    REQUIRE(d.buffered() <= 1000);
  }
  CHECK(out.empty());
  REQUIRE(d.feed("\n<13>next\n", out));
  REQUIRE(out.size() == 2);
  CHECK(out[0].cut);
  CHECK(out[0].text.size() == 1000);
  CHECK(out[1].text == "<13>next");
}

TEST_CASE("framing hostile: lengths that never end, or without their space, are errors", "[log][syslog][framing][hostile]") {
  for (const std::string bad : {"1234567890123 <13>x", "12<13>x", "0 <13>x"}) {
    INFO(bad);
    FrameDecoder d(1024);
    std::vector<Frame> out;
    CHECK_FALSE(d.feed(bad, out));
    CHECK_FALSE(d.error().empty());
    CHECK(out.empty());
  }
}
