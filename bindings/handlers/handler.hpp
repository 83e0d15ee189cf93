#pragma once
// Lua and program handlers of config binds (docs/handlers.md): what they make of a trigger, for
// the bind's `say` settings (targets, notice, max_lines) to say.
//
// Everything a handler says is made inert as template values are (bindings/template.hpp): no
// CR, LF or NUL, no IRC formatting; each line it returns is one line of the text.
//
// A Lua handler runs on the io thread, within its limits. A program runs on a ProgramPool worker:
// for an IRC or clock trigger its answer is said when it comes (through `later`); for an event,
// the event waits in the journal (Outcome::later, under kProgramsWaiting) and the dispatcher plans
// it again once the program has finished, when its outcome is taken from a small cache. So an
// event's program output is journaled and said exactly once like a template's; after a restart
// before it was said, the program runs again.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/context.hpp"
#include "bindings/handlers/lua_script.hpp"
#include "bindings/handlers/program_pool.hpp"

namespace chatops::bindings::handlers {

// A bind's `lua:` entry, read and compiled at validation.
struct LuaSpec {
  std::string source;
  std::string chunk_name;  // the file's path, or "binds[3]" for inline code
  std::string function;    // "" : the script itself is the handler
};

// A bind's `run:` entry.
struct RunSpec {
  ProgramSpec program;     // argv[0] resolved at validation
  bool pass_args = false;  // the command's words appended to argv (pub and msg binds)
};

// What a handler made of one trigger.
struct Outcome {
  std::string text{};     // to say: inert lines joined by "\n" ("" : nothing)
  std::string failure{};  // why the handler failed ("" when it did not); said text is still said
  bool later = false;     // a program is running: the answer comes later
};

// The name under which events wait for their programs (a dispatcher "target" that is not ready).
inline constexpr const char* kProgramsWaiting = "(programs running)";

// Programs running per event, across all program binds, and whether an event waits for room in
// the program queue. An event is planned again once its last program has ended, not once per
// program: planning runs every bind, so n program binds on one event would cost n² otherwise.
struct EventPrograms {
  std::unordered_map<std::int64_t, std::size_t> running;  // event id → its programs running
  bool room_wanted = false;  // a program was not queued: the queue was full
};

// What handlers need from the application.
struct HandlerServices {
  LuaLimits lua;
  std::size_t max_output = 64u << 10;  // bytes of a program's standard output
  ProgramPool* programs = nullptr;
  // Hands work to the io thread (asio::post); programs end on a worker thread.
  std::function<void(std::function<void()>)> post;
  // Called on the io thread when an event's last program has finished, or a program ended while
  // another waited for room: plan kProgramsWaiting's events again.
  std::function<void(const std::string& waiting_for)> resume;
  // Shared by every program bind made with these services (and their copies), on the io thread.
  std::shared_ptr<EventPrograms> event_programs = std::make_shared<EventPrograms>();
};

// Told on the io thread what a program answered to an IRC or clock trigger.
using Later = std::function<void(const Outcome&)>;
// A handler: `data` is what templates see of the trigger (config_binds.hpp template_data).
using Producer = std::function<Outcome(const BindContext& context, const nlohmann::json& data, const Later& later)>;

// Loads the script (its first run happens here).
Result<Producer> lua_producer(const LuaSpec& spec, const HandlerServices& services);
Producer program_producer(RunSpec spec, const HandlerServices& services);

// Lines as they are said: each made inert, blank ones left out, joined by "\n".
std::string said_text(const std::vector<std::string>& lines);

}  // namespace chatops::bindings::handlers
