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
  auto config = bot::load_app_config(path);
  REQUIRE_FALSE(config.has_value());
  const auto& message = config.error().message;
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
  auto config = bot::load_app_config(path);
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().message.find(path + ":3:") != std::string::npos);
  CHECK(config.error().message.find("CHATOPS_TEST_UNSET_VARIABLE") != std::string::npos);
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
  auto config = bot::load_app_config(path);
  REQUIRE_FALSE(config.has_value());
  const auto& message = config.error().message;
  INFO(message);
  CHECK(message.find(path + ":7:") == std::string::npos);  // github exists
  CHECK(message.find(path + ":8:") != std::string::npos);
  CHECK(message.find("no source is named \"githib\" (did you mean \"github\"?)") != std::string::npos);
  CHECK(message.find(path + ":9:") != std::string::npos);
  CHECK(message.find("no source is named \"nowhere\"") != std::string::npos);
}
