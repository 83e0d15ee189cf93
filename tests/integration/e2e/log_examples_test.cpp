// docs/examples.md, "Log files": each example's configuration, word for word, run by the built bot
// on a file in a temp dir (only the file's path changed); the page's log lines are appended to it,
// and the channel shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

void run_log_example(const std::string& heading, const std::string& path_in_page, const std::string& source,
                     const std::string& channel) {
  const auto yaml = examples::blocks(heading, "yaml");
  const auto written = examples::blocks(heading, "log");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(written.size() == 1);
  REQUIRE(text.size() == 1);
  TempDir dir("chatops-log-example");
  const auto file = (dir.path() / "app.log").string();
  std::ofstream(file).close();
  const auto config = examples::replaced(yaml[0], "paths: [" + path_in_page + "]", "paths: [" + file + "]");
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel));
  REQUIRE(watcher.wait_for_join("opsbot", channel, 15s));
  REQUIRE(compliance::eventually([&] { return examples::has_cursor(dir, source); }, 20s));
  std::ofstream(file, std::ios::app) << written[0];
  const auto expected = examples::lines(text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}

}  // namespace

TEST_CASE("docs/examples.md: upstream errors in an nginx error log", "[e2e][log][examples]") {
  run_log_example("### Upstream errors in an nginx error log", "/var/log/nginx/error.log", "nginx", "#ops");
}

TEST_CASE("docs/examples.md: failed logins in auth.log", "[e2e][log][examples]") {
  run_log_example("### Failed logins in auth.log", "/var/log/auth.log", "auth", "#security");
}
