#pragma once
// Handlers declared in config.yml's `binds:` list:
//
//   binds:
//     - type: webhook
//       mask: "github/pull_request"
//       source: github                                   # only events from this source
//       filter: {action: [opened, closed], "repository.full_name": "org/*"}
//       say: {to: ["#dev"], template: "[{{repo}}] PR #{{number}} {{action}}", notice: false}
//     - {type: pub, mask: "!ping", say: {template: "pong, {{nick}}"}}   # replies where asked
//     - {type: pub, mask: "!uptime", lua: {file: handlers/uptime.lua}}    # a Lua handler says it
//     - {type: webhook, mask: "deploy/*", run: {argv: [/usr/local/bin/notify]}, say: {to: ["#ops"]}}
//
// Everything is checked at start-up (flags, cron specs, templates, filter paths), and every
// problem is reported with its file:line:column.
#include <optional>
#include <string>
#include <vector>

#include "bindings/bind_table.hpp"
#include "bindings/field_filter.hpp"
#include "bindings/handlers/handler.hpp"
#include "bindings/speaker.hpp"
#include "bindings/template.hpp"
#include "core/config/node.hpp"
#include "core/config/schema.hpp"

namespace chatops::bindings {

// One item of the `binds:` list.
config::Schema bind_schema();

struct ConfigBind {
  std::size_t index = 0;  // position in `binds:` (Delivery::bind_index), for messages
  std::string key;        // identity in delivery rows (Delivery::bind_key): see bind_key()
  BindType type = BindType::Webhook;
  std::string flags;
  std::string mask;
  std::string source;  // "" = any source
  std::vector<FieldFilter> filters;
  std::vector<std::string> targets;  // "" / empty: the channel (or nick) of an IRC bind
  std::optional<Template> message;   // nullopt: the event's default template
  bool notice = false;
  std::size_t max_lines = 10;        // IRC lines per output before the rest is summarised
  bool mentions_raw = false;  // its template or a filter reads the payload (`raw`)
  // A handler instead of the template (at most one): what it returns is said.
  std::optional<handlers::LuaSpec> lua;
  std::optional<handlers::RunSpec> run;
  Origin origin;
};

// From the validated `binds:` list (undefined: none). All problems, one per line.
Result<std::vector<ConfigBind>> parse_binds(const config::Node& binds);

// A bind's key in the journal's delivery rows: "b" and 12 hex digits of a hash of what the bind
// says (its keys in any order and style), not of where it stands, so that a reload or restart that
// reorders binds does not say an event in flight again. The `occurrence`-th of binds written alike
// (from 1) gets ".<occurrence>" appended. Versions before it keyed rows by position ("3:#ops").
std::string bind_key(const config::Node& item, std::size_t occurrence);

// Adds the binds to `table`, saying through `speaker` (which must outlive the table's use). Binds
// with a Lua or program handler need `services` (which must outlive the table's use too); their
// scripts run their first time here.
Result<std::vector<BindId>> install_binds(BindTable& table, const std::vector<ConfigBind>& binds, Speaker& speaker,
                                          const handlers::HandlerServices* services = nullptr);

// What templates and filters of a bind see: an event's fields plus `_event` (id, source, family,
// topic, severity, time) and, with `with_raw`, the payload parsed as `raw` (parsing it is most of
// the cost, so only for binds that mention it); for IRC binds nick, user, host, account, handle,
// channel, text, args, command; for clock binds time ("HH:MM") and date ("YYYY-MM-DD").
nlohmann::json template_data(const BindContext& context, bool with_raw = true);

}  // namespace chatops::bindings
