#pragma once
// config.yml as a whole: every component's section, assembled from their declarations.
#include <string>
#include <vector>

#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"

namespace chatops::bot {

struct AppConfig {
  config::Node root;  // validated, defaults filled in; sources and binds checked too
  std::string path;
  // What is valid but pointless, with file:line:column (a receiver's irc:): printed by --check
  // and logged at start.
  std::vector<std::string> warnings;
};

config::Schema app_schema();

// Loads, substitutes ${ENV}, validates every section, every source (by its kind and provider)
// and every bind (templates compiled). All problems are reported together, with file:line:column.
Result<AppConfig> load_app_config(const std::string& path);

// docs/configuration.md: every section, every source kind and provider.
std::string config_reference();

}  // namespace chatops::bot
