#pragma once
// What most end-to-end tests start: a real ngircd with #ops, a watcher in the channel, and the
// built bot on the test's configuration, joined to it.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"

namespace chatops::test {

struct BotInChannel {
  Ngircd ircd{NgircdOptions{.channels = {"#ops"}}};
  TempDir dir;
  std::unique_ptr<IrcTestClient> watcher;
  std::unique_ptr<BotProcess> bot;

  // `dir_prefix` names the test's temp dir (it holds the journal and the bot's log).
  BotInChannel(BotConfig config, const std::string& dir_prefix) : dir(dir_prefix) {
    using namespace std::chrono_literals;
    config.irc_port = ircd.port();
    watcher = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
    watcher->join("#ops");
    bot = std::make_unique<BotProcess>(dir, bot_config_yaml(config));
    REQUIRE(watcher->wait_for_join("opsbot", "#ops", 15s));
  }
};

// A file under tests/fixtures, as text.
inline std::string fixture_text(const std::string& relative) {
  return read_file(std::string(CHATOPS_FIXTURES_DIR) + "/" + relative);
}

}  // namespace chatops::test
