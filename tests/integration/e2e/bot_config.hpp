#pragma once
// config.yml text for end-to-end tests: the bot on a test IRC server, webhooks on a free port,
// the journal in the test's temp dir.
#include <string>

namespace chatops::test {

struct BotConfig {
  int irc_port = 0;
  std::string log = "{level: debug}";  // the log: section
  std::string nick = "opsbot";
  std::string channel = "#ops";
  std::string flood = "{burst: 4, rate: 1.0}";
  std::string sources;  // YAML list items, indented by two spaces
  std::string binds;    // YAML list items, indented by two spaces
  std::string extra;    // more top-level sections
};

std::string bot_config_yaml(const BotConfig& c);

// A github source at /hooks/github with secret "s3cret" and a bind saying github/* to the channel.
std::string github_source(const std::string& secret = "s3cret");

// A bot with github_source() whose events (github/*) are said in #ops.
BotConfig github_to_ops();

}  // namespace chatops::test
