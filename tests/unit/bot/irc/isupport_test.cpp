#include <catch2/catch.hpp>

#include "bot/irc/isupport.hpp"

using namespace chatops::irc;
using chatops::text::CaseMapping;

namespace {
ISupport from(std::string_view line) {
  ISupport s;
  const auto m = parse(line);
  REQUIRE(m);
  s.apply(*m);
  return s;
}
}  // namespace

TEST_CASE("ISupport has the RFC defaults before the server says anything", "[isupport]") {
  const ISupport s;
  CHECK(s.casemapping() == CaseMapping::Rfc1459);
  CHECK(s.chantypes() == "#&");
  CHECK(s.prefix_modes() == "ov");
  CHECK(s.prefix_symbols() == "@+");
  CHECK(s.network().empty());
  CHECK_FALSE(s.nicklen());
  CHECK_FALSE(s.linelen());
  CHECK(s.is_channel("#ops"));
  CHECK(s.is_channel("&local"));
  CHECK_FALSE(s.is_channel("alice"));
  CHECK_FALSE(s.is_channel(""));
}

TEST_CASE("ISupport reads a real 005 line", "[isupport]") {
  const auto s = from(
      ":irc.example.net 005 opsbot CASEMAPPING=ascii CHANTYPES=#! PREFIX=(qaohv)~&@%+ NETWORK=Example\\x20Net "
      "NICKLEN=30 CHANNELLEN=64 LINELEN=2048 EXCEPTS :are supported by this server");
  CHECK(s.casemapping() == CaseMapping::Ascii);
  CHECK(s.chantypes() == "#!");
  CHECK(s.prefix_modes() == "qaohv");
  CHECK(s.prefix_symbols() == "~&@%+");
  CHECK(s.network() == "Example Net");
  CHECK(s.nicklen() == 30u);
  CHECK(s.channellen() == 64u);
  CHECK(s.linelen() == 2048u);
  CHECK(s.get("EXCEPTS") == "");
  CHECK_FALSE(s.get("INVEX"));
  CHECK(s.is_channel("!abcdechan"));
  CHECK_FALSE(s.is_channel("&local"));
  // The closing text is not a token.
  CHECK_FALSE(s.get("are supported by this server"));
}

TEST_CASE("ISupport accumulates across 005 lines and -KEY restores the default", "[isupport]") {
  ISupport s;
  s.apply_token("CASEMAPPING=strict-rfc1459");
  s.apply_token("PREFIX=(ov)@+");
  s.apply_token("NICKLEN=9");
  CHECK(s.casemapping() == CaseMapping::StrictRfc1459);
  s.apply_token("NICKLEN=16");
  CHECK(s.nicklen() == 16u);
  s.apply_token("-CASEMAPPING");
  s.apply_token("-NICKLEN");
  s.apply_token("-UNKNOWN");
  CHECK(s.casemapping() == CaseMapping::Rfc1459);
  CHECK_FALSE(s.nicklen());
}

TEST_CASE("ISupport copes with odd values", "[isupport]") {
  ISupport s;
  s.apply_token("CASEMAPPING=rfc7613");  // unknown: servers then behave like rfc1459
  CHECK(s.casemapping() == CaseMapping::Rfc1459);
  s.apply_token("PREFIX=");  // no channel prefixes at all
  CHECK(s.prefix_modes().empty());
  CHECK(s.prefix_symbols().empty());
  s.apply_token("PREFIX=(ov)@");  // malformed: keep the defaults
  CHECK(s.prefix_modes() == "ov");
  CHECK(s.prefix_symbols() == "@+");
  s.apply_token("NICKLEN=abc");
  CHECK_FALSE(s.nicklen());
  s.apply_token("NETWORK=a\\x5Cb\\xZZ\\x2");  // \x5C is a backslash; bad escapes stay literal
  CHECK(s.network() == "a\\b\\xZZ\\x2");
  s.apply_token("CHANTYPES=");  // a server without channels
  CHECK_FALSE(s.is_channel("#ops"));
}

TEST_CASE("ISupport ignores a 005 without tokens (the old RPL_BOUNCE)", "[isupport]") {
  const auto s = from(":irc.example.net 005 opsbot :Try server irc2.example.net, port 6667");
  CHECK(s.chantypes() == "#&");
  CHECK_FALSE(s.get("Try"));
}
