#pragma once
// A Lua 5.4 script as a bind handler, in a sandbox (docs/handlers.md):
//
// - Libraries: base, string, table, math, utf8, coroutine. No io, os, package/require, debug;
//   no load, loadfile, dofile, string.dump (no bytecode, no files), no print, no collectgarbage.
//   Scripts are loaded as text only.
// - Limits per call (and for the script's first run): memory through our allocator, instructions
//   and wall time through a count hook. A limit once hit cannot be caught by the script's pcall:
//   the hook then fires at every instruction until the call has unwound.
// - The event is a read-only table (a proxy: assigning to it is an error).
// - The handler returns what to say: nothing (nil), a string (one line or several), or a list of
//   strings (numbers are written as Lua writes them).
//
// Errors are values with the script's position ("uptime.lua:3: attempt to index a nil value"). A
// script that hit a limit is loaded afresh for the next call, so that what it left behind (a full
// heap) does not fail every call after it.
//
// Not thread-safe: one owner (the io thread).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace chatops::bindings::handlers {

struct LuaLimits {
  std::size_t max_memory = 8u << 20;            // bytes the script's state may hold
  std::uint64_t max_instructions = 10'000'000;  // per call
  std::chrono::milliseconds max_time{1000};     // per call
};

// The script's sandbox is the lua module's (chatops-lua.so, bindings/handlers/lua_script.cpp):
// Lua 5.4 is loaded only by a configuration that has a Lua handler.
class LuaScript {
 public:
  // `chunk_name` is what errors call the script ("handlers/uptime.lua"). With `function` empty the
  // script itself is the handler: it runs at each call with the event as `event` (and `...`).
  // Otherwise the script runs once here and the global function `function` is called with the
  // event at each call. A missing module is an error.
  static Result<std::unique_ptr<LuaScript>> load(std::string source, std::string chunk_name, std::string function,
                                                 LuaLimits limits);
  // Whether the text compiles (nothing runs): "handlers/uptime.lua:3: 'end' expected near <eof>".
  static Result<void> check_syntax(const std::string& source, const std::string& chunk_name);

  virtual ~LuaScript() = default;
  // Calls the handler with `event` as a read-only table; returns the lines it says.
  virtual Result<std::vector<std::string>> call(const nlohmann::json& event) = 0;
  // Bytes the script's state holds now.
  virtual std::size_t memory_used() const = 0;
};

// The lua module's table (chatops_module_lua).
struct LuaModule {
  Result<std::unique_ptr<LuaScript>> (*load)(std::string source, std::string chunk_name, std::string function,
                                             LuaLimits limits);
  Result<void> (*check_syntax)(const std::string& source, const std::string& chunk_name);
};

}  // namespace chatops::bindings::handlers
