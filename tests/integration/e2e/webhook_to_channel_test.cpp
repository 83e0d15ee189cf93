// Issue: signed GitHub and generic webhooks said in a channel, end to end, with the built bot,
// a real ngircd and a test client in the channel.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <thread>

#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/support/raw_http.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {
BotConfig github_and_generic() {
  BotConfig c;
  c.sources = github_source() +
              "  - name: deploys\n"
              "    kind: webhook\n"
              "    provider: generic\n"
              "    path: /hooks/deploy\n"
              "    topic_pointer: /event\n"
              "    token: tok3n\n"
              "    token_header: X-Token\n"
              "    template: \"deploy {{service}}: {{status}}\"\n";
  c.binds = "  - {type: webhook, mask: \"github/*\", say: {to: [\"#ops\"]}}\n"
            "  - {type: webhook, mask: \"deploy/*\", say: {to: [\"#ops\"]}}\n";
  return c;
}
}  // namespace

TEST_CASE("a signed GitHub push is said in the channel within a second", "[e2e][webhook]") {
  BotInChannel stack(github_and_generic(), "chatops-e2e");
  auto reply = stack.bot->post_github("/hooks/github", "s3cret", "push", "delivery-1",
                                      fixture_text("webhooks/github/push.new-branch.json"));
  REQUIRE(reply.status == 202);
  auto said = stack.watcher->wait_for(std::regex("Hello-World"), "opsbot", "#ops", 1000ms);
  REQUIRE(said.size() == 1);
  CHECK(said[0].text.find("master") != std::string::npos);
  CHECK(said[0].text.find("Codertocat") != std::string::npos);
}

TEST_CASE("a wrong or missing signature is refused with 401 and nothing is said", "[e2e][webhook]") {
  BotInChannel stack(github_and_generic(), "chatops-e2e");
  auto body = fixture_text("webhooks/github/push.new-branch.json");
  REQUIRE(stack.bot->post_github("/hooks/github", "not-the-secret", "push", "d-bad", body).status == 401);
  REQUIRE(stack.bot->post("/hooks/github", body, {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-none"}})
              .status == 401);
  // A valid one afterwards is the only thing said.
  REQUIRE(stack.bot->post_github("/hooks/github", "s3cret", "ping", "d-ok", fixture_text("webhooks/github/ping.default.json"))
              .status == 202);
  REQUIRE(stack.watcher->wait_for(std::regex("."), "opsbot", "#ops", 30s).size() == 1);
  std::this_thread::sleep_for(1s);  // absence: nothing more comes
  REQUIRE(stack.watcher->messages().size() == 1);
}

TEST_CASE("CR, LF and injected IRC commands in a payload are said as harmless text", "[e2e][webhook]") {
  BotInChannel stack(github_and_generic(), "chatops-e2e");
  nlohmann::json payload = {{"event", "deploy/finished"},
                            {"service", "api\r\nQUIT :x"},
                            {"status", "ok\rPRIVMSG #ops :injected\nline"}};
  auto reply = stack.bot->post("/hooks/deploy", payload.dump(), {{"X-Token", "tok3n"}});
  REQUIRE(reply.status == 202);
  auto said = stack.watcher->wait_for(std::regex("deploy api"), "opsbot", "#ops", 30s);
  REQUIRE(said.size() == 1);
  // Field values are inert text: the would-be commands are part of the one line said, and no
  // other line (a PRIVMSG of its own, a QUIT) reached the server.
  CHECK(said[0].text.find("QUIT :x") != std::string::npos);
  CHECK(said[0].text.find("PRIVMSG #ops :injected") != std::string::npos);
  std::this_thread::sleep_for(1s);  // absence: nothing more comes
  REQUIRE(stack.watcher->messages().size() == 1);
  REQUIRE_FALSE(stack.watcher->wait_for_line(
      [](const IrcLine& l) { return l.command == "QUIT" && l.nick == "opsbot"; }, 10ms));
  // Still connected and still speaking.
  REQUIRE(stack.bot->post_github("/hooks/github", "s3cret", "ping", "d-after", fixture_text("webhooks/github/ping.default.json"))
              .status == 202);
  REQUIRE(stack.watcher->wait_for(std::regex("Hello-World|ping|hook", std::regex::icase), "opsbot", "#ops", 30s).size() >= 1);
}

TEST_CASE("an unknown path is answered 404", "[e2e][webhook]") {
  BotInChannel stack(github_and_generic(), "chatops-e2e");
  REQUIRE(stack.bot->post("/hooks/nope", "{}", {}).status == 404);
}

TEST_CASE("a webhook posted while the bot starts is answered 503 until its source has started, never 404",
          "[e2e][webhook][startup]") {
  BotInChannel stack(github_and_generic(), "chatops-e2e-startup");
  stack.bot->stop();
  // Posts from before the listener opens until the first 202: the listener opens before the
  // sources register their paths, and a 404 then would be final to Alertmanager.
  std::vector<int> statuses;
  std::thread poster([&] {
    for (const auto end = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < end;) {
      auto reply = raw_exchange(stack.bot->http_port(),
                                post_request("/hooks/deploy", R"({"event":"deploy/finished","service":"api","status":"ok"})",
                                             "Content-Type: application/json\r\nX-Token: tok3n\r\n"),
                                1s);
      if (!reply) {  // not listening yet
        std::this_thread::sleep_for(5ms);
        continue;
      }
      statuses.push_back(reply->status);
      if (reply->status != 503) break;
    }
  });
  stack.bot->start();
  poster.join();
  REQUIRE_FALSE(statuses.empty());
  CHECK(statuses.back() == 202);
  for (const auto status : statuses) CHECK((status == 503 || status == 202));
  CHECK(stack.watcher->wait_for(std::regex("^deploy api: ok$"), "opsbot", "#ops", 30s).size() == 1);
}
