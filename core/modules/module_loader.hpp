#pragma once
// Loadable modules. The code of a source kind whose library is optional (librdkafka, libpq, …) is
// built as chatops-<name>.so beside the executable and loaded only when a configured source (or
// the bus) needs it: a bot that uses none of them never maps those libraries (about 4 MiB of
// resident memory, bench/README.md). A module exports one extern "C" function,
// chatops_module_<name>, which returns its table of entry points: a struct its family declares
// (db::EngineModule, stream::SystemModule). Modules resolve the executable's own symbols (it
// exports those the built modules use: cmake/module_symbols.cmake) and come from the same build.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace chatops::modules {

// Where chatops-<name>.so is looked for, in order: the executable's directory (a build tree), then
// the installed modules' directory relative to it (cmake --install: <prefix>/lib/chatops-bot).
std::vector<std::filesystem::path> module_dirs();

// The modules this build has: one per optional library whose CMake option CHATOPS_WITH_<NAME> is on.
const std::vector<std::string>& built_modules();

// The table of module `name`: from the program itself when the module is linked in (the tests link
// them), else from chatops-<name>.so, loaded once and kept for the process's life. The error says
// every path tried and what the dynamic loader answered.
Result<const void*> load_table(std::string_view name);

template <class Table>
Result<const Table*> load(std::string_view name) {
  auto table = load_table(name);
  if (!table) return std::unexpected(table.error());
  return static_cast<const Table*>(*table);
}

// Where module `name` came from: its file, "linked in", or empty while it is not loaded.
std::string loaded_from(std::string_view name);

}  // namespace chatops::modules
