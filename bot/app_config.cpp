#include "bot/app_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "bindings/config_binds.hpp"
#include "bindings/handlers/handlers_config.hpp"
#include "bindings/template.hpp"
#include "bindings/users.hpp"
#include "bot/alertmanager/silences.hpp"
#include "bot/commands/commands_config.hpp"
#include "bot/config_problems.hpp"
#include "bot/delivery_config.hpp"
#include "bot/irc/client_config.hpp"
#include "core/text/suggest.hpp"
#include "ingestion/bus/bus_config.hpp"
#include "ingestion/journal/journal_config.hpp"
#include "ingestion/source_registry.hpp"
#include "http/server_config.hpp"

namespace chatops::bot {

namespace {
config::Schema log_schema() {
  config::Schema s("log", "Logging to standard error.");
  s.field("level", config::Kind::String, "Least severe level logged.")
      .fallback("info")
      .one_of({"trace", "debug", "info", "warn", "error", "critical", "off"});
  s.field("format", config::Kind::String,
          "`text`: one readable line per message; `json`: one JSON object per line (time, level, logger, "
          "message), for log collectors.")
      .fallback("text")
      .one_of({"text", "json"});
  return s;
}

// The paths bot/observability.cpp serves: no source may take one.
constexpr std::array<std::string_view, 4> kOwnHttpPaths{"/healthz", "/healthz/live", "/healthz/ready", "/metrics"};

// Each source by its kind (and a webhook's provider, credentials included), unique names, one
// webhook source per path and none on the bot's own paths, a source's own template. Returns the
// names of the sources.
struct SourceNames {
  std::set<std::string> all;
  std::vector<std::string> suggestible;  // written in the file, not read from the environment
};
SourceNames check_sources(const config::Node& tree, ConfigProblems& problems) {
  SourceNames names;
  std::map<std::string, std::string> path_owner;  // webhook path → source name
  for (const auto& entry : tree["sources"].is_sequence() ? tree["sources"].items() : std::vector<config::Node>{}) {
    if (auto source = ingestion::validate_source(entry); !source) {
      problems.add(source.error());
    } else if (source->node.has("template")) {
      // A source's own template (the generic provider's `template:`) travels with its events to
      // the binds that give none: it is checked like theirs.
      if (auto compiled = bindings::Template::compile(source->node.str("template")); !compiled)
        problems.add(source->node["template"].error("template does not compile: " + compiled.error().message));
    }
    // Names and paths are checked from the entry as written, also when it has other problems.
    const auto name = entry["name"].scalar();
    if (!name.empty() && !names.all.insert(name).second)
      problems.add(entry["name"].error("duplicate source name '" + name + "'"));
    else if (!name.empty() && !entry["name"].from_environment())
      names.suggestible.push_back(name);
    const auto path = entry["path"].scalar();
    if (entry["kind"].scalar() != "webhook" || path.empty()) continue;
    if (std::ranges::find(kOwnHttpPaths, path) != kOwnHttpPaths.end())
      problems.add(entry["path"].error(path + " is one of the bot's own paths (/healthz…, /metrics)"));
    else if (auto [owner, added] = path_owner.emplace(path, name); !added)
      problems.add(entry["path"].error("source '" + owner->second + "' has path " + path + " already"));
  }
  return names;
}

// Templates, filters, and sources that exist.
void check_binds(const config::Node& loaded, const SourceNames& names, ConfigProblems& problems) {
  config::Schema binds_only("config.yml", "");
  binds_only.open().field("binds", config::Kind::List, "").items(bindings::bind_schema()).fallback("[]");
  auto binds = config::validate(binds_only, loaded);
  if (!binds) return problems.add(binds.error());
  auto parsed = bindings::parse_binds((*binds)["binds"]);
  if (!parsed) return problems.add(parsed.error());
  // A bind restricted to a source that does not exist would never trigger.
  const auto items = (*binds)["binds"].items();
  for (const auto& bind : *parsed)
    if (!bind.source.empty() && !names.all.contains(bind.source))
      problems.add(items[bind.index]["source"].error("no source is named \"" + bind.source + "\"" +
                                                     text::did_you_mean(bind.source, names.suggestible)));
}

// A file the configuration names must be there to be read by the time it is needed.
void check_readable(const config::Node& section, std::string_view key, ConfigProblems& problems) {
  const std::string file = section[key].scalar();
  if (file.empty()) return;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    problems.add(section[key].error("no such file: " + file));
  else if (::access(file.c_str(), R_OK) != 0)
    problems.add(section[key].error("cannot read " + file + ": " + std::strerror(errno)));
}

// A section of the file validated on its own, so that it is checked further also when another
// section has problems (its own problems are the ones the whole file's validation reported).
std::optional<config::Node> section(const config::Node& loaded, const std::string& name) {
  const config::Schema whole = app_schema();
  const config::Field* field = whole.find(name);
  config::Schema one("config.yml", "");
  one.open().field(name, field->kind(), "").schema(*field->nested()).fallback(field->default_yaml().value_or("{}"));
  auto validated = config::validate(one, loaded);
  if (!validated || !validated->has(name)) return std::nullopt;
  return validated->map(name);
}

// The sections start-up turns into options: the IRC connection and the files it reads, the
// listener's address and certificate, the users.
void check_sections(const config::Node& loaded, ConfigProblems& problems) {
  if (const auto irc = section(loaded, "irc"))
    if (auto client = irc::ClientConfig::from(*irc); !client) problems.add(client.error());
  if (const auto http = section(loaded, "http"))
    if (auto options = http::server_options(*http); !options) problems.add(options.error());
  // Files, as written (also in a section with other problems).
  if (const auto commands = section(loaded, "commands"))
    if (auto parsed = commands_config(*commands); !parsed) problems.add(parsed.error());
  if (const auto bus = section(loaded, "bus")) {
    if (auto options = ingestion::bus::bus_options(*bus); !options) problems.add(options.error());
    // A receiver answers a webhook when the brokers have its events, or refuses it (503) at
    // delivery_timeout: the listener must not give up first, with an answer that says less.
    const auto http = section(loaded, "http");
    if (bus->str("role") == "receiver" && http && bus->duration("delivery_timeout") >= http->duration("answer_timeout"))
      problems.add((loaded["bus"].has("delivery_timeout") ? loaded["bus"]["delivery_timeout"] : loaded["bus"]["role"])
                       .error("delivery_timeout must be shorter than http.answer_timeout (" +
                              http->str("answer_timeout") + ")"));
  }
  if (const auto alertmanager = section(loaded, "alertmanager"))
    if (auto options = alertmanager_api_options(*alertmanager); !options) problems.add(options.error());
  check_readable(loaded["alertmanager"], "ca_file", problems);
  for (const char* key : {"ca_file", "client_cert", "client_key"}) check_readable(loaded["irc"], key, problems);
  for (const char* key : {"cert", "key"}) check_readable(loaded["http"]["tls"], key, problems);
  config::Schema users_only("config.yml", "");
  users_only.open().field("users", config::Kind::List, "").items(bindings::user_schema()).fallback("[]");
  if (auto users = config::validate(users_only, loaded); users)
    if (auto list = bindings::UserList::from((*users)["users"]); !list) problems.add(list.error());
}
// What a bus role makes required or pointless: every role but receiver needs `irc:`; a receiver
// says nothing, so its `irc:` and `binds:` are not used (a warning: one file may serve every role,
// the role set per machine with ${...}).
void check_role(const config::Node& loaded, ConfigProblems& problems, std::vector<std::string>& warnings) {
  const bool receiver = loaded["bus"]["role"].scalar() == "receiver";
  if (!receiver && !loaded.has("irc")) {
    problems.add(loaded.error("missing required key \"irc\" (only a bus receiver, bus.role: receiver, runs without "
                              "IRC)"));
    return;
  }
  if (!receiver) return;
  for (const char* unused : {"irc", "binds"})
    if (loaded.has(unused) && !(loaded[unused].is_sequence() && loaded[unused].items().empty()))
      warnings.push_back("warning: " + loaded[unused]
                                            .error("not used by a bus receiver (bus.role: receiver says nothing; the "
                                                   "speaker says its events)")
                                            .message);
}
}  // namespace

config::Schema app_schema() {
  config::Schema s("config.yml", "The whole configuration file. Each section is described below.");
  s.field("log", config::Kind::Map, "Logging.").schema(log_schema()).fallback("{}");
  s.field("irc", config::Kind::Map, "The IRC connection. Required, but by a bus receiver (`bus.role: receiver`), which says "
                                   "nothing.")
      .schema(irc::client_schema());
  s.field("http", config::Kind::Map, "The HTTP listener for webhooks, /healthz and /metrics.")
      .schema(http::http_schema())
      .fallback("{}");
  s.field("storage", config::Kind::Map, "The journal.").schema(ingestion::storage_schema()).fallback("{}");
  s.field("bus", config::Kind::Map, "The Kafka journal, for more than one machine (receivers and a speaker).")
      .schema(ingestion::bus::bus_schema())
      .fallback("{}");
  s.field("delivery", config::Kind::Map, "How events are fed to IRC.").schema(delivery_schema()).fallback("{}");
  s.field("commands", config::Kind::Map, "Commands from IRC: prefix, who may run the built-ins, rate limits.")
      .schema(commands_schema())
      .fallback("{}");
  s.field("alertmanager", config::Kind::Map, "The Alertmanager API for silences from IRC (`!silence`).")
      .schema(alertmanager_api_schema())
      .fallback("{}");
  s.field("users", config::Kind::List, "Who is who on IRC, and their flags.")
      .items(bindings::user_schema())
      .fallback("[]");
  s.field("sources", config::Kind::List, "Where events come from; the keys depend on `kind` (see below).")
      .items(config::Kind::Any)
      .fallback("[]");
  s.field("handlers", config::Kind::Map, "Limits of Lua and program handlers of binds.")
      .schema(bindings::handlers::handlers_schema())
      .fallback("{}");
  s.field("binds", config::Kind::List, "What to do with events and IRC messages.")
      .items(bindings::bind_schema())
      .fallback("[]");
  return s;
}

Result<AppConfig> load_app_config(const std::string& path) {
  auto loaded = config::load_document(path);
  if (!loaded) return std::unexpected(loaded.error());
  ConfigProblems problems(path);
  for (const auto& unset : loaded->problems) problems.add_unreadable(unset);
  auto root = config::validate(app_schema(), loaded->root);
  if (!root) problems.add(root.error());

  // What the schema alone cannot check, as start-up would: checked even when a section has
  // errors, so that one run reports everything.
  const config::Node& tree = root ? *root : loaded->root;
  const auto names = check_sources(tree, problems);
  check_binds(loaded->root, names, problems);
  check_sections(loaded->root, problems);
  std::vector<std::string> warnings;
  check_role(loaded->root, problems, warnings);
  if (!problems.empty()) return fail(problems.text());
  return AppConfig{*root, path, std::move(warnings)};
}

std::string config_reference() {
  std::string out =
      "# Configuration reference\n\n"
      "Generated from the declarations in the code by `chatops-bot --config-reference`; "
      "a test keeps this page in sync. Values may use `${NAME}` or `${NAME:-default}` to read "
      "the environment; durations are written with their unit, `250ms`, `30s`, `5m`, `2h`, `1d`, sizes `64KiB`, `25MiB`. "
      "Values of type secret, and every value read from the environment, are never printed: error "
      "messages and `--check` quote them as written in the file (`\"${GITHUB_SECRET}\"`).\n\n";
  out += config::to_markdown(app_schema(), 2);
  out += "\n## Sources\n\nEvery entry of `sources:` has the keys below; `kind` selects the rest.\n\n";
  out += config::to_markdown(ingestion::common_source_schema(), 3);
  for (const auto& kind : ingestion::source_kinds()) {
    out += "\n### kind: " + kind.name + "\n\n" + kind.doc + "\n\n";
    for (const auto& schema : kind.schemas()) out += config::to_markdown(schema, 4);
  }
  return out;
}

}  // namespace chatops::bot
