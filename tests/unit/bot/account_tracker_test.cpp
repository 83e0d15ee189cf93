// Which account a nick is logged in to, from extended-join, account-notify and account-tag,
// through nick changes; forgotten on QUIT; bounded.
#include <catch2/catch.hpp>

#include "bot/account_tracker.hpp"

using namespace chatops;
using chatops::text::CaseMapping;

namespace {
irc::Message line(const std::string& raw) { return *irc::parse(raw); }
}  // namespace

TEST_CASE("accounts are learnt from extended-join, ACCOUNT and account-tag, and follow nick changes",
          "[accounts]") {
  bot::AccountTracker t;
  t.observe(line(":alice!a@h JOIN #ops alice :Alice"), CaseMapping::Rfc1459);
  t.observe(line(":bob!b@h JOIN #ops * :Bob"), CaseMapping::Rfc1459);  // not logged in
  t.observe(line("@account=carol :carol!c@h PRIVMSG #ops :hi"), CaseMapping::Rfc1459);
  CHECK(t.account_of("ALICE", CaseMapping::Rfc1459) == "alice");
  CHECK(t.account_of("bob", CaseMapping::Rfc1459) == "");
  CHECK(t.account_of("carol", CaseMapping::Rfc1459) == "carol");
  CHECK_FALSE(t.account_of("dave", CaseMapping::Rfc1459));
  t.observe(line(":bob!b@h ACCOUNT bobby"), CaseMapping::Rfc1459);
  CHECK(t.account_of("bob", CaseMapping::Rfc1459) == "bobby");
  t.observe(line(":alice!a@h NICK alice_"), CaseMapping::Rfc1459);
  CHECK_FALSE(t.account_of("alice", CaseMapping::Rfc1459));
  CHECK(t.account_of("alice_", CaseMapping::Rfc1459) == "alice");
  t.observe(line(":alice_!a@h ACCOUNT *"), CaseMapping::Rfc1459);
  CHECK(t.account_of("alice_", CaseMapping::Rfc1459) == "");
  t.observe(line(":bob!b@h QUIT :bye"), CaseMapping::Rfc1459);
  CHECK_FALSE(t.account_of("bob", CaseMapping::Rfc1459));
  // A plain JOIN (no extended-join) tells nothing.
  t.observe(line(":erin!e@h JOIN #ops"), CaseMapping::Rfc1459);
  CHECK_FALSE(t.account_of("erin", CaseMapping::Rfc1459));
}

TEST_CASE("the account tracker holds a bounded number of nicks", "[accounts]") {
  bot::AccountTracker t(100);
  for (int i = 0; i < 5000; ++i)
    t.observe(line(":n" + std::to_string(i) + "!u@h ACCOUNT a" + std::to_string(i)), CaseMapping::Rfc1459);
  CHECK(t.size() <= 100);
  CHECK(t.account_of("n4999", CaseMapping::Rfc1459) == "a4999");
}

TEST_CASE("those already in a channel are learnt from the bot's WHOX query", "[accounts]") {
  const auto query = bot::whox_query("#ops");
  CHECK(query.command == "WHO");
  CHECK(query.params == std::vector<std::string>{"#ops", "%tcuhna,152"});
  bot::AccountTracker t;
  t.observe(line(":irc.test 354 opsbot 152 #ops ~alice host.example alice alice"), CaseMapping::Rfc1459);
  t.observe(line(":irc.test 354 opsbot 152 #ops ~bob 127.0.0.1 bob 0"), CaseMapping::Rfc1459);
  // Another query's reply (another token, other fields) is not ours to read.
  t.observe(line(":irc.test 354 opsbot 7 #ops carol carol"), CaseMapping::Rfc1459);
  CHECK(t.account_of("alice", CaseMapping::Rfc1459) == "alice");
  REQUIRE(t.seen("alice", CaseMapping::Rfc1459));
  CHECK(t.seen("alice", CaseMapping::Rfc1459)->host == "host.example");
  CHECK(t.seen("alice", CaseMapping::Rfc1459)->user == "~alice");
  CHECK(t.account_of("bob", CaseMapping::Rfc1459) == "");
  CHECK_FALSE(t.seen("carol", CaseMapping::Rfc1459));
}
