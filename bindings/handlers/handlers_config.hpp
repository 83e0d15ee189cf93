#pragma once
// The configuration of Lua and program handlers: the `handlers:` section (limits shared by every
// handler) and a bind's `lua:` and `run:` entries. docs/handlers.md.
#include <string>

#include "bindings/handlers/handler.hpp"
#include "core/config/node.hpp"
#include "core/config/schema.hpp"

namespace chatops::bindings::handlers {

config::Schema handlers_schema();  // the `handlers:` section
config::Schema lua_schema();       // a bind's `lua:`
config::Schema run_schema();       // a bind's `run:`

struct HandlerOptions {
  LuaLimits lua;
  ProgramPoolOptions programs;
  std::size_t max_output = 64u << 10;
};
HandlerOptions handler_options(const config::Node& section);

// A validated `lua:` entry: the script read and compiled (nothing runs). `name` is what inline code
// is called in errors ("binds[3]"). Errors carry the entry's file:line:column.
Result<LuaSpec> parse_lua(const config::Node& lua, const std::string& name);
// A validated `run:` entry: the program found and executable.
Result<RunSpec> parse_run(const config::Node& run);

}  // namespace chatops::bindings::handlers
