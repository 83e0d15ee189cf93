#include <catch2/catch.hpp>

#include "core/config/schema.hpp"

using namespace chatops::config;

TEST_CASE("the markdown reference of a schema has a table per schema and a section per nested one", "[config]") {
  Schema channel("channel", "A channel to join.");
  channel.field("name", Kind::String, "Channel name.").required();
  channel.field("key", Kind::Secret, "Channel key.").fallback("\"\"");
  Schema irc("irc", "The IRC connection.");
  irc.field("nick", Kind::String, "Nickname the bot asks for.").required();
  irc.field("port", Kind::Integer, "TCP port.").fallback("6697").range(1, 65535);
  irc.field("ping", Kind::Duration, "Ping interval.").fallback("2m").range(10, 3600);
  irc.field("mechanism", Kind::String, "SASL mechanism.").one_of({"PLAIN", "EXTERNAL"}).fallback("PLAIN");
  irc.field("password", Kind::Secret, "SASL password.").example("\"${IRC_SASL_PASSWORD}\"");
  irc.field("flags", Kind::String, "Flags, `global|channel`.").fallback("\"-|-\"");
  irc.field("alt_nicks", Kind::List, "Alternative nicks.").items(Kind::String).fallback("[]");
  irc.field("channels", Kind::List, "Channels.").items(channel).allow_string_shorthand("name");

  REQUIRE(to_markdown(irc, 2) ==
          "## irc\n"
          "\n"
          "The IRC connection.\n"
          "\n"
          "| key | type | default | description |\n"
          "|---|---|---|---|\n"
          "| `nick` | string | required | Nickname the bot asks for. |\n"
          "| `port` | integer | `6697` | TCP port. Between 1 and 65535. |\n"
          "| `ping` | duration | `2m` | Ping interval. Between 10s and 3600s. |\n"
          "| `mechanism` | string | `PLAIN` | SASL mechanism. One of: `PLAIN`, `EXTERNAL`. |\n"
          "| `password` | secret |  | SASL password. Example: `\"${IRC_SASL_PASSWORD}\"`. |\n"
          "| `flags` | string | `\"-\\|-\"` | Flags, `global\\|channel`. |\n"
          "| `alt_nicks` | list of strings | `[]` | Alternative nicks. |\n"
          "| `channels` | list of maps |  | Channels. A plain string `s` means `{name: s}`. "
          "See [irc.channels](#ircchannels). |\n"
          "\n"
          "### irc.channels\n"
          "\n"
          "A channel to join.\n"
          "\n"
          "| key | type | default | description |\n"
          "|---|---|---|---|\n"
          "| `name` | string | required | Channel name. |\n"
          "| `key` | secret | `\"\"` | Channel key. |\n");
}
