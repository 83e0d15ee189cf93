// The client against a real ngIRCd: plain TCP, TLS (verification, host names), reconnect,
// dead-link detection, kick/rejoin, join failures, nick regain.
#include <csignal>

#include <catch2/catch.hpp>

#include "tests/integration/bot/irc/bot_runner.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

using namespace chatops;
using namespace chatops::test;
using irc::ClientState;

namespace {

std::size_t joins_by(const IrcTestClient& client, const std::string& nick, const std::string& channel) {
  std::size_t n = 0;
  for (const auto& line : client.lines())
    if (line.command == "JOIN" && line.nick == nick && line.param(0) == channel) ++n;
  return n;
}

bool eventually(const std::function<bool()>& pred, Duration timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

IrcClientOptions tester(int port, std::string nick = "tester") {
  IrcClientOptions o;
  o.port = port;
  o.nick = nick;
  o.user = nick;
  return o;
}

}  // namespace

TEST_CASE("ngircd, plain TCP: the bot joins and speaks", "[irc][ngircd]") {
  Ngircd server;
  IrcTestClient observer(tester(server.port()));
  observer.join("#ops");
  BotRunner bot(bot_config("127.0.0.1", server.port(), false, {"#ops"}));
  REQUIRE(observer.wait_for_join("opsbot", "#ops"));
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }));

  auto delivered = bot.say("#ops", "hello from the bot\r\nsecond line\x01 with a control");
  const auto got = observer.collect_privmsgs("opsbot", 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].text == "hello from the bot");
  CHECK(got[1].text == "second line with a control");
  REQUIRE(delivered.wait_for(30s) == std::future_status::ready);
  CHECK(delivered.get());
  CHECK(bot.status().sasl == "none");
  CHECK(bot.on_io([&] { return bot.client().in_channel("#OPS"); }));
}

TEST_CASE("ngircd, TLS with the test CA as ca_file: joins and speaks", "[irc][ngircd][tls]") {
  NgircdOptions options;
  options.tls = true;
  Ngircd server(options);
  IrcTestClient observer(tester(server.port()));
  observer.join("#ops");
  for (const std::string host : {"localhost", "127.0.0.1"}) {  // DNS and IP subjectAltNames
    INFO(host);
    auto config = bot_config(host, server.tls_port(), true, {"#ops"});
    config.tls.ca_file = server.ca_file().string();
    BotRunner bot(config);
    REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }));
    auto delivered = bot.say("#ops", "over TLS via " + host);
    CHECK_FALSE(observer.wait_for(std::regex("over TLS via " + host), "opsbot", "#ops").empty());
    CHECK(delivered.get());
  }
}

TEST_CASE("ngircd, TLS without ca_file: the system store does not know the test CA", "[irc][ngircd][tls]") {
  NgircdOptions options;
  options.tls = true;
  Ngircd server(options);
  BotRunner bot(bot_config("localhost", server.tls_port(), true, {"#ops"}));
  REQUIRE(bot.wait([](const auto& s) { return !s.last_error.empty(); }));
  CHECK_THAT(bot.status().last_error, Catch::Contains("certificate verify failed"));
  CHECK(bot.status().state != ClientState::Registered);
}

TEST_CASE("TLS: a certificate for another host name is refused", "[irc][tls]") {
  // A bare TLS server whose certificate names only "localhost" (openssl s_server; -rev keeps
  // the connection open, echoing lines reversed, without reading stdin).
  TempDir dir("chatops-tls-name");
  TestCa ca(dir.path());
  const auto cert = ca.issue_server("localhost-only", {"localhost"}, {});
  const int port = free_port();
  Process s_server({.argv = {"openssl", "s_server", "-quiet", "-rev", "-accept", std::to_string(port), "-cert",
                             cert.cert.string(), "-key", cert.key.string()},
                    .env = {},
                    .log_dir = dir.path(),
                    .name = "s_server"});
  REQUIRE(wait_for_port(port));

  SECTION("connecting by 127.0.0.1 fails verification") {
    auto config = bot_config("127.0.0.1", port, true, {});
    config.tls.ca_file = ca.ca_cert().string();
    BotRunner bot(config);
    REQUIRE(bot.wait([](const auto& s) { return !s.last_error.empty(); }));
    CHECK_THAT(bot.status().last_error, Catch::Contains("certificate verify failed"));
  }
  SECTION("connecting by localhost passes the handshake (control)") {
    auto config = bot_config("localhost", port, true, {});
    config.tls.ca_file = ca.ca_cert().string();
    BotRunner bot(config);
    CHECK(bot.wait([](const auto& s) { return s.state == ClientState::Registering; }));
  }
  SECTION("tls_verify: false connects anyway") {
    auto config = bot_config("127.0.0.1", port, true, {});
    config.tls.verify = false;
    BotRunner bot(config);
    CHECK(bot.wait([](const auto& s) { return s.state == ClientState::Registering; }));
  }
}

TEST_CASE("ngircd killed and restarted on the same port: the bot reconnects and rejoins", "[irc][ngircd]") {
  Ngircd server;
  BotRunner bot(bot_config("127.0.0.1", server.port(), false, {"#ops"}));
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }));

  server.kill9();
  REQUIRE(bot.wait([](const auto& s) { return s.state != ClientState::Registered; }, 30s));
  // While it is down, text is refused at once so the caller can keep it.
  CHECK_FALSE(bot.say("#ops", "into the void").get());
  server.start();
  // reconnect.max is 1 s: connected again within a couple of seconds (ngircd may then take a few
  // seconds more to complete the registration).
  REQUIRE(bot.wait([](const auto& s) { return s.state >= ClientState::Registering && s.reconnects >= 1; }, 30s));
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));

  IrcTestClient observer(tester(server.port()));
  observer.join("#ops");
  auto delivered = bot.say("#ops", "back again");
  CHECK_FALSE(observer.wait_for(std::regex("back again"), "opsbot", "#ops").empty());
  CHECK(delivered.get());
}

TEST_CASE("ngircd frozen: the missing PONG is noticed and the bot reconnects", "[irc][ngircd]") {
  Ngircd server;
  auto config = bot_config("127.0.0.1", server.port(), false, {"#ops"});
  config.ping_interval = 2s;
  config.ping_timeout = 2s;
  BotRunner bot(config);
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }));
  REQUIRE(server.process()->freeze());
  const bool noticed = bot.wait([](const auto& s) { return s.state != ClientState::Registered; }, 30s);
  server.process()->thaw();
  REQUIRE(noticed);
  CHECK_THAT(bot.status().last_error, Catch::Contains("PING"));
  CHECK(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
}

TEST_CASE("ngircd: kicked, the bot rejoins, a keyed channel without the key fails clearly", "[irc][ngircd]") {
  Ngircd server;
  IrcTestClient op(tester(server.port(), "chanop"));
  op.join("#ops");
  op.join("#locked");
  op.send("MODE #locked +k sesame");
  BotRunner bot(bot_config("127.0.0.1", server.port(), false, {"#ops", "#locked"}));
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }));
  REQUIRE(eventually([&] { return bot.saw_event("join failed #locked"); }));

  op.send("KICK #ops opsbot :out you go");
  CHECK(eventually([&] { return joins_by(op, "opsbot", "#ops") >= 2; }));
  CHECK(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }));
}

TEST_CASE("ngircd: nick in use, then regained when its holder quits", "[irc][ngircd]") {
  Ngircd server;
  IrcTestClient holder(tester(server.port(), "opsbot"));
  holder.join("#ops");
  auto config = bot_config("127.0.0.1", server.port(), false, {"#ops"});
  config.alt_nicks = {"opsbot_"};
  BotRunner bot(config);
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }));
  CHECK(bot.status().nick == "opsbot_");
  holder.quit("making room");
  CHECK(bot.wait([](const auto& s) { return s.nick == "opsbot"; }, 30s));
}
