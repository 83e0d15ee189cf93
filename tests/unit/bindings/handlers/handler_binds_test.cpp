// Config binds with Lua and program handlers: parsed and checked like every bind, run through the
// bind table, saying what they return where the bind says.
#include <catch2/catch.hpp>

#include <deque>
#include <mutex>
#include <thread>

#include "bindings/config_binds.hpp"
#include "bindings/handlers/handlers_config.hpp"
#include "core/config/node.hpp"
#include "tests/integration/support/process.hpp"

using namespace chatops;
using namespace chatops::bindings;
using namespace std::chrono_literals;

namespace {

class HandlerSpeaker : public Speaker {
 public:
  void say(const Utterance& u) override { said.emplace_back(u.target, u.text); }
  void cannot_say(const std::vector<std::string>&, const std::string& reason, const Delivery&) override {
    failures.push_back(reason);
  }
  void later(const std::string& waiting_for, const Delivery& d) override { waits.emplace_back(waiting_for, d.event_id); }
  std::vector<std::pair<std::string, std::string>> said;
  std::vector<std::string> failures;
  std::vector<std::pair<std::string, std::int64_t>> waits;
};

// The io thread of these tests: what programs post back, run when the test drains it.
struct HandlerLoop {
  std::mutex mutex;
  std::deque<std::function<void()>> posted;
  std::vector<std::string> resumed;
  handlers::ProgramPool pool{handlers::ProgramPoolOptions{}};
  handlers::HandlerServices services{.lua = {},
                                     .max_output = 64u << 10,
                                     .programs = &pool,
                                     .post = [this](std::function<void()> work) {
                                       std::lock_guard lock(mutex);
                                       posted.push_back(std::move(work));
                                     },
                                     .resume = [this](const std::string& name) { resumed.push_back(name); }};

  // Runs what was posted until `count` works ran or 20 s passed.
  void drain(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (count > 0 && std::chrono::steady_clock::now() < deadline) {
      std::function<void()> work;
      {
        std::lock_guard lock(mutex);
        if (!posted.empty()) {
          work = std::move(posted.front());
          posted.pop_front();
        }
      }
      if (!work) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      work();
      --count;
    }
    REQUIRE(count == 0);
  }
};

Result<std::vector<ConfigBind>> handler_binds_of(const std::string& yaml) {
  config::Schema root("root", "test document");
  root.field("binds", config::Kind::List, "binds").items(bind_schema()).fallback("[]");
  auto doc = config::load_string(yaml, "config.yml");
  if (!doc) return std::unexpected(doc.error());
  auto valid = config::validate(root, *doc);
  if (!valid) return std::unexpected(valid.error());
  return parse_binds((*valid)["binds"]);
}

BindTable handler_table(const std::string& yaml, Speaker& speaker, const handlers::HandlerServices& services) {
  auto binds = handler_binds_of(yaml);
  INFO((binds ? "" : binds.error().message));
  REQUIRE(binds);
  BindTable table;
  auto installed = install_binds(table, *binds, speaker, &services);
  INFO((installed ? "" : installed.error().message));
  REQUIRE(installed);
  return table;
}

std::size_t ask(BindTable& table, const std::string& text, const std::string& nick = "alice") {
  IrcContext irc;
  irc.nick = nick;
  irc.channel = "#ops";
  irc.text = text;
  for (std::size_t at = text.find(' '); at != std::string::npos;) {
    const auto next = text.find(' ', at + 1);
    irc.args.push_back(text.substr(at + 1, next == std::string::npos ? next : next - at - 1));
    at = next;
  }
  irc.command = "PRIVMSG";
  return table.dispatch(BindType::Pub, text, BindContext(irc), text::CaseMapping::Rfc1459);
}

ingestion::IngestionEvent deploy_event(std::int64_t id, const std::string& service) {
  ingestion::IngestionEvent event;
  event.id = id;
  event.source = "deploys";
  event.family = "webhook";
  event.topic = "deploy/finished";
  event.fields = {{"service", service}, {"status", "ok"}};
  return event;
}

using Lines = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("A pub bind with a Lua handler answers the command where it was asked", "[handlers]") {
  HandlerLoop loop;
  HandlerSpeaker speaker;
  auto table = handler_table(
      "binds:\n"
      "  - {type: pub, mask: \"!uptime\", lua: {code: \"return 'up, ' .. event.nick .. ': ' .. #event.args .. ' words'\"}}\n",
      speaker, loop.services);
  CHECK(ask(table, "!uptime web prod") == 1);
  CHECK(speaker.said == Lines{{"#ops", "up, alice: 2 words"}});
}

TEST_CASE("A Lua handler failing on a command is told once with its line, and the bot goes on", "[handlers]") {
  HandlerLoop loop;
  HandlerSpeaker speaker;
  auto table = handler_table(
      "binds:\n"
      "  - {type: pub, mask: \"!fail\", lua: {code: \"local x = 1\\nerror('no deploys')\"}}\n"
      "  - {type: pub, mask: \"!loop\", lua: {code: \"while true do end\"}}\n",
      speaker, loop.services);
  ask(table, "!fail");
  ask(table, "!fail");
  CHECK(speaker.failures == std::vector<std::string>{"binds[0]:2: no deploys", "binds[0]:2: no deploys"});
  CHECK(speaker.said == Lines{{"#ops", "[chatops] !fail failed: binds[0]:2: no deploys"}});
  ask(table, "!loop");
  REQUIRE(speaker.said.size() == 2);
  CHECK(speaker.said[1].first == "#ops");
  // Whichever comes first on a busy machine.
  CHECK_THAT(speaker.said[1].second,
             Catch::Matches(R"(\[chatops\] !loop failed: binds\[1\]:1: (instruction limit of 10000000|time limit of 1000 ms) reached)"));
}

TEST_CASE("A webhook bind with a Lua handler says its lines, made inert, to its targets", "[handlers]") {
  HandlerLoop loop;
  HandlerSpeaker speaker;
  auto table = handler_table(
      "binds:\n"
      "  - type: webhook\n"
      "    mask: \"deploy/*\"\n"
      "    lua: {code: \"return {'deployed ' .. event.service, 'by ' .. event._event.source}\"}\n"
      "    say: {to: [\"#ops\", \"#dev\"]}\n",
      speaker, loop.services);
  const auto event = deploy_event(7, "web\r\nQUIT :bye");
  CHECK(table.dispatch(event) == 1);
  // The CR LF in the value ends a line said as text; it starts no IRC command.
  CHECK(speaker.said == Lines{{"#ops", "deployed web \nQUIT :bye\nby deploys"}, {"#dev", "deployed web \nQUIT :bye\nby deploys"}});
}

TEST_CASE("An event's program handler makes it wait, then says the program's lines when planned again", "[handlers]") {
  HandlerLoop loop;
  HandlerSpeaker speaker;
  auto table = handler_table(
      "binds:\n"
      "  - type: webhook\n"
      "    mask: \"deploy/*\"\n"
      "    run: {argv: [sh, -c, \"grep -q '\\\"service\\\":\\\"web\\\"' && echo 'web is deployed'\"]}\n"
      "    say: {to: [\"#ops\"]}\n",
      speaker, loop.services);
  const auto event = deploy_event(9, "web");
  table.dispatch(event);
  CHECK(speaker.waits == std::vector<std::pair<std::string, std::int64_t>>{{handlers::kProgramsWaiting, 9}});
  CHECK(speaker.said.empty());
  table.dispatch(event);  // planned again while it runs: it is not started twice
  CHECK(speaker.waits.size() == 2);
  loop.drain(1);
  CHECK(loop.resumed == std::vector<std::string>{handlers::kProgramsWaiting});
  table.dispatch(event);
  CHECK(speaker.said == Lines{{"#ops", "web is deployed"}});
  CHECK(speaker.waits.size() == 2);
  CHECK(loop.pool.most_running() == 1);
}

TEST_CASE("An event with many program binds is planned again once, when its last program has ended",
          "[handlers]") {
  HandlerLoop loop;
  HandlerSpeaker speaker;
  constexpr std::size_t kBinds = 40;  // within the pool's running and waiting programs
  std::string yaml = "binds:\n";
  for (std::size_t i = 0; i < kBinds; ++i)
    yaml += "  - {type: webhook, mask: \"deploy/*\", run: {argv: [echo, \"bind " + std::to_string(i) +
            "\"]}, say: {to: [\"#ops\"]}}\n";
  auto table = handler_table(yaml, speaker, loop.services);
  const auto event = deploy_event(11, "web");
  table.dispatch(event);
  CHECK(speaker.waits.size() == kBinds);
  loop.drain(kBinds);
  // Planning again runs every bind: once per program would be kBinds² handler runs.
  CHECK(loop.resumed == std::vector<std::string>{handlers::kProgramsWaiting});
  CHECK(loop.services.event_programs->running.empty());
  table.dispatch(event);
  REQUIRE(speaker.said.size() == kBinds);
  CHECK(speaker.said.front() == std::pair<std::string, std::string>{"#ops", "bind 0"});
  CHECK(speaker.said.back() == std::pair<std::string, std::string>{"#ops", "bind 39"});
}

TEST_CASE("A command's program handler answers later, with the command's words appended", "[handlers]") {
  HandlerLoop loop;
  HandlerSpeaker speaker;
  auto table = handler_table(
      "binds:\n"
      "  - {type: pub, mask: \"!echo\", run: {argv: [echo, said], pass_args: true}}\n"
      "  - {type: pub, mask: \"!slow\", run: {argv: [sleep, \"30\"], timeout: 200ms}}\n",
      speaker, loop.services);
  ask(table, "!echo $(id) ; -n");
  CHECK(speaker.said.empty());
  CHECK(speaker.waits.empty());  // only events wait in the journal
  loop.drain(1);
  CHECK(speaker.said == Lines{{"#ops", "said $(id) ; -n"}});
  ask(table, "!slow");
  loop.drain(1);
  REQUIRE(speaker.said.size() == 2);
  CHECK_THAT(speaker.said[1].second, Catch::Matches(R"(\[chatops\] !slow failed: /\S*/sleep: stopped after the 200 ms timeout)"));
}

TEST_CASE("Binds with handlers are checked at start-up, each problem with its position", "[handlers]") {
  test::TempDir dir("chatops-handlers");
  const auto broken = dir.write("broken.lua", "function handle(e)\n  return 'x'\n");
  auto problems = handler_binds_of(
      "binds:\n"
      "  - {type: pub, mask: \"!a\", lua: {code: \"return 1\"}, run: {argv: [echo]}}\n"
      "  - {type: pub, mask: \"!b\", lua: {code: \"return 1\"}, say: {template: \"x\"}}\n"
      "  - {type: pub, mask: \"!c\", lua: {file: " + broken.string() + "}}\n"
      "  - {type: pub, mask: \"!d\", lua: {file: /no/such/script.lua}}\n"
      "  - {type: pub, mask: \"!e\", run: {argv: [no-such-program-here]}}\n"
      "  - {type: pub, mask: \"!f\", lua: {}}\n");
  REQUIRE_FALSE(problems);
  const auto& text = problems.error().message;
  INFO(text);
  CHECK_THAT(text, Catch::Contains("config.yml:2:") && Catch::Contains("a bind runs one handler: `lua` or `run`"));
  CHECK_THAT(text, Catch::Contains("config.yml:3:") &&
                       Catch::Contains("a bind with a `lua` or `run` handler says what it returns, not a template"));
  CHECK_THAT(text, Catch::Contains(broken.string() + ":3: 'end' expected (to close 'function' at line 1) near <eof>"));
  CHECK_THAT(text, Catch::Contains("config.yml:5:") && Catch::Contains("cannot read /no/such/script.lua"));
  CHECK_THAT(text, Catch::Contains("config.yml:6:") && Catch::Contains("no executable no-such-program-here in"));
  CHECK_THAT(text, Catch::Contains("config.yml:7:") && Catch::Contains("give either `file` or `code`"));
}
