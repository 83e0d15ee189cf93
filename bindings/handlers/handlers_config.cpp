#include "bindings/handlers/handlers_config.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatops::bindings::handlers {

namespace {
constexpr std::uintmax_t kMaxScriptBytes = 1u << 20;

config::Schema lua_limits_schema() {
  config::Schema s("lua", "Limits of each Lua handler.");
  s.field("max_memory", config::Kind::Size, "Memory one script's state may hold; past it the call fails.")
      .fallback("8MiB")
      .range(64 * 1024, 1024.0 * 1024 * 1024);
  s.field("max_instructions", config::Kind::Integer, "Lua instructions one call may run (counted in steps of 1000).")
      .fallback("10000000")
      .range(1000, 1e12);
  s.field("max_time", config::Kind::Duration, "Wall time one call may take (checked every 1000 instructions).")
      .fallback("1s")
      .range(0.001, 60);
  return s;
}

config::Schema programs_schema() {
  config::Schema s("programs", "How program handlers run.");
  s.field("max_running", config::Kind::Integer, "Programs running at once, for all binds.").fallback("4").range(1, 64);
  s.field("max_waiting", config::Kind::Integer,
          "Programs queued behind them; an IRC trigger past that is refused, an event waits in the journal.")
      .fallback("64")
      .range(0, 10000);
  s.field("max_output", config::Kind::Size,
          "Bytes of standard output read from one run; a program writing more is stopped (what came before is said).")
      .fallback("64KiB")
      .range(1, 64.0 * 1024 * 1024);
  return s;
}

Result<std::string> read_script(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail("cannot read " + path + ": " + ec.message());
  if (size > kMaxScriptBytes) return fail(path + " is larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return fail("cannot read " + path);
  return text.str();
}
}  // namespace

config::Schema handlers_schema() {
  config::Schema s("handlers", "Limits of Lua and program handlers of binds (docs/handlers.md).");
  s.field("lua", config::Kind::Map, "Lua handlers.").schema(lua_limits_schema()).fallback("{}");
  s.field("programs", config::Kind::Map, "Program handlers.").schema(programs_schema()).fallback("{}");
  return s;
}

config::Schema lua_schema() {
  config::Schema s("lua", "Run a Lua 5.4 function in a sandbox; what it returns is said (docs/handlers.md).");
  s.field("file", config::Kind::String, "The script (read at start-up). Either `file` or `code`.")
      .example("handlers/uptime.lua");
  s.field("code", config::Kind::String, "The script itself, for short ones. It sees the trigger as `event`.")
      .example("\"return 'pong, ' .. event.nick\"");
  s.field("function", config::Kind::String,
          "A global function the script defines, called with the trigger as its argument. Without it the "
          "script itself runs at each trigger, with the trigger as `event`.")
      .example("on_push");
  return s;
}

config::Schema run_schema() {
  config::Schema s("run",
                   "Run a program (no shell) with the trigger as JSON on its standard input; its output lines are "
                   "said (docs/handlers.md).");
  s.field("argv", config::Kind::List, "The program and its arguments. A name without `/` is looked up in "
                                      "/usr/local/bin, /usr/bin and /bin.")
      .items(config::Kind::String)
      .required()
      .example("[/usr/local/bin/deploy-status, --short]");
  s.field("pass_args", config::Kind::Boolean,
          "Append the command's words to `argv` (pub and msg binds). They are the words people typed: the program "
          "must treat them as data (one may start with `-`).")
      .fallback("false");
  s.field("env", config::Kind::Map,
          "Environment variables besides PATH and LANG (nothing else of the bot's environment is passed).")
      .fallback("{}")
      .example("{DEPLOY_TOKEN: \"${DEPLOY_TOKEN}\"}");
  s.field("timeout", config::Kind::Duration, "How long it may run; then its process group is killed.")
      .fallback("10s")
      .range(0.01, 3600);
  return s;
}

HandlerOptions handler_options(const config::Node& section) {
  HandlerOptions out;
  const auto lua = section.map("lua");
  out.lua.max_memory = lua.size("max_memory");
  out.lua.max_instructions = static_cast<std::uint64_t>(lua.integer("max_instructions"));
  out.lua.max_time = lua.duration("max_time");
  const auto programs = section.map("programs");
  out.programs.max_running = static_cast<std::size_t>(programs.integer("max_running"));
  out.programs.max_waiting = static_cast<std::size_t>(programs.integer("max_waiting"));
  out.max_output = programs.size("max_output");
  return out;
}

Result<LuaSpec> parse_lua(const config::Node& lua, const std::string& name) {
  if (lua.has("file") == lua.has("code")) return std::unexpected(lua.error("give either `file` or `code`"));
  LuaSpec spec;
  if (lua.has("function")) spec.function = lua.str("function");
  if (lua.has("file")) {
    spec.chunk_name = lua.str("file");
    auto text = read_script(spec.chunk_name);
    if (!text) return std::unexpected(lua["file"].error(text.error().message));
    spec.source = std::move(*text);
  } else {
    spec.chunk_name = name;
    spec.source = lua.str("code");
  }
  if (auto compiled = LuaScript::check_syntax(spec.source, spec.chunk_name); !compiled)
    return std::unexpected(lua[lua.has("file") ? "file" : "code"].error(compiled.error().message));
  return spec;
}

Result<RunSpec> parse_run(const config::Node& run) {
  RunSpec spec;
  spec.program.argv = run.strings("argv");
  if (spec.program.argv.empty()) return std::unexpected(run["argv"].error("the program to run is missing"));
  auto program = resolve_program(spec.program.argv.front());
  if (!program) return std::unexpected(run["argv"].error(program.error().message));
  spec.program.argv.front() = *program;
  spec.pass_args = run.boolean("pass_args");
  spec.program.timeout = run.duration("timeout");
  const auto env = run.map("env");
  for (const auto& key : env.keys()) {
    const auto value = env[key];
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos)
      return std::unexpected(value.error("not an environment variable name"));
    if (!value.is_scalar()) return std::unexpected(value.error("expected a string"));
    const auto text = value.scalar();
    if (text.find('\0') != std::string::npos) return std::unexpected(value.error("holds a NUL byte"));
    spec.program.env[key] = text;
  }
  return spec;
}

}  // namespace chatops::bindings::handlers
