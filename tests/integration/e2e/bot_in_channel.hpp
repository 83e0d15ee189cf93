#pragma once
// What most end-to-end tests start: a real ngircd with #ops, a watcher in the channel, and the
// built bot on the test's configuration, joined to it.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

  // `dir_prefix` names the test's temp dir (it holds the journal and the bot's log); `binary`
  // replaces the built bot (BotProcess).
  BotInChannel(BotConfig config, const std::string& dir_prefix,
               const std::filesystem::path& binary = CHATOPS_BOT_BINARY)
      : dir(dir_prefix) {
    using namespace std::chrono_literals;
    config.irc_port = ircd.port();
    watcher = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
    watcher->join("#ops");
    bot = std::make_unique<BotProcess>(dir, bot_config_yaml(config), std::vector<std::pair<std::string, std::string>>{},
                                       binary);
    REQUIRE(watcher->wait_for_join("opsbot", "#ops", 30s));
  }
};

// Says `text` in `channel` as `who` and returns the bot's next `count` lines there, as `watcher`
// sees them, in order (fewer when they did not come within 15 s).
inline std::vector<std::string> ask_bot(IrcTestClient& watcher, IrcTestClient& who, const std::string& text,
                                        std::size_t count = 1, const std::string& channel = "#ops") {
  using namespace std::chrono_literals;
  const auto asked = std::chrono::steady_clock::now();
  who.privmsg(channel, text);
  std::vector<std::string> lines;
  for (const auto& m : watcher.wait_for(
           [&](const Privmsg& m) { return m.nick == "opsbot" && m.target == channel && m.received >= asked; }, 15s,
           count))
    lines.push_back(m.text);
  return lines;
}

// A file under tests/fixtures, as text.
inline std::string fixture_text(const std::string& relative) {
  return read_file(std::string(CHATOPS_FIXTURES_DIR) + "/" + relative);
}

}  // namespace chatops::test
