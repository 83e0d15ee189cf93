#include "bindings/handlers/handler.hpp"

#include <deque>
#include <map>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "bindings/template.hpp"
#include "core/modules/module_loader.hpp"

namespace chatops::bindings::handlers {

namespace {

constexpr std::size_t kRememberedOutcomes = 256;  // per program bind: events answered, not yet planned again

// One program bind's events: running, and finished (until planned again, or pushed out).
struct ProgramEvents {
  std::set<std::int64_t> running;
  std::map<std::int64_t, Outcome> finished;
  std::deque<std::int64_t> order;  // of finished, oldest first

  void remember(std::int64_t event_id, Outcome outcome) {
    if (finished.insert_or_assign(event_id, std::move(outcome)).second) order.push_back(event_id);
    while (order.size() > kRememberedOutcomes) {
      finished.erase(order.front());
      order.pop_front();
    }
  }
};

Outcome outcome_of(const std::string& program, const Result<ProgramResult>& result) {
  if (!result) return Outcome{.failure = result.error().message};
  Outcome out{.text = said_text(result->lines)};
  if (!result->failure.empty()) out.failure = program + ": " + result->failure;
  return out;
}

std::string input_of(const nlohmann::json& data) {
  // Invalid UTF-8 from outside is replaced rather than refused: the program gets the rest.
  return data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string said_text(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    auto inert = inert_text(line);
    if (inert.find_first_not_of(' ') == std::string::npos) continue;
    if (!out.empty()) out += '\n';
    out += inert;
  }
  return out;
}

namespace {
// The one place that names Lua's module, as tls::load_module() and load_xml_module() do theirs.
Result<const LuaModule*> lua_module() { return modules::load<LuaModule>("lua"); }
}  // namespace

Result<std::unique_ptr<LuaScript>> LuaScript::load(std::string source, std::string chunk_name, std::string function,
                                                   LuaLimits limits) {
  auto module = lua_module();
  if (!module) return std::unexpected(module.error());
  return (*module)->load(std::move(source), std::move(chunk_name), std::move(function), limits);
}

Result<void> LuaScript::check_syntax(const std::string& source, const std::string& chunk_name) {
  auto module = lua_module();
  if (!module) return std::unexpected(module.error());
  return (*module)->check_syntax(source, chunk_name);
}

Result<Producer> lua_producer(const LuaSpec& spec, const HandlerServices& services) {
  auto loaded = LuaScript::load(spec.source, spec.chunk_name, spec.function, services.lua);
  if (!loaded) return std::unexpected(loaded.error());
  std::shared_ptr<LuaScript> script = std::move(*loaded);
  return Producer([script](const BindContext&, const nlohmann::json& data, const Later&) {
    auto lines = script->call(data);
    if (!lines) return Outcome{.failure = lines.error().message};
    return Outcome{.text = said_text(*lines)};
  });
}

Producer program_producer(RunSpec spec, const HandlerServices& services) {
  auto events = std::make_shared<ProgramEvents>();
  return [spec = std::move(spec), services, events](const BindContext& context, const nlohmann::json& data,
                                                    const Later& later) {
    ProgramSpec program = spec.program;
    if (const auto* irc = context.irc(); irc && spec.pass_args)
      program.argv.insert(program.argv.end(), irc->args.begin(), irc->args.end());
    program.max_output = services.max_output;
    const std::string name = program.argv.front();
    const auto post = services.post;
    const auto shared = services.event_programs;
    // Every program that ends makes room for events that wait because the queue was full; an
    // event's own programs resume it when the last of them has ended.
    const auto resume = [resume = services.resume, shared](bool event_done) {
      if (resume && (std::exchange(shared->room_wanted, false) || event_done)) resume(kProgramsWaiting);
    };
    const auto* event = context.event();
    if (!event) {
      const bool queued = services.programs->submit(program, input_of(data), [post, later, name, resume](Result<ProgramResult> r) {
        post([later, resume, outcome = outcome_of(name, r)] {
          later(outcome);
          resume(false);
        });
      });
      if (!queued) return Outcome{.failure = name + ": not run: too many programs are running or waiting"};
      return Outcome{.later = true};
    }
    const auto id = event->id;
    if (auto done = events->finished.find(id); done != events->finished.end()) return done->second;
    if (events->running.contains(id)) return Outcome{.later = true};
    const bool queued =
        services.programs->submit(program, input_of(data), [post, resume, events, shared, id, name](Result<ProgramResult> r) {
          post([resume, events, shared, id, outcome = outcome_of(name, r)] {
            events->running.erase(id);
            events->remember(id, outcome);
            const auto left = shared->running.find(id);
            const bool last = left == shared->running.end() || --left->second == 0;
            if (last && left != shared->running.end()) shared->running.erase(left);
            resume(last);
          });
        });
    // When the queue is full, the event waits for the next program to finish and is tried again.
    if (queued) {
      events->running.insert(id);
      ++shared->running[id];
    } else {
      shared->room_wanted = true;
      spdlog::debug("event {}: {} waits: too many programs are running or waiting", id, name);
    }
    return Outcome{.later = true};
  };
}

}  // namespace chatops::bindings::handlers
