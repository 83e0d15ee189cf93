// docs/examples.md, "Files": the example's configuration, word for word, run by the built bot on a
// temp dir (only the directory changed); the page's files are written into it, and the channel
// shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("docs/examples.md: a deploy manifest dropped in a directory", "[e2e][file][examples]") {
  const std::string heading = "### A deploy manifest dropped in a directory";
  const auto yaml = examples::blocks(heading, "yaml");
  const auto files = examples::blocks(heading, "json");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(files.size() == 2);
  REQUIRE(text.size() == 1);
  TempDir dir("chatops-file-example");
  const auto drop = (dir.path() / "deploy").string();
  std::filesystem::create_directories(drop + "/eu");
  const auto config = examples::replaced(yaml[0], "/srv/deploy/", drop + "/");
  const std::string channel = "#deploys";
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel));
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  REQUIRE(compliance::eventually([&] { return examples::has_cursor(dir, "deploys"); }, 20s));
  std::ofstream(drop + "/eu/api.json") << files[0];
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= 1; }, 20s));
  std::ofstream(drop + "/eu/broken.json") << files[1];
  std::vector<std::string> expected;
  for (const auto& line : examples::lines(text[0])) expected.push_back(examples::replaced(line, "/srv/deploy", drop));
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}
