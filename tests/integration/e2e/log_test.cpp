// Issue: what the bot's log says of an event, and a log a collector can read (log.format: json).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/e2e/bot_in_channel.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// The bot's log once `text` is in it (or the deadline passed), one string per line.
std::vector<std::string> log_lines_once(const BotProcess& bot, const std::string& text, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (bot.log().find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  std::vector<std::string> lines;
  const std::string log = bot.log();
  for (std::size_t start = 0; start < log.size();) {
    const std::size_t end = std::min(log.find('\n', start), log.size());
    if (end > start) lines.push_back(log.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

TEST_CASE("with log.format json every log line is a JSON object, an event's acceptance and delivery are logged",
          "[e2e][log]") {
  BotConfig config = github_to_ops();
  config.log = "{level: info, format: json}";
  BotInChannel stack(config, "chatops-log");
  REQUIRE(stack.bot->post_github("/hooks/github", "s3cret", "push", "log-delivery-1",
                                 fixture_text("webhooks/github/push.new-branch.json"))
              .status == 202);
  REQUIRE(stack.watcher->wait_for(std::regex("Hello-World"), "opsbot", "#ops", 30s).size() == 1);

  const auto lines = log_lines_once(*stack.bot, "delivered", 5s);
  std::vector<std::string> accepted, delivered;
  for (const auto& line : lines) {
    INFO(line);
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    REQUIRE(entry.is_object());
    CHECK(entry.contains("time"));
    CHECK(entry.contains("level"));
    const std::string message = entry.value("message", "");
    if (message.find("accepted") != std::string::npos) accepted.push_back(message);
    if (message.find("delivered") != std::string::npos) delivered.push_back(message);
  }
  REQUIRE(accepted.size() == 1);
  CHECK(std::regex_match(accepted[0], std::regex(R"(source github: accepted github/push as journal id \d+, dedupe key log-delivery-1)")));
  REQUIRE(delivered.size() == 1);
  CHECK(std::regex_match(delivered[0], std::regex(R"(event \d+ delivered: github/push from github to #ops, \d+ ms after it arrived)")));
}
