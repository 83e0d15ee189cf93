#include "tests/integration/e2e/bot_config.hpp"

namespace chatops::test {

std::string bot_config_yaml(const BotConfig& c) {
  return "log: " + c.log + "\n"
         "irc:\n"
         "  servers: [{host: 127.0.0.1, port: " + std::to_string(c.irc_port) + ", tls: false}]\n"
         "  nick: " + c.nick + "\n"
         "  channels: [\"" + c.channel + "\"]\n"
         "  flood: " + c.flood + "\n"
         "  reconnect: {initial: 200ms, max: 2s}\n"
         "http:\n"
         "  listen: 127.0.0.1:{{http_port}}\n"
         "storage:\n"
         "  path: {{dir}}/chatops.db\n"
         "sources:\n" + c.sources +
         "binds:\n" + c.binds + c.extra;
}

std::string github_source(const std::string& secret) {
  return "  - {name: github, kind: webhook, provider: github, path: /hooks/github, secret: \"" + secret + "\"}\n";
}

BotConfig github_to_ops() {
  BotConfig c;
  c.sources = github_source();
  c.binds = "  - {type: webhook, mask: \"github/*\", say: {to: [\"#ops\"]}}\n";
  return c;
}

}  // namespace chatops::test
