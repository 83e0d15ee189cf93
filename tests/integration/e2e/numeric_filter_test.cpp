// Issue 15, item 5: a bind filter compares a numeric field (`filter: {value: {gt: 90}}`), so that
// any event, here a generic webhook's, can trigger on a number: end to end, with the built bot,
// a real ngircd and a test client in the channel.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/integration/e2e/bot_in_channel.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {
BotConfig numeric_filter_bot() {
  BotConfig c;
  c.flood = "{burst: 10, rate: 10}";
  c.sources =
      "  - name: sensors\n"
      "    kind: webhook\n"
      "    provider: generic\n"
      "    path: /hooks/sensors\n"
      "    topic: sensor/reading\n"
      "    token: tok3n\n"
      "    token_header: X-Token\n";
  c.binds =
      "  - type: webhook\n"
      "    mask: \"sensor/*\"\n"
      "    filter: {value: {gt: 90}}\n"
      "    say: {to: [\"#ops\"], template: \"hot: {{sensor}} at {{value}}\"}\n"
      "  - type: webhook\n"
      "    mask: \"sensor/*\"\n"
      "    filter: {value: {outside: [10, 30]}, sensor: \"rack*\"}\n"
      "    say: {to: [\"#ops\"], template: \"out of range: {{sensor}} at {{value}}\"}\n";
  return c;
}
}  // namespace

TEST_CASE("a numeric bind filter says only the readings over its threshold", "[e2e][bindings]") {
  BotInChannel stack(numeric_filter_bot(), "chatops-e2e-numeric");
  const auto post = [&](const nlohmann::json& reading) {
    REQUIRE(stack.bot->post("/hooks/sensors", reading.dump(), {{"X-Token", "tok3n"}}).status == 202);
  };
  post({{"sensor", "rack1"}, {"value", 20}});       // in range, not hot: nothing
  post({{"sensor", "rack1"}, {"value", 95.5}});     // hot and out of range
  post({{"sensor", "door"}, {"value", 5}});         // out of range, but not a rack
  post({{"sensor", "rack2"}, {"value", "91"}});     // a number as text is a number
  post({{"sensor", "rack3"}, {"value", "hot"}});    // not a number: no comparison holds
  post({{"sensor", "rack4"}, {"value", 90}});       // gt 90 is strict; inside [10, 30]? no: out of range
  post({{"sensor", "rack5"}, {"value", nullptr}});  // no value
  const std::vector<std::string> expected{"hot: rack1 at 95.5", "out of range: rack1 at 95.5", "hot: rack2 at 91",
                                          "out of range: rack2 at 91", "out of range: rack4 at 90"};
  REQUIRE(stack.watcher->wait_for(std::regex("."), "opsbot", "#ops", 10s, expected.size()).size() == expected.size());
  // The webhooks are journaled in the order they were answered, and dispatched in that order.
  std::vector<std::string> said;
  for (const auto& m : stack.watcher->messages())
    if (m.nick == "opsbot" && m.target == "#ops") said.push_back(m.text);
  CHECK(said == expected);
}
