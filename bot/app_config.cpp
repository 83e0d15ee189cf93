#include "bot/app_config.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "bindings/config_binds.hpp"
#include "bindings/users.hpp"
#include "bot/delivery_config.hpp"
#include "bot/irc/client_config.hpp"
#include "core/text/suggest.hpp"
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

// Error lines from several checks, in order, each once (a bad bind is seen by two checks).
class Problems {
 public:
  void add(const Error& e) {
    std::size_t start = 0;
    while (start <= e.message.size()) {
      auto end = std::min(e.message.find('\n', start), e.message.size());
      auto line = e.message.substr(start, end - start);
      if (!line.empty() && seen_.insert(line).second) lines_.push_back(line);
      start = end + 1;
    }
  }
  bool empty() const { return lines_.empty(); }
  std::string text() const {
    std::string out;
    for (const auto& l : lines_) out += (out.empty() ? "" : "\n") + l;
    return out;
  }

 private:
  std::set<std::string> seen_;
  std::vector<std::string> lines_;
};
}  // namespace

config::Schema app_schema() {
  config::Schema s("config.yml", "The whole configuration file. Each section is described below.");
  s.field("log", config::Kind::Map, "Logging.").schema(log_schema()).fallback("{}");
  s.field("irc", config::Kind::Map, "The IRC connection.").schema(irc::client_schema()).required();
  s.field("http", config::Kind::Map, "The HTTP listener for webhooks, /healthz and /metrics.")
      .schema(http::http_schema())
      .fallback("{}");
  s.field("storage", config::Kind::Map, "The journal.").schema(ingestion::storage_schema()).fallback("{}");
  s.field("delivery", config::Kind::Map, "How events are fed to IRC.").schema(delivery_schema()).fallback("{}");
  s.field("users", config::Kind::List, "Who is who on IRC, and their flags.")
      .items(bindings::user_schema())
      .fallback("[]");
  s.field("sources", config::Kind::List, "Where events come from; the keys depend on `kind` (see below).")
      .items(config::Kind::Any)
      .fallback("[]");
  s.field("binds", config::Kind::List, "What to do with events and IRC messages.")
      .items(bindings::bind_schema())
      .fallback("[]");
  return s;
}

Result<AppConfig> load_app_config(const std::string& path) {
  auto loaded = config::load_file(path);
  if (!loaded) return std::unexpected(loaded.error());
  Problems problems;
  auto root = config::validate(app_schema(), *loaded);
  if (!root) problems.add(root.error());

  // What the schema alone cannot check: each source by its kind, each bind's templates and
  // filters. Checked even when a section has errors, so that one run reports everything.
  const config::Node& tree = root ? *root : *loaded;
  std::set<std::string> names;
  for (const auto& entry : tree["sources"].is_sequence() ? tree["sources"].items() : std::vector<config::Node>{}) {
    auto source = ingestion::validate_source(entry);
    if (!source) {
      problems.add(source.error());
    } else if (!names.insert(source->node.str("name")).second) {
      problems.add(entry["name"].error("duplicate source name '" + source->node.str("name") + "'"));
    }
  }
  config::Schema binds_only("config.yml", "");
  binds_only.open().field("binds", config::Kind::List, "").items(bindings::bind_schema()).fallback("[]");
  if (auto binds = config::validate(binds_only, *loaded); !binds) {
    problems.add(binds.error());
  } else if (auto parsed = bindings::parse_binds((*binds)["binds"]); !parsed) {
    problems.add(parsed.error());
  } else {
    // A bind restricted to a source that does not exist would never trigger.
    const std::vector<std::string> known(names.begin(), names.end());
    const auto items = (*binds)["binds"].items();
    for (const auto& bind : *parsed)
      if (!bind.source.empty() && !names.contains(bind.source))
        problems.add(items[bind.index]["source"].error("no source is named \"" + bind.source + "\"" +
                                                       text::did_you_mean(bind.source, known)));
  }
  if (root) {
    if (auto irc = irc::ClientConfig::from(root->map("irc")); !irc) problems.add(irc.error());
  }
  if (!problems.empty()) return fail(problems.text());
  return AppConfig{*root, path};
}

std::string config_reference() {
  std::string out =
      "# Configuration reference\n\n"
      "Generated from the declarations in the code by `chatops-bot --config-reference`; "
      "a test keeps this page in sync. Values may use `${NAME}` or `${NAME:-default}` to read "
      "the environment; durations are written `250ms`, `30s`, `5m`, `2h`, `1d`, sizes `64KiB`, `25MiB`.\n\n";
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
