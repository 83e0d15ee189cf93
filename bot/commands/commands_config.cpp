#include "bot/commands/commands_config.hpp"

#include <chrono>

#include "bindings/flags.hpp"

namespace chatops::bot {

config::Schema commands_schema() {
  config::Schema s("commands", "Commands said in a channel (`!status`, `opsbot: status`) or privately (docs/commands.md).");
  s.field("prefix", config::Kind::String, "What a command starts with in a channel: `!status`. Up to 3 characters, no spaces.")
      .fallback("\"!\"");
  s.field("read_flags", config::Kind::String, "Flags needed for status, sources, binds and history.").fallback("\"o|o\"");
  s.field("control_flags", config::Kind::String, "Flags needed for pause, resume, mute and unmute.").fallback("\"m|m\"");
  s.field("owner_flags", config::Kind::String, "Flags needed for reload, users, whois, adduser, deluser and chattr.")
      .fallback("\"n\"");
  s.field("alert_flags", config::Kind::String, "Flags needed for ack, silence, silences and unsilence (Alertmanager alerts).").fallback("\"o|o\"");
  s.field("max_channel_lines", config::Kind::Integer,
          "Lines an answer may take in a channel; a longer one goes to the asker by private NOTICE.")
      .fallback("4")
      .range(1, 50);
  s.field("user_burst", config::Kind::Integer, "Commands one user may send at once before the rate applies.")
      .fallback("4")
      .range(1, 100);
  s.field("user_interval", config::Kind::Duration,
          "Then one command per this interval per user; commands over the limit get no answer.")
      .fallback("4s")
      .range(0, 3600);
  s.field("channel_burst", config::Kind::Integer, "Commands answered in one channel at once.").fallback("6").range(1, 100);
  s.field("channel_interval", config::Kind::Duration, "Then one per this interval per channel.")
      .fallback("2s")
      .range(0, 3600);
  return s;
}

namespace {
double per_second(std::chrono::milliseconds interval) {
  // 0 means no limit beyond the burst refilling at once.
  return interval.count() <= 0 ? 1000.0 : 1000.0 / static_cast<double>(interval.count());
}
}  // namespace

Result<CommandsConfig> commands_config(const config::Node& section) {
  CommandsConfig c;
  c.options.prefix = section.str("prefix");
  if (c.options.prefix.size() > 3 || c.options.prefix.find_first_of(" \t\r\n") != std::string::npos)
    return std::unexpected(section["prefix"].error("a prefix is at most 3 characters, without spaces"));
  for (const char* key : {"read_flags", "control_flags", "owner_flags", "alert_flags"})
    if (auto flags = bindings::FlagMask::parse(section.str(key)); !flags)
      return std::unexpected(section[key].error(flags.error().message));
  c.flags.read = section.str("read_flags");
  c.flags.control = section.str("control_flags");
  c.flags.owner = section.str("owner_flags");
  c.flags.alerts = section.str("alert_flags");
  c.options.max_channel_lines = static_cast<std::size_t>(section.integer("max_channel_lines"));
  c.options.user_burst = static_cast<double>(section.integer("user_burst"));
  c.options.user_rate = per_second(section.duration("user_interval"));
  c.options.channel_burst = static_cast<double>(section.integer("channel_burst"));
  c.options.channel_rate = per_second(section.duration("channel_interval"));
  return c;
}

}  // namespace chatops::bot
