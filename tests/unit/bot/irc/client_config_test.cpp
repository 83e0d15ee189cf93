#include "bot/irc/client_config.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace chatops;
using namespace std::chrono_literals;

namespace {

Result<irc::ClientConfig> load(const std::string& yaml) {
  auto doc = config::load_string(yaml, "test.yml");
  REQUIRE(doc.has_value());
  auto section = config::validate(irc::client_schema(), (*doc)["irc"]);
  if (!section) return std::unexpected(section.error());
  return irc::ClientConfig::from(*section);
}

}  // namespace

TEST_CASE("irc config: defaults", "[irc][config]") {
  auto c = load("irc:\n  servers: [{host: irc.example.org}]\n  nick: opsbot\n");
  REQUIRE(c.has_value());
  REQUIRE(c->servers.size() == 1);
  CHECK(c->servers[0].port == 6697);
  CHECK(c->servers[0].tls);
  CHECK(c->username == "opsbot");
  CHECK_FALSE(c->sasl.enabled());
  CHECK(c->tls.fingerprints.empty());
  CHECK_FALSE(c->sasl_required);
  CHECK(c->rejoin_on_kick);
  CHECK(c->flood_burst == 4);
  CHECK(c->flood_rate == 1.0);
  CHECK(c->connect_timeout == 15s);
  CHECK(c->ping_interval == 60s);
  CHECK(c->ping_timeout == 30s);
  CHECK(c->reconnect_initial == 2s);
  CHECK(c->reconnect_max == 120s);
  CHECK(c->reconnect_jitter == Approx(0.2));
  CHECK(c->tls.verify);
  CHECK(c->tls.ca_file.empty());
  CHECK(c->max_queue == 10000);
  CHECK(c->nickserv.password.empty());
}

TEST_CASE("irc config: everything set, channel shorthand", "[irc][config]") {
  auto c = load(R"(irc:
  servers:
    - {host: a.example.org, port: 6667, tls: false}
    - {host: b.example.org}
  nick: opsbot
  alt_nicks: [opsbot_, opsbot__]
  username: ops
  realname: The bot
  password: serverpw
  sasl: {mechanism: PLAIN, username: acct, password: pw}
  sasl_required: true
  nickserv: {password: nspw, service: NickServ@services.example.org}
  channels: ["#ops", {name: "#dev", key: devkey}]
  rejoin_on_kick: false
  flood: {burst: 8, rate: 2.5}
  timeouts: {connect: 5s, ping_interval: 90s, ping_timeout: 10s}
  reconnect: {initial: 500ms, max: 30s, jitter: 0.5}
  ca_file: /tmp/ca.pem
  client_cert: /tmp/bot.pem
  tls_verify: false
  max_queue: 500
)");
  REQUIRE(c.has_value());
  CHECK(c->servers.size() == 2);
  CHECK(c->servers[0].port == 6667);
  CHECK_FALSE(c->servers[0].tls);
  CHECK(c->alt_nicks == std::vector<std::string>{"opsbot_", "opsbot__"});
  CHECK(c->password == "serverpw");
  CHECK(c->sasl.mechanisms == std::vector{irc::SaslMechanism::Plain});
  CHECK(c->sasl.username == "acct");
  CHECK(c->sasl_required);
  CHECK(c->nickserv.password == "nspw");
  CHECK(c->nickserv.service == "NickServ@services.example.org");
  REQUIRE(c->channels.size() == 2);
  CHECK(c->channels[0].name == "#ops");
  CHECK(c->channels[0].key.empty());
  CHECK(c->channels[1].key == "devkey");
  CHECK_FALSE(c->rejoin_on_kick);
  CHECK(c->flood_burst == 8);
  CHECK(c->flood_rate == 2.5);
  CHECK(c->connect_timeout == 5s);
  CHECK(c->reconnect_initial == 500ms);
  CHECK(c->reconnect_jitter == Approx(0.5));
  CHECK(c->tls.client_cert == "/tmp/bot.pem");
  CHECK_FALSE(c->tls.verify);
  CHECK(c->max_queue == 500);
}

TEST_CASE("irc config: errors", "[irc][config]") {
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n").has_value());  // nick missing
  CHECK_FALSE(load("irc:\n  servers: []\n  nick: bot\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a, port: 70000}]\n  nick: bot\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl: {mechanism: PLAIN, username: u}\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl: {mechanism: EXTERNAL}\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl: {mechanism: SCRAM}\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl: {mechanism: ECDSA-NIST256P-CHALLENGE, username: u}\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl_required: true\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  reconnect: {initial: 60s, max: 10s}\n").has_value());
  const auto error = load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl: {mechanism: EXTERNAL}\n");
  REQUIRE_FALSE(error.has_value());
  CHECK(error.error().message.find("test.yml:") != std::string::npos);
}

namespace {

std::string error_of(const std::string& yaml) {
  const auto c = load(yaml);
  REQUIRE_FALSE(c.has_value());
  return c.error().message;
}

const std::string kBase = "irc:\n  servers: [{host: irc.example.org}]\n";

}  // namespace

TEST_CASE("irc config: sasl.mechanisms in order, mechanism still accepted", "[irc][config]") {
  auto both = load(kBase + "  nick: bot\n  sasl: {mechanisms: [SCRAM-SHA-256, PLAIN], username: u, password: pw}\n");
  REQUIRE(both.has_value());
  CHECK(both->sasl.mechanisms == std::vector{irc::SaslMechanism::ScramSha256, irc::SaslMechanism::Plain});
  auto one = load(kBase + "  nick: bot\n  sasl: {mechanism: SCRAM-SHA-256, username: u, password: pw}\n");
  REQUIRE(one.has_value());
  CHECK(one->sasl.mechanisms == std::vector{irc::SaslMechanism::ScramSha256});
  auto implicit = load(kBase + "  nick: bot\n  sasl: {username: u, password: pw}\n");
  REQUIRE(implicit.has_value());
  CHECK(implicit->sasl.mechanisms == std::vector{irc::SaslMechanism::Plain});
  CHECK_THAT(error_of(kBase + "  nick: bot\n  sasl: {mechanism: PLAIN, mechanisms: [PLAIN], username: u, password: p}\n"),
             Catch::Contains("not both"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  sasl: {mechanisms: [PLAIN, PLAIN], username: u, password: p}\n"),
             Catch::Contains("twice"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  sasl: {mechanisms: [SCRAM-SHA-256], username: u, password: \"p\u00e9\"}\n"),
             Catch::Contains("printable ASCII"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  sasl: {mechanism: ECDSA-NIST256P-CHALLENGE, username: u, ecdsa_key: /nonexistent.pem}\n"),
             Catch::Contains("irc.sasl.ecdsa_key") && Catch::Contains("/nonexistent.pem"));
}

TEST_CASE("irc config: tls_fingerprints are normalised and checked", "[irc][config]") {
  const std::string hex = "E1EE6DE2DBC0D43E3B60407B5EE389AEC9D2C53178E0FB14CD51C3DFD544AA2B";
  std::string colons;
  for (std::size_t i = 0; i < hex.size(); i += 2) colons += (i ? ":" : "") + hex.substr(i, 2);
  auto c = load(kBase + "  nick: bot\n  tls_fingerprints: [" + hex + ", \"" + colons + "\"]\n");
  REQUIRE(c.has_value());
  REQUIRE(c->tls.fingerprints.size() == 2);
  CHECK(c->tls.fingerprints[0] == "e1ee6de2dbc0d43e3b60407b5ee389aec9d2c53178e0fb14cd51c3dfd544aa2b");
  CHECK(c->tls.fingerprints[1] == c->tls.fingerprints[0]);
  CHECK_THAT(error_of(kBase + "  nick: bot\n  tls_fingerprints: [abcd]\n"), Catch::Contains("irc.tls_fingerprints"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  tls_fingerprints: [" + hex + "]\n  tls_verify: false\n"),
             Catch::Contains("tls_verify"));
}

TEST_CASE("irc config: nick, username and channels are checked, not left to abort at connect", "[irc][config]") {
  CHECK_THAT(error_of(kBase + "  nick: bot\n  username: \"my user\"\n"),
             Catch::Contains("test.yml:4:") && Catch::Contains("irc.username") && Catch::Contains("spaces"));
  CHECK_THAT(error_of(kBase + "  nick: \"bot\\x01\"\n"), Catch::Contains("irc.nick"));
  CHECK_THAT(error_of(kBase + "  nick: " + std::string(65, 'b') + "\n"), Catch::Contains("longer than 64"));
  CHECK_THAT(error_of(kBase + "  nick: 9lives\n"), Catch::Contains("digit"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  alt_nicks: [\"bot two\"]\n"), Catch::Contains("irc.alt_nicks"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  channels: [\"#a b\"]\n"), Catch::Contains("irc.channels[0].name"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  channels: [ops]\n"), Catch::Contains("starts with #"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  channels: [\"#" + std::string(200, 'c') + "\"]\n"),
             Catch::Contains("longer than 200"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  channels: [{name: \"#a\", key: \"x y\"}]\n"),
             Catch::Contains("irc.channels[0].key"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  realname: \"a\\r\\nQUIT\"\n"), Catch::Contains("CR, LF or NUL"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  password: \"a\\nQUIT\"\n"), Catch::Contains("irc.password"));
  CHECK(load(kBase + "  nick: bot\n  username: ~ops\n  channels: [\"&local\", \"#\u00e9t\u00e9\"]\n").has_value());
  CHECK(load("irc:\n  servers: [{host: \"::1\"}]\n  nick: bot\n").has_value());
  CHECK_THAT(error_of("irc:\n  servers: [{host: \"a b\"}]\n  nick: bot\n"), Catch::Contains("irc.servers[0].host"));
  CHECK_THAT(error_of(kBase + "  nick: bot\n  sasl: {username: \"u\\0x\", password: pw}\n"), Catch::Contains("irc.sasl.username"));
}

TEST_CASE("irc config: NickServ needs a service the server vouches for", "[irc][config]") {
  CHECK_THAT(error_of(kBase + "  nick: bot\n  nickserv: {password: pw}\n"),
             Catch::Contains("irc.nickserv") && Catch::Contains("whoever holds the nick NickServ"));
  CHECK(load(kBase + "  nick: bot\n  nickserv: {password: pw, service: NickServ@services.libera.chat}\n").has_value());
  auto masked = load(kBase + "  nick: bot\n  nickserv: {password: pw, mask: \"NickServ!NickServ@services.*\"}\n");
  REQUIRE(masked.has_value());
  CHECK(masked->nickserv.mask == "NickServ!NickServ@services.*");
  CHECK(masked->nickserv.service == "NickServ");
}
