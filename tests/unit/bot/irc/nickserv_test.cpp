#include "bot/irc/nickserv.hpp"

#include <catch2/catch.hpp>

using namespace chatops;
using namespace chatops::irc;

namespace {

std::vector<std::string> lines(const std::vector<Message>& out) {
  std::vector<std::string> s;
  for (const auto& m : out) s.push_back(serialize(m));
  return s;
}

Message userhost_reply(std::string reply) { return Message{{}, "irc.test", "302", {"opsbot", std::move(reply)}}; }

using Lines = std::vector<std::string>;
constexpr auto kMap = text::CaseMapping::Rfc1459;

}  // namespace

TEST_CASE("NickServ@server: IDENTIFY goes to the server-qualified target at once", "[irc][nickserv]") {
  NickServIdentify ns({"pw", "NickServ@services.test", ""}, "opsbot");
  CHECK(lines(ns.start()) == Lines{"PRIVMSG NickServ@services.test :IDENTIFY opsbot pw"});
  CHECK(lines(ns.feed(userhost_reply("NickServ=+NickServ@services.test"), kMap)) == Lines{});
}

TEST_CASE("a bare service nick is checked with USERHOST against the mask first", "[irc][nickserv]") {
  NickServIdentify ns({"pw", "NickServ", "NickServ!NickServ@services.*"}, "opsbot");
  CHECK(lines(ns.start()) == Lines{"USERHOST NickServ"});
  CHECK(lines(ns.feed(userhost_reply("opsbot=+opsbot@host"), kMap)) == Lines{});  // another reply
  CHECK(lines(ns.feed(userhost_reply("nickserv*=+NickServ@services.test"), kMap)) ==
        Lines{"PRIVMSG NickServ :IDENTIFY opsbot pw"});
  CHECK(lines(ns.feed(userhost_reply("NickServ=+NickServ@services.test"), kMap)) == Lines{});  // once
}

TEST_CASE("whoever holds the nick NickServ without matching the mask gets nothing", "[irc][nickserv]") {
  NickServIdentify ns({"pw", "NickServ", "NickServ!NickServ@services.*"}, "opsbot");
  ns.start();
  CHECK(lines(ns.feed(userhost_reply("NickServ=+~mallory@203.0.113.9"), kMap)) == Lines{});
  CHECK(lines(ns.feed(userhost_reply("NickServ=+NickServ@services.test"), kMap)) == Lines{});  // decided
}
