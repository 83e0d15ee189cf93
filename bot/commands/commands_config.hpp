#pragma once
// The `commands:` section: the command prefix, who may run the built-ins, rate limits and how long
// an answer may be in a channel.
#include "bot/commands/builtins.hpp"
#include "bot/commands/command.hpp"
#include "core/config/node.hpp"
#include "core/config/schema.hpp"

namespace chatops::bot {

config::Schema commands_schema();

struct CommandsConfig {
  CommandOptions options;
  BuiltinFlags flags;
};

// From the validated section; fails (with file:line:column) on invalid flags or prefix.
Result<CommandsConfig> commands_config(const config::Node& section);

}  // namespace chatops::bot
