// Commands in the bind table: prefix, aliases, private messages, addressing by nick, flags and
// polite refusals, rate limits, long answers by notice, and inert replies.
#include <catch2/catch.hpp>

#include "tests/unit/bot/commands/command_harness.hpp"

using namespace chatops;
using namespace chatops::test;
using bot::CommandRequest;
using bot::CommandSpec;
using bot::Reply;

namespace {

// "echo": answers with its arguments; "deploy": needs o on the channel or globally.
void add_echo_and_deploy(CommandHarness& h) {
  REQUIRE(h.table.add({"echo", {"say"}, "-|-", "<words>", "Says the words back."},
                      [](const CommandRequest& r) {
                        std::string text = "echo:";
                        for (const auto& a : r.args) text += " " + a;
                        return Reply{{text}};
                      }));
  REQUIRE(h.table.add({"deploy", {}, "o|o", "<service>", "Deploys."},
                      [](const CommandRequest& r) { return Reply{{"deploying " + r.args.at(0)}}; }));
}

}  // namespace

TEST_CASE("a command answers to its prefix, its aliases and in private with or without the prefix") {
  CommandHarness h;
  add_echo_and_deploy(h);
  h.from("dan!d@host", "#ops", "!echo a  b");
  h.from("dan!d@host", "#ops", "!SAY c");
  h.from("dan!d@host", "opsbot", "echo d");
  h.from("dan!d@host", "opsbot", "!echo e");
  CHECK(h.take() == std::vector<Said>{{"#ops", "echo: a b", false},
                                      {"#ops", "echo: c", false},
                                      {"dan", "echo: d", true},
                                      {"dan", "echo: e", true}});
  // Other words, and the command word without the prefix in a channel, are not commands.
  h.from("dan!d@host", "#ops", "echo f");
  h.from("dan!d@host", "#ops", "!echoes g");
  CHECK(h.take().empty());
}

TEST_CASE("a channel message addressed to the bot's nick runs the command") {
  CommandHarness h;
  add_echo_and_deploy(h);
  h.from("dan!d@host", "#ops", "opsbot: echo x");
  h.from("dan!d@host", "#ops", "OpsBot, echo y");
  h.from("dan!d@host", "#ops", "opsbot echo z");     // no separator: not addressed
  h.from("dan!d@host", "#ops", "opsbotter: echo w");  // another nick
  CHECK(h.take() == std::vector<Said>{{"#ops", "echo: x", false}, {"#ops", "echo: y", false}});
  CHECK(bot::addressed_command("opsbot:", "opsbot", "!", text::CaseMapping::Rfc1459) == std::nullopt);
  CHECK(bot::addressed_command("opsbot:   status now", "opsbot", "!", text::CaseMapping::Rfc1459) == "!status now");
  CHECK(bot::addressed_command("ops[bot]: status", "ops{bot}", ".", text::CaseMapping::Rfc1459) == ".status");
}

TEST_CASE("the prefix is configurable") {
  bot::CommandOptions options;
  options.prefix = ".";
  CommandHarness h(options);
  add_echo_and_deploy(h);
  h.from("dan!d@host", "#ops", "!echo no");
  h.from("dan!d@host", "#ops", ".echo yes");
  h.from("dan!d@host", "#ops", "opsbot: echo addressed");
  CHECK(h.take() == std::vector<Said>{{"#ops", "echo: yes", false}, {"#ops", "echo: addressed", false}});
}

TEST_CASE("a command needing flags runs for a user who has them and is refused politely otherwise") {
  CommandHarness h;
  add_echo_and_deploy(h);
  h.users.add(user("alice", "*!alice@example.org", "o"));
  h.users.add(user("bob", "*!bob@example.org", "", "", {{"#dev", "o"}}));
  h.from("alice!alice@example.org", "#ops", "!deploy api");
  h.from("bob!bob@example.org", "#dev", "!deploy web");  // o on #dev
  h.from("bob!bob@example.org", "#ops", "!deploy web");  // nothing on #ops
  h.from("eve!e@elsewhere", "#ops", "!deploy db");
  CHECK(h.take() == std::vector<Said>{
                        {"#ops", "deploying api", false},
                        {"#dev", "deploying web", false},
                        {"#ops", "bob: sorry, !deploy needs flags o|o.", false},
                        {"#ops", "eve: sorry, !deploy needs flags o|o and I do not know you (say !whoami).", false},
                    });
}

TEST_CASE("a user is recognised by account before hostmask, from account-tag or extended-join and account-notify") {
  CommandHarness h;
  add_echo_and_deploy(h);
  h.users.add(user("alice", "nobody!*@*", "o", "alice"));
  // account-tag on the message itself
  h.line("@account=alice :al2!x@y PRIVMSG #ops :!deploy tagged");
  // extended-join taught the bot the account of "al3"; the message carries no tag
  h.line(":al3!x@y JOIN #ops alice :Alice");
  h.from("al3!x@y", "#ops", "!deploy joined");
  // logged out (account-notify): refused again
  h.line(":al3!x@y ACCOUNT *");
  h.from("al3!x@y", "#ops", "!deploy out");
  // logged in again, then a nick change: still alice
  h.line(":al3!x@y ACCOUNT alice");
  h.line(":al3!x@y NICK al4");
  h.from("al4!x@y", "#ops", "!deploy renamed");
  CHECK(h.take() == std::vector<Said>{
                        {"#ops", "deploying tagged", false},
                        {"#ops", "deploying joined", false},
                        {"#ops", "al3: sorry, !deploy needs flags o|o and I do not know you (say !whoami).", false},
                        {"#ops", "deploying renamed", false},
                    });
}

TEST_CASE("commands are rate-limited per user and per channel, without answering the excess") {
  bot::CommandOptions options;
  options.user_burst = 2;
  options.user_rate = 0.001;
  options.channel_burst = 3;
  options.channel_rate = 0.001;
  CommandHarness h(options);
  add_echo_and_deploy(h);
  for (int i = 0; i < 5; ++i) h.from("dan!d@host", "#ops", "!echo " + std::to_string(i));
  CHECK(h.take().size() == 2);  // dan's burst
  // A nick change does not buy a new bucket: unknown users are told apart by host.
  h.from("dan2!d@host", "#ops", "!echo again");
  CHECK(h.take().empty());
  h.from("erin!e@other", "#ops", "!echo 1");
  h.from("erin!e@other", "#ops", "!echo 2");  // the channel's third and last
  CHECK(h.take().size() == 1);
  // In private only the user's own bucket counts.
  h.from("fay!f@third", "opsbot", "echo private");
  CHECK(h.take().size() == 1);
}

TEST_CASE("the rate limiter holds a bounded number of keys") {
  bot::RateLimiter limiter(1, 1, 100);
  const auto now = bot::RateLimiter::Clock::now();
  for (int i = 0; i < 10000; ++i) REQUIRE(limiter.try_take("host" + std::to_string(i), now));
  CHECK(limiter.keys() <= 100);
  CHECK_FALSE(limiter.try_take("host9999", now));  // the most recent are kept
}

TEST_CASE("long answers go to the user by notice, and a channel hears only that they did") {
  CommandHarness h;
  REQUIRE(h.table.add({"many", {}, "-|-", "", "Six lines."}, [](const CommandRequest&) {
    return Reply{{"1", "2", "3", "4", "5", "6"}};
  }));
  h.from("dan!d@host", "#ops", "!many");
  const auto said = h.take();
  REQUIRE(said.size() == 7);
  CHECK(said[0] == Said{"#ops", "dan: 6 lines sent to you by notice.", false});
  CHECK(said[1] == Said{"dan", "1", true});
  CHECK(said[6] == Said{"dan", "6", true});
}

TEST_CASE("arguments echoed back cannot inject IRC lines, CTCP or formatting") {
  CommandHarness h;
  add_echo_and_deploy(h);
  // The parser keeps \x01 and formatting codes inside a parameter (it refuses NUL; CR and LF end
  // the line), so a handler that builds lines from NUL, CR or LF is what the table guards against.
  h.from("dan!d@host", "#ops", "!echo a\x01" "ACTION x\x01 \x02" "bold\x03" "4red b");
  REQUIRE(h.table.add({"raw", {}, "-|-", "", "A handler returning CR LF."}, [](const CommandRequest&) {
    return Reply{{"one\r\nQUIT :bye", std::string("two\0three", 9)}};
  }));
  h.from("dan!d@host", "#ops", "!raw");
  const auto said = h.take();
  REQUIRE(said.size() == 3);
  CHECK(said[0].text == "echo: aACTION x boldred b");  // a colour code goes with its digits
  CHECK(said[1].text == "one  QUIT :bye");             // CR and LF became spaces: one line
  CHECK(said[2].text == "two");                        // nothing from NUL on
  for (const auto& s : said) {
    INFO(s.text);
    CHECK(s.text.find_first_of(std::string("\r\n\x01\x02\x03", 5) + std::string(1, '\0')) == std::string::npos);
  }
}

TEST_CASE("a command that throws answers with the failure and the bot goes on") {
  CommandHarness h;
  REQUIRE(h.table.add({"boom", {}, "-|-", "", "Fails."},
                      [](const CommandRequest&) -> Reply { throw std::runtime_error("the disk is full"); }));
  h.from("dan!d@host", "#ops", "!boom");
  CHECK(h.take() == std::vector<Said>{{"#ops", "dan: boom failed: the disk is full", false}});
}

TEST_CASE("declaring a command twice, by name or alias, or a word with a space, is refused") {
  CommandHarness h;
  add_echo_and_deploy(h);
  CHECK_FALSE(h.table.add({"say", {}, "-|-", "", ""}, {}));
  CHECK_FALSE(h.table.add({"other", {"ECHO"}, "-|-", "", ""}, {}));
  CHECK_FALSE(h.table.add({"two words", {}, "-|-", "", ""}, {}));
  CHECK_FALSE(h.table.add({"flags", {}, "o|o|o", "", ""}, {}));
  CHECK(h.table.commands().size() == 2);
}

TEST_CASE("command words are the words after the command, runs of spaces ignored") {
  CHECK(bot::command_args("!pause   github  now ") == std::vector<std::string>{"github", "now"});
  CHECK(bot::command_args("!status").empty());
  CHECK(bot::command_args("").empty());
}

TEST_CASE("a reply's slow work runs where the offload puts it, and its answer follows the first lines") {
  CommandHarness h;
  std::vector<std::pair<bot::SlowWork, std::function<void(Reply)>>> queued;  // a worker that runs on demand
  h.table.set_offload([&](bot::SlowWork work, std::function<void(Reply)> done) {
    queued.emplace_back(std::move(work), std::move(done));
  });
  REQUIRE(h.table.add({"slow", {}, "-|-", "", "Asks a slow upstream."}, [](const CommandRequest& r) {
    return Reply{{"asking…"}, false, [nick = r.irc.nick] { return Reply{{nick + ": the upstream answered\r\nPRIVMSG #x :y"}}; }};
  }));
  REQUIRE(h.table.add({"boom", {}, "-|-", "", "Fails later."}, [](const CommandRequest&) {
    return Reply{{}, false, []() -> Reply { throw std::runtime_error("upstream exploded"); }};
  }));
  h.from("dan!d@host", "#ops", "!slow");
  h.from("dan!d@host", "#ops", "!boom");
  // Nothing waits for the slow part: the first lines are said, and the bot is free.
  CHECK(h.take() == std::vector<Said>{{"#ops", "asking…", false}});
  REQUIRE(queued.size() == 2);
  for (auto& [work, done] : queued) done(work());
  // The answer is inert like any other; a failure is told, once.
  CHECK(h.take() == std::vector<Said>{{"#ops", "dan: the upstream answered  PRIVMSG #x :y", false},
                                      {"#ops", "dan: failed: upstream exploded", false}});
}

TEST_CASE("without an offload, a reply's slow work runs at once, after its first lines") {
  CommandHarness h;
  REQUIRE(h.table.add({"slow", {}, "-|-", "", "Asks a slow upstream."}, [](const CommandRequest&) {
    return Reply{{"first"}, false, [] { return Reply{{"then"}}; }};
  }));
  h.from("dan!d@host", "opsbot", "slow");
  CHECK(h.take() == std::vector<Said>{{"dan", "first", true}, {"dan", "then", true}});
}
