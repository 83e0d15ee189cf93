#include "bindings/handlers/lua_script.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <lua.hpp>

namespace chatops::bindings::handlers {

namespace {
constexpr int kHookEvery = 1000;  // instructions between two checks of the limits
constexpr const char* kHandlerKey = "chatops.handler";  // registry: the function called per event

std::string size_text(std::size_t bytes) {
  if (bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes % (1u << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}
}  // namespace

namespace {

// The state and what its allocator and hook account, reached from both through the allocator's
// user data.
struct State {
  lua_State* lua = nullptr;
  LuaLimits limits;
  std::size_t used = 0;
  std::uint64_t instructions = 0;
  std::chrono::steady_clock::time_point deadline{};  // past outside calls: finalizers at close stop at once
  std::string stopped;  // why a limit stopped the call under way ("" while none did)

  ~State() {
    if (!lua) return;
    deadline = {};
    lua_close(lua);
  }

  void stop(std::string why) {
    if (!stopped.empty()) return;
    stopped = std::move(why);
    // From now on at every instruction, so that no pcall in the script can carry on.
    lua_sethook(lua, &State::hook, LUA_MASKCOUNT, 1);
  }

  void arm() {
    instructions = 0;
    stopped.clear();
    deadline = std::chrono::steady_clock::now() + limits.max_time;
    lua_sethook(lua, &State::hook, LUA_MASKCOUNT, kHookEvery);
  }

  static State& of(lua_State* L) {
    void* ud = nullptr;
    lua_getallocf(L, &ud);
    return *static_cast<State*>(ud);
  }

  static void* allocate(void* ud, void* block, std::size_t old_size, std::size_t new_size) {
    auto& s = *static_cast<State*>(ud);
    const std::size_t old_bytes = block ? old_size : 0;  // without a block, old_size is a type tag
    if (new_size == 0) {
      std::free(block);
      s.used -= old_bytes;
      return nullptr;
    }
    if (new_size > old_bytes && s.used - old_bytes + new_size > s.limits.max_memory) {
      if (s.lua) s.stop("memory limit of " + size_text(s.limits.max_memory) + " reached");
      return nullptr;
    }
    void* grown = std::realloc(block, new_size);
    if (grown) s.used = s.used - old_bytes + new_size;
    return grown;
  }

  static void hook(lua_State* L, lua_Debug* ar) {
    auto& s = of(L);
    if (s.stopped.empty()) {
      s.instructions += kHookEvery;
      if (s.instructions > s.limits.max_instructions)
        s.stop(fmt::format("instruction limit of {} reached", s.limits.max_instructions));
      else if (std::chrono::steady_clock::now() > s.deadline)
        s.stop(fmt::format("time limit of {} ms reached", s.limits.max_time.count()));
      else
        return;
    }
    lua_getinfo(L, "Sl", ar);
    if (ar->currentline > 0)
      lua_pushfstring(L, "%s:%d: %s", ar->short_src, ar->currentline, s.stopped.c_str());
    else
      lua_pushstring(L, s.stopped.c_str());
    lua_error(L);
  }

  // The message of a failed pcall (popped), a limit's reason first.
  std::string error_text(int status) {
    std::string message;
    if (const char* text = lua_tostring(lua, -1)) message = text;
    else message = std::string("error object is a ") + luaL_typename(lua, -1) + " value";
    lua_pop(lua, 1);
    if (!stopped.empty() && message.find(stopped) == std::string::npos)
      return message.empty() || status == LUA_ERRMEM ? stopped : message + " (" + stopped + ")";
    return message;
  }
};



int read_only(lua_State* L) { return luaL_error(L, "the event is read-only"); }

// __len and __pairs of a proxy see the table it stands for (upvalue 1), which stays out of reach.
int proxy_len(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, lua_upvalueindex(1))));
  return 1;
}
int proxy_next(lua_State* L) {
  lua_settop(L, 2);
  if (lua_next(L, lua_upvalueindex(1)) == 0) {
    lua_pushnil(L);
    return 1;
  }
  return 2;
}
int proxy_pairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushcclosure(L, proxy_next, 1);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// Replaces the table on top of the stack with a read-only proxy of it.
void make_read_only(lua_State* L) {
  lua_newtable(L);               // proxy
  lua_createtable(L, 0, 5);      // its metatable
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, read_only);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, -3);
  lua_pushcclosure(L, proxy_len, 1);
  lua_setfield(L, -2, "__len");
  lua_pushvalue(L, -3);
  lua_pushcclosure(L, proxy_pairs, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");  // getmetatable() tells nothing, setmetatable() fails
  lua_setmetatable(L, -2);
  lua_remove(L, -2);
}

// JSON as Lua values: objects and arrays as read-only tables (arrays from 1), null as nil.
void push_json(lua_State* L, const nlohmann::json& value) {
  luaL_checkstack(L, 4, "event nested too deeply");
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      lua_createtable(L, 0, static_cast<int>(std::min<std::size_t>(value.size(), 1u << 16)));
      for (const auto& [key, item] : value.items()) {
        push_json(L, item);
        lua_setfield(L, -2, key.c_str());
      }
      make_read_only(L);
      return;
    case nlohmann::json::value_t::array: {
      lua_createtable(L, static_cast<int>(std::min<std::size_t>(value.size(), 1u << 16)), 0);
      lua_Integer index = 1;
      for (const auto& item : value) {
        push_json(L, item);
        lua_rawseti(L, -2, index++);
      }
      make_read_only(L);
      return;
    }
    case nlohmann::json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      lua_pushlstring(L, text.data(), text.size());
      return;
    }
    case nlohmann::json::value_t::boolean:
      lua_pushboolean(L, value.get<bool>());
      return;
    case nlohmann::json::value_t::number_integer:
      lua_pushinteger(L, value.get<std::int64_t>());
      return;
    case nlohmann::json::value_t::number_unsigned: {
      const auto n = value.get<std::uint64_t>();
      if (n <= static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max()))
        lua_pushinteger(L, static_cast<lua_Integer>(n));
      else
        lua_pushnumber(L, static_cast<lua_Number>(n));
      return;
    }
    case nlohmann::json::value_t::number_float:
      lua_pushnumber(L, value.get<double>());
      return;
    default:
      lua_pushnil(L);
  }
}

int push_event(lua_State* L) {
  push_json(L, *static_cast<const nlohmann::json*>(lua_touserdata(L, 1)));
  return 1;
}

void split_lines(std::string_view text, std::vector<std::string>& lines) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// What the handler returned (on top of the stack) as lines.
Result<std::vector<std::string>> returned_lines(lua_State* L, const std::string& chunk_name) {
  std::vector<std::string> lines;
  const auto text_of = [L](int index) -> std::optional<std::string_view> {
    const int type = lua_type(L, index);
    if (type != LUA_TSTRING && type != LUA_TNUMBER) return std::nullopt;
    std::size_t size = 0;
    const char* text = lua_tolstring(L, index, &size);  // a number becomes its text in place
    return std::string_view(text, size);
  };
  const int type = lua_type(L, -1);
  if (type == LUA_TNIL || type == LUA_TNONE) return lines;
  if (auto text = text_of(-1)) {
    split_lines(*text, lines);
    return lines;
  }
  if (type != LUA_TTABLE)
    return fail(chunk_name + ": the handler returned a " + luaL_typename(L, -1) +
                "; expected nothing, a string or a list of strings");
  const auto count = lua_rawlen(L, -1);
  for (lua_Unsigned i = 1; i <= count; ++i) {
    lua_rawgeti(L, -1, static_cast<lua_Integer>(i));
    const auto text = text_of(-1);
    if (!text) {
      auto error = fail(fmt::format("{}: item {} of the list the handler returned is a {}; expected a string",
                                    chunk_name, i, luaL_typename(L, -1)));
      lua_pop(L, 1);
      return error;
    }
    split_lines(*text, lines);
    lua_pop(L, 1);
  }
  return lines;
}

void open_sandbox_libraries(lua_State* L) {
  static constexpr luaL_Reg kLibraries[] = {{LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string},
                                            {LUA_TABLIBNAME, luaopen_table},  {LUA_MATHLIBNAME, luaopen_math},
                                            {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_COLIBNAME, luaopen_coroutine}};
  for (const auto& library : kLibraries) {
    luaL_requiref(L, library.name, library.func, 1);
    lua_pop(L, 1);
  }
  for (const char* name : {"dofile", "loadfile", "load", "print", "collectgarbage"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
}

// A script in its sandbox (lua_script.hpp).
class SandboxedScript final : public LuaScript {
 public:
  SandboxedScript(std::string source, std::string chunk_name, std::string function, LuaLimits limits)
      : source_(std::move(source)), chunk_name_(std::move(chunk_name)), function_(std::move(function)), limits_(limits) {}

  Result<void> start();  // a fresh state: libraries, the script's first run
  Result<std::vector<std::string>> call(const nlohmann::json& event) override;
  std::size_t memory_used() const override { return state_ ? state_->used : 0; }

 private:
  std::string source_, chunk_name_, function_;
  LuaLimits limits_;
  std::unique_ptr<State> state_;
};

Result<std::unique_ptr<LuaScript>> load(std::string source, std::string chunk_name, std::string function,
                                        LuaLimits limits) {
  auto script = std::make_unique<SandboxedScript>(std::move(source), std::move(chunk_name), std::move(function), limits);
  if (auto started = script->start(); !started) return std::unexpected(started.error());
  return script;
}

Result<void> check_syntax(const std::string& source, const std::string& chunk_name) {
  SandboxedScript probe(source, chunk_name, "", LuaLimits{});
  return probe.start();
}

Result<void> SandboxedScript::start() {
  state_.reset();
  auto state = std::make_unique<State>();
  state->limits = limits_;
  lua_State* L = lua_newstate(&State::allocate, state.get());
  if (!L) return fail(chunk_name_ + ": cannot create a Lua state within " + size_text(limits_.max_memory));
  state->lua = L;
  state->arm();
  // The script itself is the handler: `event` is its first argument (on its first line, so that
  // line numbers stay the file's).
  if (source_.starts_with(LUA_SIGNATURE)) return fail(chunk_name_ + ": Lua bytecode is refused: scripts load as text");
  const std::string text = function_.empty() ? "local event = ... " + source_ : source_;
  const std::string chunk = "@" + chunk_name_;
  const auto opened = [](lua_State* L) {
    open_sandbox_libraries(L);
    return 0;
  };
  lua_pushcfunction(L, opened);
  int status = lua_pcall(L, 0, 0, 0);
  if (status == LUA_OK) status = luaL_loadbufferx(L, text.data(), text.size(), chunk.c_str(), "t");
  if (status != LUA_OK) return fail(state->error_text(status));
  if (!function_.empty()) {
    status = lua_pcall(L, 0, 0, 0);  // defines the function
    if (status != LUA_OK) return fail(state->error_text(status));
    if (lua_getglobal(L, function_.c_str()) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      return fail(chunk_name_ + ": defines no function " + function_);
    }
  }
  lua_setfield(L, LUA_REGISTRYINDEX, kHandlerKey);
  state->deadline = {};
  state_ = std::move(state);
  return {};
}

Result<std::vector<std::string>> SandboxedScript::call(const nlohmann::json& event) {
  if (!state_) {
    if (auto started = start(); !started) return std::unexpected(started.error());
  }
  State& s = *state_;
  lua_State* L = s.lua;
  lua_settop(L, 0);
  s.arm();
  lua_getfield(L, LUA_REGISTRYINDEX, kHandlerKey);
  lua_pushcfunction(L, push_event);
  lua_pushlightuserdata(L, const_cast<nlohmann::json*>(&event));
  int status = lua_pcall(L, 1, 1, 0);  // the event table, under the limits too
  if (status == LUA_OK) status = lua_pcall(L, 1, 1, 0);
  s.deadline = {};
  Result<std::vector<std::string>> out;
  if (status != LUA_OK) out = fail(s.error_text(status));
  else out = returned_lines(L, chunk_name_);
  const bool limit_hit = !s.stopped.empty();
  lua_settop(L, 0);
  if (limit_hit) state_.reset();  // loaded afresh at the next call
  return out;
}

}  // namespace
}  // namespace chatops::bindings::handlers

extern "C" const chatops::bindings::handlers::LuaModule* chatops_module_lua() {
  static const chatops::bindings::handlers::LuaModule module{chatops::bindings::handlers::load,
                                                             chatops::bindings::handlers::check_syntax};
  return &module;
}
