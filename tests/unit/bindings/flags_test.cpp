// Bind flag masks against users' global and channel flags.
#include <catch2/catch.hpp>

#include "bindings/bind_table.hpp"
#include "bindings/flags.hpp"

using namespace chatops::bindings;
using chatops::text::CaseMapping;

namespace {

FlagSet flags(std::string_view letters) { return *FlagSet::parse(letters); }
bool allows(std::string_view mask, std::string_view global, std::string_view channel) {
  auto parsed = FlagMask::parse(mask);
  REQUIRE(parsed);
  return parsed->matches(flags(global), flags(channel));
}

}  // namespace

TEST_CASE("the masks -|-, - and * let anyone through, including users without flags") {
  for (const auto* mask : {"-|-", "-", "*", "", "*|*"}) {
    CAPTURE(mask);
    CHECK(allows(mask, "", ""));
  }
}

TEST_CASE("global|channel needs one of the global or one of the channel flags") {
  CHECK(allows("o|o", "o", ""));
  CHECK(allows("o|o", "", "o"));
  CHECK_FALSE(allows("o|o", "v", "v"));
  CHECK(allows("+o|+m", "", "m"));
  CHECK_FALSE(allows("+o|+m", "", "o"));
  CHECK(allows("mn|-", "n", ""));
  CHECK_FALSE(allows("-|o", "o", ""));  // global o does not count for a channel-only mask
}

TEST_CASE("a mask without separator names global flags only") {
  CHECK(allows("n", "n", ""));
  CHECK_FALSE(allows("n", "", "n"));
}

TEST_CASE("global&channel needs all global and all channel flags") {
  CHECK(allows("o&v", "o", "v"));
  CHECK_FALSE(allows("o&v", "o", ""));
  CHECK_FALSE(allows("o&v", "", "v"));
  CHECK(allows("mo&-", "mo", ""));
  CHECK_FALSE(allows("mo&-", "m", ""));
}

TEST_CASE("invalid flag masks are refused with the reason") {
  CHECK_FALSE(FlagMask::parse("o|o|o"));
  CHECK_FALSE(FlagMask::parse("o&|o"));
  auto bad = FlagMask::parse("o!");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("'!'"));
  CHECK_FALSE(FlagMask::parse("1|-"));
}

TEST_CASE("flag masks compare in canonical form") {
  CHECK(*FlagMask::parse("-") == *FlagMask::parse("-|-"));
  CHECK(*FlagMask::parse("+o|+o") == *FlagMask::parse("o|o"));
  CHECK(FlagMask::parse("om|-")->str() == "mo|-");
  CHECK(FlagMask::parse("o&m")->str() == "o&m");
}

TEST_CASE("owner implies master implies op, as in Eggdrop") {
  const auto implied = flags("n").with_implied();
  CHECK(implied.has('m'));
  CHECK(implied.has('o'));
  CHECK_FALSE(implied.has('v'));
}

TEST_CASE("bind flags are checked against the handle's global and channel flags") {
  UserList users;
  users.add(User{"alice", {"*!alice@example.org"}, "", flags(""), {{"#ops", flags("o")}}});
  users.add(User{"root", {"*!root@example.org"}, "", flags("n"), {}});
  BindTable table;
  int ran = 0;
  REQUIRE(table.bind(BindType::Pub, "o|o", "!op", [&](const BindContext&) { ++ran; return BindResult::Continue; }));

  auto from = [&](std::string nick, std::string channel) {
    IrcContext irc;
    irc.nick = nick;
    irc.user = nick;
    irc.host = "example.org";
    irc.channel = std::move(channel);
    irc.known_user = users.find({irc.nick, irc.user, irc.host, ""}, CaseMapping::Rfc1459);
    return BindContext(std::move(irc));
  };
  CHECK(table.dispatch(BindType::Pub, "!op", from("alice", "#ops"), CaseMapping::Rfc1459) == 1);
  CHECK(table.dispatch(BindType::Pub, "!op", from("alice", "#OPS"), CaseMapping::Rfc1459) == 1);
  CHECK(table.dispatch(BindType::Pub, "!op", from("alice", "#dev"), CaseMapping::Rfc1459) == 0);
  CHECK(table.dispatch(BindType::Pub, "!op", from("root", "#dev"), CaseMapping::Rfc1459) == 1);  // n ⇒ o
  CHECK(table.dispatch(BindType::Pub, "!op", from("stranger", "#ops"), CaseMapping::Rfc1459) == 0);
  CHECK(ran == 3);
}

TEST_CASE("ingestion and clock binds ignore flags") {
  BindTable table;
  REQUIRE(table.bind(BindType::Webhook, "n", "github/*", [](const BindContext&) { return BindResult::Continue; }));
  chatops::ingestion::IngestionEvent event;
  event.family = "webhook";
  event.topic = "github/push";
  CHECK(table.dispatch(event) == 1);
}
