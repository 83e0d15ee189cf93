#include <catch2/catch.hpp>

#include "bot/irc/message.hpp"
#include "bot/irc/sanitize.hpp"

using namespace chatops::irc;
using Lines = std::vector<std::string>;

TEST_CASE("to_lines splits on CR LF, LF and lone CR and drops empty lines", "[sanitize]") {
  CHECK(to_lines("a\r\nb\nc\rd") == Lines{"a", "b", "c", "d"});
  CHECK(to_lines("\r\n\n\ra\n\n\r\nb\r") == Lines{"a", "b"});
  CHECK(to_lines("") == Lines{});
  CHECK(to_lines("  ") == Lines{"  "});  // spaces are text, not emptiness
}

TEST_CASE("to_lines never lets a payload inject a second IRC command", "[sanitize]") {
  const auto lines = to_lines("deploy ok\r\nQUIT :bye\rPRIVMSG #x :pwned\nJOIN #y");
  REQUIRE(lines.size() == 4);
  for (const auto& line : lines) {
    CHECK(line.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    // Each line, used as the text, stays one parameter of one PRIVMSG.
    const auto parsed = parse(serialize({{}, "", "PRIVMSG", {"#ops", line}}));
    REQUIRE(parsed);
    CHECK(parsed->command == "PRIVMSG");
    CHECK(parsed->params == std::vector<std::string>{"#ops", line});
  }
}

TEST_CASE("to_lines drops C0 controls and DEL but keeps mIRC formatting, TAB becomes a space", "[sanitize]") {
  CHECK(to_lines(std::string_view("a\0b\x01" "ACTION x\x01\x07\x1B[31m\x7F" "c", 22)) == Lines{"abACTION x[31mc"});
  const std::string formatting = "\x02" "b\x03" "4,1c\x0F" "r\x16" "v\x1D" "i\x1F" "u\x1E" "s\x11" "m";
  CHECK(to_lines(formatting) == Lines{formatting});
  CHECK(to_lines("a\tb") == Lines{"a b"});
  CHECK(to_lines("\x01\x07") == Lines{});  // nothing left: dropped like an empty line
}

TEST_CASE("to_lines keeps valid UTF-8 and replaces ill-formed parts with U+FFFD", "[sanitize]") {
  CHECK(to_lines("é 日本 🚀") == Lines{"é 日本 🚀"});
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(to_lines("a\xFF" "b") == Lines{"a" + fffd + "b"});
  CHECK(to_lines("a\xC3") == Lines{"a" + fffd});                       // truncated at the end
  CHECK(to_lines("\xE6\x97" "x") == Lines{fffd + "x"});                // truncated: one U+FFFD
  CHECK(to_lines("\xC0\xAF") == Lines{fffd + fffd});                   // overlong '/'
  CHECK(to_lines("\xED\xA0\x80") == Lines{fffd + fffd + fffd});        // surrogate U+D800
  CHECK(to_lines("\xF4\x90\x80\x80") == Lines{fffd + fffd + fffd + fffd});  // above U+10FFFF
  CHECK(to_lines("\xF0\x9F\x9A") == Lines{fffd});                      // emoji missing a byte
  CHECK(to_lines("\x80") == Lines{fffd});                              // stray continuation
}

TEST_CASE("sanitize_param leaves one token that cannot become a trailing parameter", "[sanitize]") {
  CHECK(sanitize_param("#ops") == "#ops");
  CHECK(sanitize_param("#o ps\r\n") == "#ops");
  CHECK(sanitize_param(std::string_view("#o\0p\x01s", 6)) == "#ops");
  CHECK(sanitize_param("::#ops") == "#ops");
  CHECK(sanitize_param("#a,#b") == "#a,#b");
  CHECK(sanitize_param("#a:b") == "#a:b");
  CHECK(sanitize_param(" \r\n").empty());
}
