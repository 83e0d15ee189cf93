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
  CHECK(c->sasl.mechanism == irc::SaslMechanism::None);
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
  nickserv: {password: nspw}
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
  CHECK(c->sasl.mechanism == irc::SaslMechanism::Plain);
  CHECK(c->sasl.username == "acct");
  CHECK(c->sasl_required);
  CHECK(c->nickserv.password == "nspw");
  CHECK(c->nickserv.service == "NickServ");
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
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl_required: true\n").has_value());
  CHECK_FALSE(load("irc:\n  servers: [{host: a}]\n  nick: bot\n  reconnect: {initial: 60s, max: 10s}\n").has_value());
  const auto error = load("irc:\n  servers: [{host: a}]\n  nick: bot\n  sasl: {mechanism: EXTERNAL}\n");
  REQUIRE_FALSE(error.has_value());
  CHECK(error.error().message.find("test.yml:") != std::string::npos);
}
