// docs/examples.md, "Lua and program handlers": each example's configuration, word for word, run
// by the built bot on a real ngircd (only the program's path changed); what the page says people
// type or post is sent, and the channel shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <regex>
#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// An example of the section under `heading` run in #ops: `act` types or posts what the page says.
struct HandlerExample {
  std::vector<std::string> yaml, text;
  TempDir dir{"chatops-handler-example"};
  Ngircd ircd{NgircdOptions{.channels = {"#ops"}}};
  std::unique_ptr<IrcTestClient> watcher, alice;
  std::unique_ptr<BotProcess> bot;

  explicit HandlerExample(const std::string& heading)
      : yaml(examples::blocks(heading, "yaml")), text(examples::blocks(heading, "text")) {
    REQUIRE(yaml.size() == 1);
    REQUIRE(text.size() == 1);
  }

  void start(const std::string& config, std::vector<std::pair<std::string, std::string>> env = {}) {
    BotConfig c;
    c.irc_port = ircd.port();
    c.flood = "{burst: 10, rate: 10}";
    const auto binds = config.find("binds:\n");
    REQUIRE(binds != std::string::npos);
    c.sources = config.starts_with("sources:\n") ? config.substr(9, binds - 9) : "  []\n";
    c.binds = config.substr(binds + 7);
    watcher = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
    watcher->join("#ops");
    alice = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "alice"});
    alice->join("#ops");
    bot = std::make_unique<BotProcess>(dir, bot_config_yaml(c), std::move(env));
    REQUIRE(watcher->wait_for_join("opsbot", "#ops", 30s));
  }

  // Waits until the bot said as many lines as the page shows (and a little longer), and compares.
  void check_channel() {
    const auto expected = examples::lines(text[0]);
    REQUIRE(compliance::eventually([&] { return examples::said(*watcher, "#ops").size() >= expected.size(); }, 20s));
    std::this_thread::sleep_for(500ms);  // and nothing more
    CHECK(examples::said(*watcher, "#ops") == expected);
  }

  // Says `line` and waits for the bot's `count` answers, so that the next one comes after them.
  void ask(const std::string& line, std::size_t count) {
    const auto before = examples::said(*watcher, "#ops").size();
    alice->privmsg("#ops", line);
    REQUIRE(compliance::eventually([&] { return examples::said(*watcher, "#ops").size() >= before + count; }, 20s));
  }
};

}  // namespace

TEST_CASE("docs/examples.md: runbook links for a command (Lua)", "[e2e][handlers][examples]") {
  HandlerExample example("### Runbook links for a command (Lua)");
  example.start(example.yaml[0]);
  example.ask("!runbook HighLatency", 1);
  example.ask("!runbook Nope", 1);
  example.check_channel();
}

TEST_CASE("docs/examples.md: a deploy summarised in Lua", "[e2e][handlers][examples]") {
  HandlerExample example("### A deploy summarised in Lua");
  const auto commands = examples::blocks("### A deploy summarised in Lua", "sh");
  REQUIRE(commands.size() == 1);
  example.start(example.yaml[0], {{"DEPLOY_TOKEN", "d3ploy"}});
  // The curl lines' bodies, posted as the page posts them.
  const std::regex body_re("-d '([^']*)'");
  std::size_t posted = 0;
  for (const auto& line : examples::lines(commands[0])) {
    std::smatch body;
    REQUIRE(std::regex_search(line, body, body_re));
    const auto reply = example.bot->post("/hooks/deploy", body[1].str(),
                                         {{"X-Token", "d3ploy"}, {"Content-Type", "application/json"}});
    CHECK(reply.status == 202);
    ++posted;
  }
  CHECK(posted == 2);
  example.check_channel();
}

TEST_CASE("docs/examples.md: ticket links from a program", "[e2e][handlers][examples]") {
  HandlerExample example("### Ticket links from a program");
  const auto program = examples::blocks("### Ticket links from a program", "python");
  REQUIRE(program.size() == 1);
  const auto path = example.dir.write("ticket-link", program[0]);
  ::chmod(path.c_str(), 0755);
  example.start(examples::replaced(example.yaml[0], "/usr/local/bin/ticket-link", path.string()));
  example.ask("!ticket OPS-12 OPS-7", 2);
  example.ask("!ticket", 1);
  example.check_channel();
}
