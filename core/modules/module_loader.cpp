#include "core/modules/module_loader.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <system_error>

namespace chatops::modules {

namespace {

struct Loaded {
  const void* table;
  std::string from;
};

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, Loaded, std::less<>>& registry() {
  static std::map<std::string, Loaded, std::less<>> loaded;
  return loaded;
}

using Factory = const void* (*)();

Factory factory_of(void* handle, const std::string& symbol) {
  return reinterpret_cast<Factory>(::dlsym(handle, symbol.c_str()));
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

}  // namespace

std::vector<std::filesystem::path> module_dirs() {
  std::error_code ec;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {CHATOPS_INSTALLED_MODULE_DIR};
  const auto dir = executable.parent_path();
  return {dir, (dir / CHATOPS_MODULE_DIR_FROM_BINARY).lexically_normal()};
}

const std::vector<std::string>& built_modules() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    std::string_view list = CHATOPS_MODULES;  // "kafka,redis,…", from CMake
    while (!list.empty()) {
      const auto end = list.find(',');
      if (end != 0) out.emplace_back(list.substr(0, end));
      if (end == std::string_view::npos) break;
      list.remove_prefix(end + 1);
    }
    return out;
  }();
  return names;
}

Result<const void*> load_table(std::string_view name) {
  std::lock_guard lock(registry_mutex());
  auto& loaded = registry();
  if (const auto found = loaded.find(name); found != loaded.end()) return found->second.table;
  const std::string symbol = "chatops_module_" + std::string(name);
  if (const auto linked = factory_of(RTLD_DEFAULT, symbol)) {
    const void* table = linked();
    loaded.emplace(std::string(name), Loaded{table, "linked in"});
    return table;
  }
  const std::string file = "chatops-" + std::string(name) + ".so";
  std::vector<std::string> tried;
  for (const auto& dir : module_dirs()) {
    const auto path = (dir / file).string();
    std::error_code ec;
    const bool present = std::filesystem::exists(path, ec);
    // RTLD_NOW: a symbol the executable lacks is an error here, not a crash at its first call.
    void* handle = present ? ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL) : nullptr;
    if (!handle) {
      tried.push_back(present ? std::string(::dlerror()) : path + ": no such file");
      if (present) break;  // a module that is there but broken is not passed over for another copy
      continue;
    }
    const auto factory = factory_of(handle, symbol);
    if (!factory) return fail("module " + path + " has no " + symbol + " (" + ::dlerror() + ")");
    const void* table = factory();
    loaded.emplace(std::string(name), Loaded{table, path});
    return table;
  }
  return fail("the " + std::string(name) + " module cannot be loaded: " + joined(tried, "; ") +
              " (it is built with the bot and installed beside it: see docs/operations.md, \"Modules\")");
}

std::string loaded_from(std::string_view name) {
  std::lock_guard lock(registry_mutex());
  const auto found = registry().find(name);
  return found == registry().end() ? std::string() : found->second.from;
}

}  // namespace chatops::modules
