// Issue: one bot per journal and per port. A second copy started by mistake exits at once, saying
// why, and the first goes on as if nothing happened.
#include <catch2/catch.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// Runs another chatops-bot on `config` to its end.
Finished second_bot(const TempDir& dir, const std::filesystem::path& config) {
  return run_to_end({.argv = {CHATOPS_BOT_BINARY, "--config", config.string()}, .log_dir = dir.path(), .name = "second"},
                    30s);
}

void first_bot_still_works(BotInChannel& stack) {
  REQUIRE(stack.bot->running());
  REQUIRE(stack.bot->post_github("/hooks/github", "s3cret", "ping", "after-second",
                                 fixture_text("webhooks/github/ping.default.json"))
              .status == 202);
  CHECK(stack.watcher->wait_for(std::regex("webhook is set up"), "opsbot", "#ops", 30s).size() == 1);
}

}  // namespace

TEST_CASE("a second bot on the same journal exits at once, naming the first one's PID", "[e2e][lock]") {
  BotInChannel stack(github_to_ops(), "chatops-lock");
  TempDir elsewhere("chatops-lock-second");
  auto second = second_bot(elsewhere, stack.dir / "config.yml");
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Catch::Contains("another chatops-bot (pid " + std::to_string(stack.bot->pid()) +
                                         ") is running on the journal " + (stack.dir / "chatops.db").string()));
  first_bot_still_works(stack);
  // --check takes no lock: it runs beside the bot.
  auto check = run_to_end({.argv = {CHATOPS_BOT_BINARY, "--check", "--config", (stack.dir / "config.yml").string()},
                           .log_dir = elsewhere.path(), .name = "check"});
  CHECK(check.exit_code == 0);
}

TEST_CASE("a second bot on another journal but the same HTTP address exits at once, naming the address",
          "[e2e][lock]") {
  BotInChannel stack(github_to_ops(), "chatops-port");
  TempDir elsewhere("chatops-port-second");
  std::string config = read_file(stack.dir / "config.yml");
  config.replace(config.find(stack.dir.path().string() + "/chatops.db"), stack.dir.path().string().size() + 11,
                 (elsewhere / "chatops.db").string());
  auto second = second_bot(elsewhere, elsewhere.write("config.yml", config));
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Catch::Contains("http.listen: cannot listen on 127.0.0.1:" +
                                         std::to_string(stack.bot->http_port()) + ": Address already in use"));
  first_bot_still_works(stack);
}
