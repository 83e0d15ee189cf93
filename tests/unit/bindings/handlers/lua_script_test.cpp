// The Lua sandbox of bind handlers: what scripts may use, the limits that stop them, the errors
// they report, and the event they see.
#include <catch2/catch.hpp>

#include "bindings/handlers/lua_script.hpp"

using namespace chatops::bindings::handlers;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<LuaScript> lua_handler(const std::string& code, LuaLimits limits = {}, const std::string& function = "") {
  auto script = LuaScript::load(code, "test.lua", function, limits);
  INFO((script ? "" : script.error().message));
  REQUIRE(script);
  return std::move(*script);
}

std::string lua_failure(LuaScript& script, const nlohmann::json& event = nlohmann::json::object()) {
  auto said = script.call(event);
  REQUIRE_FALSE(said);
  return said.error().message;
}

std::vector<std::string> lua_said(LuaScript& script, const nlohmann::json& event = nlohmann::json::object()) {
  auto said = script.call(event);
  INFO((said ? "" : said.error().message));
  REQUIRE(said);
  return *said;
}

}  // namespace

TEST_CASE("A Lua handler says the string, the lines or the list it returns, and nothing for nil", "[lua]") {
  CHECK(lua_said(*lua_handler("return 'pong, ' .. event.nick"), {{"nick", "alice"}}) ==
        std::vector<std::string>{"pong, alice"});
  CHECK(lua_said(*lua_handler("return 'one\\ntwo'")) == std::vector<std::string>{"one", "two"});
  CHECK(lua_said(*lua_handler("return {'a', 2, 'b\\nc'}")) == std::vector<std::string>{"a", "2", "b", "c"});
  CHECK(lua_said(*lua_handler("return nil")).empty());
  CHECK(lua_said(*lua_handler("local x = 1")).empty());
  CHECK(lua_failure(*lua_handler("return true")) ==
        "test.lua: the handler returned a boolean; expected nothing, a string or a list of strings");
  CHECK(lua_failure(*lua_handler("return {'a', {}}")) ==
        "test.lua: item 2 of the list the handler returned is a table; expected a string");
}

TEST_CASE("The Lua sandbox has no os, io, package, debug, require, load, dofile, string.dump or print", "[lua]") {
  auto script = lua_handler(
      "local names = {}\n"
      "for _, name in ipairs({'os', 'io', 'package', 'debug', 'require', 'load', 'loadfile', 'dofile', 'print',\n"
      "                       'collectgarbage'}) do\n"
      "  names[#names + 1] = name .. '=' .. type(_G[name])\n"
      "end\n"
      "names[#names + 1] = 'string.dump=' .. type(string.dump)\n"
      "names[#names + 1] = 'string.rep=' .. type(string.rep)\n"
      "return table.concat(names, ' ')");
  CHECK(lua_said(*script) == std::vector<std::string>{
                                 "os=nil io=nil package=nil debug=nil require=nil load=nil loadfile=nil dofile=nil "
                                 "print=nil collectgarbage=nil string.dump=nil string.rep=function"});
  CHECK(lua_failure(*lua_handler("local x = 1\nos.execute('touch /tmp/chatops-lua-escaped')")) ==
        "test.lua:2: attempt to index a nil value (global 'os')");
  CHECK(lua_failure(*lua_handler("return io.open('/etc/passwd'):read('a')")) ==
        "test.lua:1: attempt to index a nil value (global 'io')");
}

TEST_CASE("Lua bytecode is refused: scripts load as text only", "[lua]") {
  const std::string bytecode("\x1bLua\x54\x00junk", 10);
  auto checked = LuaScript::check_syntax(bytecode, "bytecode.lua");
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message == "bytecode.lua: Lua bytecode is refused: scripts load as text");
  auto loaded = LuaScript::load(bytecode, "bytecode.lua", "handle", {});
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message == "bytecode.lua: Lua bytecode is refused: scripts load as text");
}

TEST_CASE("An endless Lua loop is stopped by the instruction limit, even inside pcall, and the next call runs",
          "[lua]") {
  auto script = lua_handler(
      "if event.loop then\n"
      "  while true do pcall(function() while true do end end) end\n"
      "end\n"
      "return 'fine'",
      LuaLimits{.max_instructions = 100'000});
  CHECK_THAT(lua_failure(*script, {{"loop", true}}), Catch::Matches("test\\.lua:2: instruction limit of 100000 reached"));
  CHECK(lua_said(*script, {{"loop", false}}) == std::vector<std::string>{"fine"});
}

TEST_CASE("A slow Lua loop is stopped by the time limit", "[lua]") {
  auto script = lua_handler("local n = 0\nwhile true do n = n + 1 end",
                            LuaLimits{.max_instructions = 1'000'000'000'000, .max_time = 50ms});
  const auto started = std::chrono::steady_clock::now();
  CHECK(lua_failure(*script) == "test.lua:2: time limit of 50 ms reached");
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("A Lua memory bomb is stopped by the memory limit and the script starts afresh after it", "[lua]") {
  const LuaLimits limits{.max_memory = 1u << 20};
  SECTION("one huge string") {
    auto script = lua_handler("return string.rep('x', 1e9)", limits);
    CHECK_THAT(lua_failure(*script), Catch::Contains("memory limit of 1 MiB reached"));
  }
  SECTION("a table kept between calls grows until the limit, then is gone") {
    auto script = lua_handler(
        "kept = kept or {}\n"
        "if event.grow then for i = 1, 1e9 do kept[#kept + 1] = string.rep('x', 100) .. i end end\n"
        "return tostring(#kept)",
        limits);
    CHECK_THAT(lua_failure(*script, {{"grow", true}}), Catch::Contains("memory limit of 1 MiB reached"));
    CHECK(lua_said(*script, {{"grow", false}}) == std::vector<std::string>{"0"});
    CHECK(script->memory_used() < limits.max_memory / 2);
  }
}

TEST_CASE("A Lua error names the script and its line", "[lua]") {
  CHECK(lua_failure(*lua_handler("local a = 1\n\nerror('deploy list unavailable')")) ==
        "test.lua:3: deploy list unavailable");
  CHECK(lua_failure(*lua_handler("return event.missing.field")) ==
        "test.lua:1: attempt to index a nil value (field 'missing')");
  auto syntax = LuaScript::check_syntax("if x then\nreturn 1\n", "broken.lua");
  REQUIRE_FALSE(syntax);
  CHECK(syntax.error().message == "broken.lua:3: 'end' expected (to close 'if' at line 1) near <eof>");
}

TEST_CASE("A Lua handler sees the event as a read-only table", "[lua]") {
  const nlohmann::json event = {{"nick", "alice"}, {"args", {"web", "prod"}}, {"n", 3}, {"ok", true}, {"none", nullptr},
                                {"nested", {{"a", {{"b", "deep"}}}}}};
  CHECK(lua_said(*lua_handler("return {#event.args, event.args[2], event.n + 1, tostring(event.ok), "
                              "tostring(event.none), event.nested.a.b}"),
                 event) == std::vector<std::string>{"2", "prod", "4", "true", "nil", "deep"});
  CHECK(lua_said(*lua_handler("local keys = {}\nfor k in pairs(event) do keys[#keys + 1] = k end\n"
                              "table.sort(keys)\nreturn table.concat(keys, ',')"),
                 event) == std::vector<std::string>{"args,n,nested,nick,ok"});
  CHECK(lua_failure(*lua_handler("event.nick = 'mallory'"), event) == "test.lua:1: the event is read-only");
  CHECK(lua_failure(*lua_handler("event.args[1] = 'x'"), event) == "test.lua:1: the event is read-only");
  CHECK(lua_failure(*lua_handler("setmetatable(event, nil)"), event) == "test.lua:1: cannot change a protected metatable");
}

TEST_CASE("A Lua function handler keeps its state between calls", "[lua]") {
  auto script = lua_handler("local count = 0\nfunction on_push(e)\n  count = count + 1\n  return e.repo .. ' #' .. count\nend",
                            {}, "on_push");
  CHECK(lua_said(*script, {{"repo", "web"}}) == std::vector<std::string>{"web #1"});
  CHECK(lua_said(*script, {{"repo", "api"}}) == std::vector<std::string>{"api #2"});
  auto missing = LuaScript::load("function other() end", "test.lua", "on_push", {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "test.lua: defines no function on_push");
}
