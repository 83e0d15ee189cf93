#include "bot/irc/ctcp.hpp"

#include <catch2/catch.hpp>

using namespace chatops::irc;
using namespace std::chrono_literals;

namespace {

Message privmsg(std::string text, std::string to = "opsbot") {
  return Message{{}, "alice!a@host", "PRIVMSG", {std::move(to), std::move(text)}};
}

const auto wall = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));  // 14 Nov 2023 22:13:20

}  // namespace

TEST_CASE("CTCP parsing", "[irc][ctcp]") {
  CHECK(parse_ctcp("\x01VERSION\x01")->command == "VERSION");
  const auto ping = parse_ctcp("\x01ping 123 456\x01");
  CHECK(ping->command == "PING");
  CHECK(ping->args == "123 456");
  CHECK(parse_ctcp("\x01TIME")->command == "TIME");  // no closing \x01
  CHECK_FALSE(parse_ctcp("\x01" "ACTION waves\x01"));
  CHECK_FALSE(parse_ctcp("hello"));
  CHECK_FALSE(parse_ctcp("\x01\x01"));
}

TEST_CASE("CTCP VERSION, PING, TIME and CLIENTINFO are answered by NOTICE", "[irc][ctcp]") {
  const auto now = std::chrono::steady_clock::now();
  CtcpResponder ctcp("chatops-bot 1.2.3", now);
  const auto answer = [&](std::string text) {
    auto m = ctcp.answer(privmsg(std::move(text)), wall, now + 1h);
    REQUIRE(m);
    CHECK(m->command == "NOTICE");
    CHECK(m->param(0) == "alice");
    return serialize(*m);
  };
  CHECK(answer("\x01VERSION\x01") == "NOTICE alice :\x01VERSION chatops-bot 1.2.3\x01");
  // The echoed argument is cleaned of control characters and cut.
  CHECK(answer("\x01PING 1234\r\x02" + std::string(100, '9') + "\x01") ==
        "NOTICE alice :\x01PING 1234" + std::string(60, '9') + "\x01");
  CHECK(answer("\x01TIME\x01") == "NOTICE alice :\x01TIME Tue, 14 Nov 2023 22:13:20 +0000\x01");
}

TEST_CASE("CTCP: unknown queries, ACTION and NOTICEs get no answer", "[irc][ctcp]") {
  const auto now = std::chrono::steady_clock::now();
  CtcpResponder ctcp("v", now);
  CHECK_FALSE(ctcp.answer(privmsg("\x01" "FINGER\x01"), wall, now));
  CHECK_FALSE(ctcp.answer(privmsg("\x01" "ACTION hi\x01", "#ops"), wall, now));
  CHECK_FALSE(ctcp.answer(Message{{}, "alice!a@h", "NOTICE", {"opsbot", "\x01VERSION x\x01"}}, wall, now));
  CHECK(ctcp.answer(privmsg("\x01" "CLIENTINFO\x01", "#ops"), wall, now));  // in a channel too
}

TEST_CASE("CTCP answers are rate-limited: a flood of queries is dropped, not queued", "[irc][ctcp]") {
  const auto now = std::chrono::steady_clock::now();
  CtcpResponder ctcp("v", now);
  int answered = 0;
  for (int i = 0; i < 100; ++i)
    if (ctcp.answer(privmsg("\x01VERSION\x01"), wall, now)) ++answered;
  CHECK(answered == static_cast<int>(CtcpResponder::kBurst));
  CHECK(ctcp.answer(privmsg("\x01VERSION\x01"), wall, now + 2s));  // one more after 1/rate
}
