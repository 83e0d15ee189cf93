// The client against InspIRCd + Atheme: SASL PLAIN success and failure, sasl_required, and the
// default flood control of a real network.
#include <catch2/catch.hpp>

#include "tests/integration/bot/irc/bot_runner.hpp"
#include "tests/integration/support/inspircd.hpp"
#include "tests/integration/support/irc_test_client.hpp"

using namespace chatops;
using namespace chatops::test;
using irc::ClientState;

namespace {

IrcClientOptions observer_options(int port) {
  IrcClientOptions o;
  o.port = port;
  o.nick = "observer";
  o.user = "observer";
  return o;
}

irc::ClientConfig sasl_config(int port, std::string password, bool required) {
  auto c = bot_config("127.0.0.1", port, false, {"#ops"});
  c.sasl = {{irc::SaslMechanism::Plain}, "opsbot", std::move(password), ""};
  c.sasl_required = required;
  return c;
}

}  // namespace

TEST_CASE("InspIRCd + Atheme: SASL PLAIN with a registered account", "[irc][inspircd][sasl]") {
  InspircdWithServices server;
  server.register_account("opsbot", "correct-horse");
  IrcTestClient observer(observer_options(server.port()));
  observer.join("#ops");

  BotRunner bot(sasl_config(server.port(), "correct-horse", true));
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 15s));
  CHECK(bot.status().sasl == "success");
  CHECK(bot.status().echo_message);
  // With echo-message, delivery is confirmed by the server's echo.
  auto delivered = bot.say("#ops", "authenticated hello");
  CHECK_FALSE(observer.wait_for(std::regex("authenticated hello"), "opsbot", "#ops").empty());
  REQUIRE(delivered.wait_for(5s) == std::future_status::ready);
  CHECK(delivered.get());
  // account-tag / extended-join show the account to others.
  CHECK(observer.wait_for_line([](const IrcLine& l) {
    return l.command == "JOIN" && l.nick == "opsbot";
  }).has_value());
}

TEST_CASE("InspIRCd + Atheme: SASL PLAIN with a wrong password", "[irc][inspircd][sasl]") {
  InspircdWithServices server;
  server.register_account("opsbot", "correct-horse");
  IrcTestClient observer(observer_options(server.port()));
  observer.join("#ops");

  SECTION("not required: 904 is logged, the bot registers without an account") {
    BotRunner bot(sasl_config(server.port(), "wrong-password", false));
    REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 15s));
    CHECK(bot.status().sasl == "failed");
  }
  SECTION("required: the bot quits and never joins") {
    BotRunner bot(sasl_config(server.port(), "wrong-password", true));
    REQUIRE(bot.wait([](const auto& s) { return s.sasl == "failed" && !s.last_error.empty(); }, 15s));
    CHECK_THAT(bot.status().last_error, Catch::Contains("SASL"));
    // Give it time to (wrongly) join, and let it retry once.
    std::this_thread::sleep_for(3s);
    CHECK(bot.status().state != ClientState::Registered);
    CHECK(bot.status().joined.empty());
    for (const auto& line : observer.lines()) CHECK_FALSE((line.command == "JOIN" && line.nick != "observer"));
  }
}

TEST_CASE("InspIRCd default flood limits: 100 lines arrive in order without a disconnect", "[irc][inspircd][slow]") {
  InspircdOptions options;
  options.services = false;
  options.tls = false;
  InspircdWithServices server(options);
  IrcTestClient observer(observer_options(server.port()));
  observer.join("#ops");
  BotRunner bot(bot_config("127.0.0.1", server.port(), false, {"#ops"}));
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 15s));

  constexpr int kLines = 100;
  std::vector<std::future<bool>> delivered;
  for (int i = 0; i < kLines; ++i) {
    auto text = "line " + std::to_string(i) + " ";
    text.resize(100, 'x');
    delivered.push_back(bot.say("#ops", text));
  }
  const auto got = observer.collect_privmsgs("opsbot", kLines, 150s);
  REQUIRE(got.size() == kLines);
  for (int i = 0; i < kLines; ++i) CHECK(got[i].text.starts_with("line " + std::to_string(i) + " "));
  for (auto& d : delivered) CHECK(d.get());
  CHECK(bot.status().reconnects == 0);
  CHECK(bot.status().state == ClientState::Registered);
  CHECK(observer.connected());
}

TEST_CASE("InspIRCd + Atheme: SASL EXTERNAL with a client certificate", "[irc][inspircd][sasl][tls]") {
  InspircdWithServices server;
  server.register_account("opsbot", "correct-horse");
  const auto cert = server.ca()->issue_client("opsbot");
  {  // Tell NickServ the certificate's fingerprint, logged in with the password.
    IrcClientOptions o = observer_options(server.port());
    o.nick = "certadder";
    o.sasl_user = "opsbot";
    o.sasl_password = "correct-horse";
    IrcTestClient adder(o);
    adder.send("PRIVMSG NickServ :CERT ADD " + cert_fingerprint(cert.cert));
    REQUIRE(adder.wait_for_line([](const IrcLine& l) {
      return l.command == "NOTICE" && l.param(1).find("fingerprint") != std::string::npos;
    }).has_value());
  }
  auto config = bot_config("localhost", server.tls_port(), true, {"#ops"});
  config.tls.ca_file = server.ca_file().string();
  config.tls.client_cert = cert.combined.string();
  config.sasl.mechanisms = {irc::SaslMechanism::External};
  config.sasl_required = true;
  BotRunner bot(config);
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 15s));
  CHECK(bot.status().sasl == "success");
}
