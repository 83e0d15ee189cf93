// The client against scripted servers (tests/integration/support/scripted_server.hpp), line by
// line as irctest plays them: registration without pacing, certificate pinning, STS upgrade and
// persistence across a restart, ERROR, CTCP and the NickServ check.
#include <catch2/catch.hpp>

#include "bot/irc/sts.hpp"
#include "tests/integration/bot/irc/bot_runner.hpp"
#include "tests/integration/support/scripted_server.hpp"
#include "tests/integration/support/test_ca.hpp"

using namespace chatops;
using namespace chatops::test;
using irc::ClientState;

namespace {

// Plays the end of registration: CAP LS with `caps`, ACK of whatever is requested, 001.
void register_client(ScriptedServer& server, const std::string& caps = "") {
  REQUIRE(server.expect("CAP LS 302"));
  server.send(":irc.test CAP * LS :" + caps);
  if (!caps.empty()) {
    auto req = server.expect("CAP REQ ");
    REQUIRE(req);
    server.send(":irc.test CAP opsbot ACK " + req->substr(8));
  }
  REQUIRE(server.expect("CAP END"));
  server.send(":irc.test 001 opsbot :Welcome opsbot!opsbot@127.0.0.1");
}

// Proves that nothing else was sent before: lines arrive in order, so the next line after a
// PING we send is its PONG only if the client sent nothing in between.
void expect_nothing_before_pong(ScriptedServer& server, const std::string& token) {
  server.send("PING :" + token);
  CHECK(server.read_line() == "PONG " + token);
}

}  // namespace

TEST_CASE("scripted: registration lines are not paced, the flood bucket starts at 001", "[irc][scripted]") {
  ScriptedServer server;
  auto config = bot_config("127.0.0.1", server.port(), false, {"#a", "#b"});
  config.password = "serverpw";
  config.sasl = {{irc::SaslMechanism::Plain}, "opsbot", std::string(600, 'p'), ""};
  config.flood_burst = 1;
  config.flood_rate = 0.05;  // one line every 20 s once registered
  BotRunner bot(config);
  REQUIRE(server.accept());
  // Eleven lines before 001; paced, they would take minutes.
  for (const char* prefix : {"PASS serverpw", "CAP LS 302", "NICK opsbot", "USER opsbot"}) CHECK(server.expect(prefix));
  server.send("CAP * LS :sasl=PLAIN");
  CHECK(server.expect("CAP REQ sasl"));
  server.send("CAP opsbot ACK :sasl");
  CHECK(server.expect("AUTHENTICATE PLAIN"));
  server.send("AUTHENTICATE +");
  for (int chunk = 0; chunk < 3; ++chunk) CHECK(server.expect("AUTHENTICATE "));
  server.send("903 opsbot :SASL authentication successful");
  CHECK(server.expect("CAP END"));
  server.send("001 opsbot :Welcome");
  // After 001 the bucket is full again (one line), then 20 s per line: the first goes at once.
  CHECK(server.expect("USERHOST opsbot"));
  CHECK_FALSE(server.read_line(1s));  // JOIN #a waits for a token
}

TEST_CASE("scripted: a pinned certificate is accepted self-signed and expired, anything else is refused",
          "[irc][scripted][tls]") {
  TempDir dir("chatops-pin");
  const auto expired = expired_self_signed(dir.path(), "expired");
  TestCa ca(dir / "ca");
  const auto valid = ca.issue_server("valid", {"localhost"}, {"127.0.0.1"});
  const auto pinned = [](const ScriptedServer& server, const CertFiles& pin) {
    auto config = bot_config("localhost", server.port(), true, {});
    config.tls.fingerprints = {cert_fingerprint(pin.cert)};
    return config;
  };

  SECTION("pinned by the certificate's SHA-256: registers") {
    ScriptedServer server(expired);
    BotRunner bot(pinned(server, expired));
    REQUIRE(server.accept());
    register_client(server);
    CHECK(bot.wait([](const auto& s) { return s.state == ClientState::Registered; }));
  }
  SECTION("another pin: the client closes right after the handshake, before sending anything") {
    ScriptedServer server(expired);
    BotRunner bot(pinned(server, valid));
    REQUIRE(server.accept());
    CHECK_FALSE(server.read_line());
    CHECK(bot.wait([](const auto& s) { return s.last_error.find("tls_fingerprints") != std::string::npos; }));
  }
  SECTION("a pin also overrides a CA that would accept the certificate") {
    ScriptedServer server(valid);
    auto config = pinned(server, expired);
    config.tls.ca_file = ca.ca_cert().string();
    BotRunner bot(config);
    REQUIRE(server.accept());
    CHECK_FALSE(server.read_line());
  }
  SECTION("no pin: the expired self-signed certificate fails verification") {
    ScriptedServer server(expired);
    BotRunner bot(bot_config("127.0.0.1", server.port(), true, {}));
    CHECK_FALSE(server.accept());
    CHECK(bot.wait([](const auto& s) { return s.last_error.find("certificate verify failed") != std::string::npos; }));
  }
}

TEST_CASE("scripted: STS upgrade, persistence across a restart, ERROR closes at once", "[irc][scripted][sts]") {
  TempDir dir("chatops-sts");
  const auto cert = expired_self_signed(dir.path(), "server");
  ScriptedServer plain;
  ScriptedServer secure(cert);
  auto config = bot_config("127.0.0.1", plain.port(), false, {});
  config.tls.fingerprints = {cert_fingerprint(cert.cert)};
  irc::MemoryStsPolicyStore store;  // stands for the journal's database across the restart
  {
    BotRunner bot(config, &store);
    REQUIRE(plain.accept());
    REQUIRE(plain.expect("CAP LS 302"));
    plain.send(":irc.test CAP * LS :sts=port=" + std::to_string(secure.port()));
    CHECK(plain.wait_closed());  // the insecure connection is dropped at once
    REQUIRE(secure.accept());
    REQUIRE(secure.expect("CAP LS 302"));
    secure.send(":irc.test CAP * LS :sts=duration=300,port=1");  // a port on TLS is ignored
    REQUIRE(secure.expect("CAP END"));
    // ERROR without closing the socket: the client closes and reconnects, still with TLS.
    secure.send("ERROR :Closing link (test)");
    CHECK(secure.wait_closed());
    REQUIRE(secure.accept());
    CHECK(secure.expect("CAP LS 302"));
    CHECK(bot.status().last_error == "ERROR from the server: Closing link (test)");
  }
  const auto policy = store.load("127.0.0.1");
  REQUIRE(policy);
  REQUIRE(policy->has_value());
  CHECK((*policy)->port == secure.port());
  // A restart, still configured for the plain port: the policy forbids it.
  BotRunner restarted(config, &store);
  REQUIRE(secure.accept());
  register_client(secure);
  CHECK(restarted.wait([&](const auto& s) {
    return s.state == ClientState::Registered && s.server == "127.0.0.1:" + std::to_string(secure.port());
  }));
  CHECK_FALSE(plain.accept(500ms));
}

TEST_CASE("scripted: an STS upgrade whose certificate fails verification is not downgraded", "[irc][scripted][sts]") {
  TempDir dir("chatops-sts-bad");
  const auto cert = expired_self_signed(dir.path(), "server");
  ScriptedServer plain;
  ScriptedServer secure(cert);
  BotRunner bot(bot_config("127.0.0.1", plain.port(), false, {}));
  REQUIRE(plain.accept());
  REQUIRE(plain.expect("CAP LS 302"));
  plain.send(":irc.test CAP * LS :sts=port=" + std::to_string(secure.port()));
  CHECK_FALSE(secure.accept());  // the handshake is refused: no pin, no CA
  CHECK(bot.wait([](const auto& s) { return s.last_error.find("certificate verify failed") != std::string::npos; }));
  CHECK(bot.status().state != ClientState::Registered);
}

TEST_CASE("scripted: CTCP VERSION and PING are answered by NOTICE", "[irc][scripted][ctcp]") {
  ScriptedServer server;
  BotRunner bot(bot_config("127.0.0.1", server.port(), false, {}));
  REQUIRE(server.accept());
  register_client(server);
  REQUIRE(server.expect("USERHOST"));
  server.send(":alice!a@host PRIVMSG opsbot :\x01VERSION\x01");
  const auto version = server.expect("NOTICE alice :\x01VERSION chatops-bot ");
  CHECK(version);
  server.send(":alice!a@host PRIVMSG opsbot :\x01PING 42\x01");
  CHECK(server.read_line() == "NOTICE alice :\x01PING 42\x01");
}

TEST_CASE("scripted: cap-notify, account-notify and away-notify are requested and followed", "[irc][scripted]") {
  ScriptedServer server;
  BotRunner bot(bot_config("127.0.0.1", server.port(), false, {}));
  REQUIRE(server.accept());
  REQUIRE(server.expect("CAP LS 302"));
  server.send(":irc.test CAP * LS :cap-notify account-notify away-notify extended-join account-tag");
  CHECK(server.expect("CAP REQ ") == "CAP REQ :account-tag extended-join cap-notify account-notify away-notify");
  server.send(":irc.test CAP opsbot ACK :account-tag extended-join cap-notify account-notify away-notify");
  REQUIRE(server.expect("CAP END"));
  server.send("001 opsbot :Welcome");
  REQUIRE(server.expect("USERHOST"));
  server.send(":irc.test CAP opsbot NEW :echo-message");
  CHECK(server.read_line() == "CAP REQ echo-message");
  server.send(":irc.test CAP opsbot ACK :echo-message");
  CHECK(bot.wait([](const auto& s) { return s.echo_message; }));
  server.send(":irc.test CAP opsbot DEL :echo-message");
  CHECK(bot.wait([](const auto& s) { return !s.echo_message; }));
}

TEST_CASE("scripted: NickServ IDENTIFY only after the service's host matched", "[irc][scripted][nickserv]") {
  ScriptedServer server;
  auto config = bot_config("127.0.0.1", server.port(), false, {});
  config.nickserv = {"nspw", "NickServ", "NickServ!NickServ@services.*"};
  BotRunner bot(config);
  REQUIRE(server.accept());
  register_client(server);
  REQUIRE(server.expect("USERHOST opsbot"));
  REQUIRE(server.expect("USERHOST NickServ"));

  SECTION("an impostor on a network without services gets nothing") {
    server.send(":irc.test 302 opsbot :NickServ=+~mallory@203.0.113.9");
    expect_nothing_before_pong(server, "after-impostor");
  }
  SECTION("the real service gets the password") {
    server.send(":irc.test 302 opsbot :NickServ=+NickServ@services.test");
    CHECK(server.read_line() == "PRIVMSG NickServ :IDENTIFY opsbot nspw");
  }
}
