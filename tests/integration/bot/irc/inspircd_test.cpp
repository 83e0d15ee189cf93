// The client against InspIRCd + Atheme: SASL PLAIN success and failure, sasl_required, and the
// default flood control of a real network.
#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>

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
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
  CHECK(bot.status().sasl == "success");
  CHECK(bot.status().echo_message);
  // With echo-message, delivery is confirmed by the server's echo.
  auto delivered = bot.say("#ops", "authenticated hello");
  CHECK_FALSE(observer.wait_for(std::regex("authenticated hello"), "opsbot", "#ops").empty());
  REQUIRE(delivered.wait_for(30s) == std::future_status::ready);
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
    REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
    CHECK(bot.status().sasl == "failed");
  }
  SECTION("required: the bot quits and never joins") {
    BotRunner bot(sasl_config(server.port(), "wrong-password", true));
    REQUIRE(bot.wait([](const auto& s) { return s.sasl == "failed" && !s.last_error.empty(); }, 30s));
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
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));

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
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
  CHECK(bot.status().sasl == "success");
}

namespace {

// atheme-ecdsakeygen prints a P-256 key (PEM) and its public key in Atheme's format.
struct AthemeKey {
  std::filesystem::path pem;
  std::string public_key;
};

AthemeKey atheme_ecdsa_key(const TempDir& dir) {
  Process keygen({.argv = {"atheme-ecdsakeygen"}, .log_dir = dir.path(), .name = "ecdsakeygen"});
  REQUIRE(keygen.wait_exit(30s));
  const auto out = keygen.output();
  const auto begin = out.find("-----BEGIN EC PRIVATE KEY-----");
  const auto end = out.find("-----END EC PRIVATE KEY-----");
  const auto label = out.find("Public key (atheme format):");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  REQUIRE(label != std::string::npos);
  auto pem = dir.write("ecdsa.pem", out.substr(begin, end - begin) + "-----END EC PRIVATE KEY-----\n");
  std::string public_key;
  for (char c : out.substr(label + 27))
    if (!std::isspace(static_cast<unsigned char>(c))) public_key += c;
  return {pem, public_key};
}

// Asks WHOIS until it shows `nick` logged in to `account` (RPL_WHOISACCOUNT), up to 30 s.
bool logged_in_as(IrcTestClient& observer, const std::string& nick, const std::string& account) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    observer.send("WHOIS " + nick);
    const auto found = observer.wait_for_line(
        [&](const IrcLine& l) { return l.command == "330" && l.param(1) == nick && l.param(2) == account; }, 500ms);
    if (found) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("InspIRCd + Atheme: SASL ECDSA-NIST256P-CHALLENGE with a key from atheme-ecdsakeygen",
          "[irc][inspircd][sasl]") {
  InspircdWithServices server;
  server.register_account("opsbot", "correct-horse");
  const auto key = atheme_ecdsa_key(server.dir());
  {  // The account gets the public key, set while logged in with the password.
    IrcClientOptions o = observer_options(server.port());
    o.nick = "keyadder";
    o.sasl_user = "opsbot";
    o.sasl_password = "correct-horse";
    IrcTestClient adder(o);
    adder.privmsg("NickServ", "SET PUBKEY " + key.public_key);
    REQUIRE(adder.wait_for_line([](const IrcLine& l) {
      return l.command == "NOTICE" && l.nick == "NickServ" && l.param(1).find("ublic key") != std::string::npos;
    }).has_value());
  }
  auto config = bot_config("127.0.0.1", server.port(), false, {"#ops"});
  config.sasl.mechanisms = {irc::SaslMechanism::EcdsaNist256pChallenge};
  config.sasl.username = "opsbot";
  config.sasl.ecdsa_key = key.pem.string();
  config.sasl_required = true;
  BotRunner bot(config);
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
  CHECK(bot.status().sasl == "success");
  IrcTestClient observer(observer_options(server.port()));
  CHECK(logged_in_as(observer, "opsbot", "opsbot"));
}

TEST_CASE("InspIRCd + Atheme: SASL mechanisms in order, SCRAM-SHA-256, not offered, is skipped",
          "[irc][inspircd][sasl]") {
  InspircdWithServices server;
  server.register_account("opsbot", "correct-horse");
  auto config = sasl_config(server.port(), "correct-horse", true);
  config.sasl.mechanisms = {irc::SaslMechanism::ScramSha256, irc::SaslMechanism::Plain};
  BotRunner bot(config);
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
  CHECK(bot.status().sasl == "success");
}

TEST_CASE("InspIRCd + Atheme: NickServ IDENTIFY to a service the server vouches for", "[irc][inspircd][nickserv]") {
  InspircdWithServices server;
  server.register_account("opsbot", "correct-horse");
  auto config = bot_config("127.0.0.1", server.port(), false, {"#ops"});
  SECTION("Nick@server: delivered only to the services server's NickServ") {
    config.nickserv = {"correct-horse", "NickServ@" + server.services_name(), ""};
  }
  SECTION("a bare nick whose host matches the mask") {
    config.nickserv = {"correct-horse", "NickServ", "NickServ!NickServ@" + server.services_name()};
  }
  BotRunner bot(config);
  REQUIRE(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
  IrcTestClient observer(observer_options(server.port()));
  CHECK(logged_in_as(observer, "opsbot", "opsbot"));
}

TEST_CASE("InspIRCd TLS: a pinned certificate or public key is enough without the CA, another pin is refused",
          "[irc][inspircd][tls]") {
  InspircdOptions options;
  options.services = false;
  InspircdWithServices server(options);
  auto config = bot_config("127.0.0.1", server.tls_port(), true, {"#ops"});
  SECTION("the certificate's SHA-256") {
    config.tls.fingerprints = {cert_fingerprint(server.server_cert().cert)};
    BotRunner bot(config);
    CHECK(bot.wait([](const auto& s) { return registered_in(s, "#ops"); }, 30s));
  }
  SECTION("a certificate from the same CA that is not the server's") {
    config.tls.ca_file = server.ca_file().string();  // would pass without the pin
    config.tls.fingerprints = {cert_fingerprint(server.ca()->issue_server("other").cert)};
    BotRunner bot(config);
    REQUIRE(bot.wait([](const auto& s) { return !s.last_error.empty(); }, 30s));
    CHECK_THAT(bot.status().last_error, Catch::Contains("tls_fingerprints"));
    CHECK(bot.status().state != ClientState::Registered);
  }
}

TEST_CASE("InspIRCd STS: a plain connection is upgraded, the policy holds for the next start",
          "[irc][inspircd][sts][tls]") {
  InspircdOptions options;
  options.services = false;
  options.sts = true;
  InspircdWithServices server(options);
  irc::MemoryStsPolicyStore store;  // stands for the journal across the restart
  auto config = bot_config("localhost", server.port(), false, {"#ops"});
  config.tls.ca_file = server.ca_file().string();
  const auto on_tls = "localhost:" + std::to_string(server.tls_port());
  {
    BotRunner bot(config, &store);
    REQUIRE(bot.wait([&](const auto& s) { return registered_in(s, "#ops") && s.server == on_tls; }, 30s));
  }
  const auto policy = store.load("localhost");
  REQUIRE(policy);
  REQUIRE(policy->has_value());
  CHECK((*policy)->port == server.tls_port());
  CHECK((*policy)->duration == std::chrono::seconds(300));
  BotRunner restarted(config, &store);
  REQUIRE(restarted.wait([&](const auto& s) { return registered_in(s, "#ops"); }, 30s));
  CHECK(restarted.status().server == on_tls);
  CHECK(restarted.status().reconnects == 0);  // straight to TLS, no plain attempt first
}
