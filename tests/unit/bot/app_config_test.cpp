#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "bot/app_config.hpp"

using namespace chatops;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::string("/tmp/chatops-app-config-") + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

// What loading the config at `path` refuses (the test fails if it is accepted).
std::string problems_of(const std::string& path) {
  auto config = bot::load_app_config(path);
  REQUIRE_FALSE(config.has_value());
  return config.error().message;
}
}  // namespace

TEST_CASE("the shipped config.yml is valid", "[config]") {
  auto config = bot::load_app_config(std::string(CHATOPS_SOURCE_DIR) + "/config.yml");
  INFO((config ? "" : config.error().message));
  REQUIRE(config.has_value());
  REQUIRE(config->root.map("irc").str("nick") == "opsbot");
}

TEST_CASE("docs/configuration.md is what the declarations say", "[config][docs]") {
  // Regenerate with: build/chatops-bot --config-reference > docs/configuration.md
  REQUIRE(slurp(std::string(CHATOPS_SOURCE_DIR) + "/docs/configuration.md") == bot::config_reference());
}

TEST_CASE("every problem of a config is reported with file:line:column", "[config]") {
  auto path = write_temp("bad.yml",
                         "irc:\n"
                         "  servers: [{host: irc.example.org}]\n"
                         "  nick: bot\n"
                         "  nik: typo\n"
                         "sources:\n"
                         "  - {name: gh, kind: webhook, provider: gitbucket, path: /x}\n"
                         "  - {name: q, kind: carrier-pigeon}\n"
                         "binds:\n"
                         "  - {type: webhook, mask: \"x\", say: {to: [\"#ops\"], template: \"{{#open}}\"}}\n");
  const auto message = problems_of(path);
  INFO(message);
  CHECK(message.find(path + ":4:3:") != std::string::npos);  // unknown key nik
  CHECK(message.find("did you mean") != std::string::npos);
  CHECK(message.find(path + ":6:") != std::string::npos);    // unknown provider
  CHECK(message.find("gitbucket") != std::string::npos);
  CHECK(message.find(path + ":7:") != std::string::npos);    // unknown kind
  CHECK(message.find("carrier-pigeon") != std::string::npos);
  CHECK(message.find(path + ":9:") != std::string::npos);    // template that does not compile
}

TEST_CASE("an unset environment variable in the config stops start-up with its position", "[config]") {
  ::unsetenv("CHATOPS_TEST_UNSET_VARIABLE");
  auto path = write_temp("env.yml",
                         "irc:\n"
                         "  servers: [{host: irc.example.org}]\n"
                         "  nick: \"${CHATOPS_TEST_UNSET_VARIABLE}\"\n");
  const auto message = problems_of(path);
  CHECK(message.find(path + ":3:") != std::string::npos);
  CHECK(message.find("CHATOPS_TEST_UNSET_VARIABLE") != std::string::npos);
}

TEST_CASE("a bind's source must name a configured source", "[config]") {
  auto path = write_temp("sources.yml",
                         "irc:\n"
                         "  servers: [{host: irc.example.org}]\n"
                         "  nick: bot\n"
                         "sources:\n"
                         "  - {name: github, kind: webhook, provider: github, path: /h, secret: s}\n"
                         "binds:\n"
                         "  - {type: webhook, mask: \"*\", source: github, say: {to: [\"#ops\"]}}\n"
                         "  - {type: webhook, mask: \"*\", source: githib, say: {to: [\"#ops\"]}}\n"
                         "  - {type: webhook, mask: \"*\", source: nowhere, say: {to: [\"#ops\"]}}\n");
  const auto message = problems_of(path);
  INFO(message);
  CHECK(message.find(path + ":7:") == std::string::npos);  // github exists
  CHECK(message.find(path + ":8:") != std::string::npos);
  CHECK(message.find("no source is named \"githib\" (did you mean \"github\"?)") != std::string::npos);
  CHECK(message.find(path + ":9:") != std::string::npos);
  CHECK(message.find("no source is named \"nowhere\"") != std::string::npos);
}

TEST_CASE("templates with partials or set-delimiter tags stop start-up, in binds and in sources", "[config]") {
  auto path = write_temp("partials.yml",
                         "irc:\n"
                         "  servers: [{host: irc.example.org}]\n"
                         "  nick: bot\n"
                         "sources:\n"
                         "  - {name: hooks, kind: webhook, provider: generic, path: /x, topic: t/x,\n"
                         "     allow_unauthenticated: true, template: \"R {{  >msg}}\"}\n"
                         "binds:\n"
                         "  - {type: webhook, mask: \"t/*\", say: {to: [\"#ops\"], template: \"{{\\t>msg}}\"}}\n"
                         "  - {type: webhook, mask: \"t/*\", say: {to: [\"#ops\"], template: \"{{=<% %>=}}<%>msg%>\"}}\n");
  auto config = bot::load_app_config(path);
  REQUIRE_FALSE(config.has_value());
  const auto& message = config.error().message;
  INFO(message);
  CHECK(message.find(path + ":6:") != std::string::npos);  // the source's template
  CHECK(message.find("sources[0].template: template does not compile: partials") != std::string::npos);
  CHECK(message.find(path + ":8:") != std::string::npos);
  CHECK(message.find("binds[0].say.template: template does not compile: partials") != std::string::npos);
  CHECK(message.find(path + ":9:") != std::string::npos);
  CHECK(message.find("binds[1].say.template: template does not compile: set-delimiter") != std::string::npos);
}

TEST_CASE("a source name read from the environment is never offered as a \"did you mean\"", "[config]") {
  ::setenv("CHATOPS_TEST_SOURCE_NAME", "github-SECRET-name", 1);
  auto path = write_temp("env-sources.yml",
                         "irc:\n"
                         "  servers: [{host: irc.example.org}]\n"
                         "  nick: bot\n"
                         "sources:\n"
                         "  - {name: \"${CHATOPS_TEST_SOURCE_NAME}\", kind: webhook, provider: github, path: /h, secret: s}\n"
                         "binds:\n"
                         "  - {type: webhook, mask: \"*\", source: github-secret-nam, say: {to: [\"#ops\"]}}\n");
  auto config = bot::load_app_config(path);
  REQUIRE_FALSE(config.has_value());
  const auto& message = config.error().message;
  INFO(message);
  CHECK(message.find("SECRET") == std::string::npos);
  CHECK(message.find("binds[0].source: no source is named \"github-secret-nam\"") != std::string::npos);
}

TEST_CASE("the check runs what start-up runs and tells every problem once, in the order of the file", "[config][check]") {
  ::unsetenv("CHATOPS_TEST_UNSET_SECRET");
  auto path = write_temp("check.yml",
                         "irc:\n"
                         "  servers: [{host: irc.example.org}]\n"
                         "  nick: bot\n"
                         "  reconnect: {initial: 2}\n"
                         "  ca_file: /nonexistent/chatops-ca.pem\n"
                         "http:\n"
                         "  listen: \"localhost:8080\"\n"
                         "sources:\n"
                         "  - {name: am, kind: webhook, provider: alertmanager, path: /hooks/am}\n"
                         "  - {name: jk, kind: webhook, provider: jenkins, path: /hooks/am, token: t}\n"
                         "  - {name: gh, kind: webhook, provider: githib, path: /hooks/gh, secret: s}\n"
                         "  - {name: pd, kind: webhook, provider: pagerduty, path: /metrics, secret: \"${CHATOPS_TEST_UNSET_SECRET}\"}\n"
                         "log: {level: info, format: jsn}\n");
  CHECK(problems_of(path) ==
        path + ":4:24: irc.reconnect.initial: a duration needs a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m, 2h, 1d), got \"2\"\n" +
        path + ":5:12: irc.ca_file: no such file: /nonexistent/chatops-ca.pem\n" +
        path + ":7:11: http.listen: expected an IP address before the port (e.g. 127.0.0.1, 0.0.0.0, [::1]), got \"localhost\"\n" +
        path + ":9:5: sources[0]: an alertmanager source needs bearer_token or basic_auth (Alertmanager signs nothing; "
               "anyone could post alerts otherwise)\n" +
        path + ":10:56: sources[1].path: source 'am' has path /hooks/am already\n" +
        path + ":11:41: sources[2].provider: unknown provider \"githib\" (did you mean \"github\"?); known: github, "
               "generic, gitlab, jenkins, alertmanager, pagerduty\n" +
        path + ":12:58: sources[3].path: /metrics is one of the bot's own paths (/healthz…, /metrics)\n" +
        path + ":12:76: sources[3].secret: environment variable CHATOPS_TEST_UNSET_SECRET is not set (write "
               "${CHATOPS_TEST_UNSET_SECRET:-default} for a default)\n" +
        path + ":13:28: log.format: expected one of text, json, got \"jsn\" (did you mean \"json\"?)");
}

TEST_CASE("a place whose ${NAME} is unset has that problem only, not its consequences", "[config][check]") {
  ::unsetenv("CHATOPS_TEST_UNSET_PORT");
  auto path = write_temp("port.yml",
                         "irc:\n"
                         "  servers: [{host: irc.example.org, port: \"${CHATOPS_TEST_UNSET_PORT}\"}]\n"
                         "  nick: bot\n");
  // Not also "expected an integer, got ${CHATOPS_TEST_UNSET_PORT}" at the same place.
  CHECK(problems_of(path) == path + ":2:43: irc.servers[0].port: environment variable CHATOPS_TEST_UNSET_PORT is "
                                         "not set (write ${CHATOPS_TEST_UNSET_PORT:-default} for a default)");
}

TEST_CASE("a bad commands: section stops start-up with file:line:column", "[config][commands]") {
  const std::string head = "irc:\n  servers: [{host: irc.example.org}]\n  nick: bot\ncommands:\n";
  auto prefix = problems_of(write_temp("commands-prefix.yml", head + "  prefix: \"! \"\n"));
  CHECK_THAT(prefix, Catch::Contains("commands-prefix.yml:5:") &&
                         Catch::Contains("a prefix is at most 3 characters, without spaces"));
  auto flags = problems_of(write_temp("commands-flags.yml", head + "  control_flags: \"m|m|m\"\n"));
  CHECK_THAT(flags, Catch::Contains("commands-flags.yml:5:") && Catch::Contains("at most one '|' or '&'"));
  auto burst = problems_of(write_temp("commands-burst.yml", head + "  user_burst: 0\n"));
  CHECK_THAT(burst, Catch::Contains("commands-burst.yml:5:") && Catch::Contains("between 1 and 100"));
}

TEST_CASE("a bad alertmanager: section stops start-up with file:line:column, its secret unsaid",
          "[config][commands][alertmanager]") {
  const std::string head = "irc:\n  servers: [{host: irc.example.org}]\n  nick: bot\nalertmanager:\n";
  auto url = problems_of(write_temp("am-url.yml", head + "  url: \"ftp://am:9093\"\n"));
  CHECK_THAT(url, Catch::Contains("am-url.yml:5:"));
  auto auth = problems_of(write_temp("am-auth.yml", head + "  url: http://am:9093\n  auth: {type: bearer, key: s3cr3t-t0ken}\n"));
  CHECK_THAT(auth, Catch::Contains("am-auth.yml:6:"));
  CHECK_THAT(auth, !Catch::Contains("s3cr3t-t0ken"));
  CHECK(bot::load_app_config(write_temp("am-ok.yml", head + "  url: http://127.0.0.1:9093\n  timeout: 2s\n")));
}
