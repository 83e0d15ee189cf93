#include "bindings/config_binds.hpp"

#include <cctype>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "bindings/handlers/handlers_config.hpp"
#include "core/crypto.hpp"
#include "ingestion/field_lookup.hpp"

namespace chatops::bindings {
namespace {

// Whether a template or a filter path may read the payload: a word "raw" anywhere in it. Erring
// towards yes only costs the parse.
bool mentions_raw(std::string_view text) {
  for (auto at = text.find("raw"); at != std::string_view::npos; at = text.find("raw", at + 3)) {
    const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if ((at == 0 || !word(text[at - 1])) && (at + 3 == text.size() || !word(text[at + 3]))) return true;
  }
  return false;
}

// The node as text that depends on neither key order nor flow/block style.
void append_canonical(const YAML::Node& node, std::string& out) {
  if (node.IsMap()) {
    std::map<std::string, YAML::Node> sorted;
    for (const auto& entry : node) sorted.emplace(entry.first.Scalar(), entry.second);
    out += '{';
    for (const auto& [key, value] : sorted) {
      out += std::to_string(key.size()) + ':' + key;
      append_canonical(value, out);
    }
    out += '}';
  } else if (node.IsSequence()) {
    out += '[';
    for (const auto& item : node) append_canonical(item, out);
    out += ']';
  } else if (node.IsScalar()) {
    out += std::to_string(node.Scalar().size()) + '"' + node.Scalar();
  } else {
    out += '~';
  }
}

std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "\n") + p;
  return out;
}

std::string choices_text() {
  std::string out;
  for (const auto name : bind_type_names()) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

config::Schema say_schema() {
  config::Schema s("say", "Say a rendered template to channels or nicks.");
  s.field("to", config::Kind::List, "Targets (channels or nicks). Default for IRC binds: where the trigger came from.")
      .items(config::Kind::String)
      .fallback("[]")
      .example("[\"#ops\", \"#dev\"]");
  s.field("template", config::Kind::String,
          "Mustache template with [B]/[U]/[I]/[COLOR=…]/[RESET] markup (docs/bindings.md). "
          "Default: the event's own template, from its provider.")
      .example("\"[B]{{repo}}[/B]: {{pusher}} {{summary}}\"");
  s.field("notice", config::Kind::Boolean, "Send NOTICE instead of PRIVMSG.").fallback("false");
  s.field("max_lines", config::Kind::Integer,
          "IRC lines one output may take, counted after splitting long lines; the rest is summarised "
          "in one line (\"… 629 more lines not said\"), so that one event cannot hold a channel.")
      .fallback("10")
      .range(1, 1000);
  return s;
}

// Per say-handler: the provider templates met so far, compiled once (or why they do not compile).
// Events carry their provider's template into the journal, so one journaled by an older version
// may bring a template this version refuses.
using TemplateCache = std::unordered_map<std::string, Result<Template>>;

const Result<Template>& default_template(TemplateCache& cache, const std::string& text) {
  auto found = cache.find(text);
  if (found == cache.end()) found = cache.emplace(text, Template::compile(text)).first;
  return found->second;
}

const Template& generic_template() {
  static const Template fallback = *Template::compile("[{{_event.source}}] {{_event.topic}}");
  return fallback;
}

std::string reply_target(const IrcContext& irc) { return irc.channel.empty() ? irc.nick : irc.channel; }

std::string utc_text(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

bool blank(const std::string& text) { return text.find_first_not_of(" \t\r\n") == std::string::npos; }

// An event that stands for many (`digest: true`: a log source's rate cap counting a flood) is said
// with its own line: a bind's template is written for the single events.
bool is_digest(const ingestion::IngestionEvent* event) {
  return event && !event->default_template.empty() && ingestion::field_boolean(event->fields, "digest").value_or(false);
}

// The bind's template, else the event's own, else "[source] topic".
Result<Template> template_for(const ConfigBind& bind, TemplateCache& cache, const ingestion::IngestionEvent* event) {
  if (bind.message && !is_digest(event)) return *bind.message;
  if (event && !event->default_template.empty()) {
    const auto& compiled = default_template(cache, event->default_template);
    if (!compiled) return fail("the event's template does not compile: " + compiled.error().message);
    return *compiled;
  }
  return generic_template();
}

Result<std::string> render(const Template& message, const nlohmann::json& data) {
  try {
    return message.render(data);
  } catch (const std::exception& e) {  // e.g. out of memory on a huge payload: this event only
    return fail(std::string("rendering failed: ") + e.what());
  }
}

// An event's rendering put off until its text is wanted, done at most once for all the bind's
// targets; `data` is what the filters read already, if they did.
Rendering rendering_later(Template message, const ingestion::IngestionEvent& event, bool with_raw,
                          std::optional<nlohmann::json> data) {
  struct Later {
    Template message;
    const ingestion::IngestionEvent* event;
    bool with_raw;
    std::optional<nlohmann::json> data;
    std::optional<Result<std::string>> text;
  };
  auto later = std::make_shared<Later>(Later{std::move(message), &event, with_raw, std::move(data), std::nullopt});
  return [later]() -> Result<std::string> {
    if (!later->text) {
      try {
        if (!later->data) later->data = template_data(BindContext(*later->event), later->with_raw);
        later->text = render(later->message, *later->data);
      } catch (const std::exception& e) {
        later->text = fail(std::string("rendering failed: ") + e.what());
      }
      later->data.reset();
    }
    return *later->text;
  };
}

// A filter entry's value: one pattern or a list of them (a map is comparisons, read apart).
Result<std::vector<std::string>> filter_patterns(const config::Node& value) {
  if (value.is_scalar()) return std::vector<std::string>{value.scalar()};
  if (!value.is_sequence()) return fail("expected a value or a list of values");
  std::vector<std::string> patterns;
  for (const auto& item : value.items()) {
    if (!item.is_scalar()) return fail("expected a value or a list of values");
    patterns.push_back(item.scalar());
  }
  return patterns;
}

Result<ConfigBind> parse_one(const config::Node& item, std::size_t index) {
  std::vector<std::string> problems;
  ConfigBind bind;
  bind.index = index;
  bind.origin.where = item.where();
  const auto type = parse_bind_type(item.str("type"));
  if (!type) return std::unexpected(item["type"].error("unknown bind type (one of " + choices_text() + ")"));
  bind.type = *type;
  bind.flags = item.str("flags");
  if (auto flags = FlagMask::parse(bind.flags); !flags) problems.push_back(item["flags"].error(flags.error().message).message);
  bind.mask = item.str("mask");
  if (bind.type == BindType::Cron)
    if (auto spec = CronSpec::parse(bind.mask); !spec) problems.push_back(item["mask"].error(spec.error().message).message);

  if (item.has("source")) {
    bind.source = item.str("source");
    if (!is_ingestion(bind.type)) problems.push_back(item["source"].error("source applies to ingestion binds only").message);
  }
  const auto filter = item.map("filter");
  for (const auto& path : filter.keys()) {
    const auto value = filter[path];
    if (value.is_map()) {  // comparisons on a number: {gt: 90}, {gte: 500, lt: 600}
      auto comparisons = conditions_from(value);  // its errors name the comparison's place
      if (!comparisons) {
        problems.push_back(comparisons.error().message);
        continue;
      }
      auto parsed = FieldFilter::parse(path, std::move(*comparisons));
      if (parsed) bind.filters.push_back(std::move(*parsed));
      else problems.push_back(value.error(parsed.error().message).message);
      continue;
    }
    auto patterns = filter_patterns(value);
    if (!patterns) {
      problems.push_back(value.error(patterns.error().message).message);
      continue;
    }
    auto parsed = FieldFilter::parse(path, std::move(*patterns));
    if (parsed) bind.filters.push_back(std::move(*parsed));
    else problems.push_back(value.error(parsed.error().message).message);
  }

  if (item.has("lua") && item.has("run")) problems.push_back(item["run"].error("a bind runs one handler: `lua` or `run`").message);
  if (item.has("lua")) {
    auto lua = handlers::parse_lua(item.map("lua"), "binds[" + std::to_string(index) + "]");
    if (lua) bind.lua = std::move(*lua);
    else problems.push_back(lua.error().message);
  } else if (item.has("run")) {
    auto run = handlers::parse_run(item.map("run"));
    if (run) bind.run = std::move(*run);
    else problems.push_back(run.error().message);
  }
  const bool has_handler = item.has("lua") || item.has("run");

  const auto say = item.map("say");
  bind.targets = say.strings("to");
  bind.notice = say.boolean("notice");
  bind.max_lines = static_cast<std::size_t>(say.integer("max_lines"));
  if (bind.targets.empty() && !is_irc(bind.type))
    problems.push_back(say.error("`to` is required: only IRC binds have somewhere to reply").message);
  if (say.has("template") && has_handler) {
    problems.push_back(say["template"].error("a bind with a `lua` or `run` handler says what it returns, not a template").message);
  } else if (say.has("template")) {
    auto compiled = Template::compile(say.str("template"));
    if (compiled) bind.message = std::move(*compiled);
    else problems.push_back(say["template"].error("template does not compile: " + compiled.error().message).message);
  } else if (!is_ingestion(bind.type) && !has_handler) {
    problems.push_back(say.error("`template` is required: only ingestion events bring their own").message);
  }
  if (!problems.empty()) return fail(joined(problems));
  // A handler gets the whole trigger: the payload too.
  bind.mentions_raw = has_handler || (say.has("template") && mentions_raw(say.str("template")));
  for (const auto& filter : bind.filters) bind.mentions_raw |= mentions_raw(filter.path());
  return bind;
}

// A Lua or program handler that fails on IRC or clock triggers tells where it would have spoken,
// at most once per interval (events' failures are told by the dispatcher, likewise).
struct FailureNotices {
  std::chrono::steady_clock::time_point last{};
  bool told = false;
  bool due() {
    const auto now = std::chrono::steady_clock::now();
    if (told && now - last < std::chrono::minutes(10)) return false;
    told = true;
    last = now;
    return true;
  }
};

// Says what a handler made of a trigger: its text to the targets, its failure as reported failures
// are, and, for an event whose program runs, that the event waits.
void speak(const ConfigBind& bind, Speaker& speaker, const std::vector<std::string>& targets, const Delivery& delivery,
           bool from_event, FailureNotices& notices, const handlers::Outcome& outcome) {
  if (outcome.later) {
    if (from_event) speaker.later(handlers::kProgramsWaiting, delivery);
    return;
  }
  if (!blank(outcome.text))
    for (const auto& target : targets) speaker.say({target, outcome.text, bind.notice, bind.max_lines, delivery});
  if (outcome.failure.empty()) return;
  speaker.cannot_say(targets, outcome.failure, delivery);
  if (from_event || !notices.due()) return;
  const auto line = "[chatops] " + inert_text(bind.mask) + " failed: " + inert_text(outcome.failure);
  for (const auto& target : targets) speaker.say({target, line, bind.notice, 1, delivery});
}

// The handler behind a config bind: filters, then renders (or runs its Lua or program handler)
// and says.
Handler say_handler(const ConfigBind& bind, Speaker& speaker, handlers::Producer producer) {
  auto cache = std::make_shared<TemplateCache>();
  auto notices = std::make_shared<FailureNotices>();
  return [bind, &speaker, cache, producer = std::move(producer), notices](const BindContext& context) {
    const auto* event = context.event();
    if (event && !bind.source.empty() && event->source != bind.source) return BindResult::Skip;
    // The payload is parsed only for a bind that mentions it (a filter or either template).
    const bool with_raw = bind.mentions_raw || (event && !bind.message && mentions_raw(event->default_template));
    // Built when something reads it now (filters, a handler, a rendering said now), else by the
    // rendering put off, if the output is said at all.
    std::optional<nlohmann::json> data;
    const auto data_now = [&]() -> const nlohmann::json& {
      if (!data) data = template_data(context, with_raw);
      return *data;
    };
    for (const auto& filter : bind.filters)
      if (!filter.matches(data_now())) return BindResult::Skip;

    auto targets = bind.targets;
    if (const auto* irc = context.irc(); irc && targets.empty()) targets.push_back(reply_target(*irc));
    const Delivery delivery{event ? event->id : 0, bind.index, bind.key};
    if (producer) {
      // A program's answer to an IRC or clock trigger comes later, on the io thread.
      const auto later = [bind, &speaker, targets, delivery, notices](const handlers::Outcome& outcome) {
        speak(bind, speaker, targets, delivery, false, *notices, outcome);
      };
      speak(bind, speaker, targets, delivery, event != nullptr, *notices, producer(context, data_now(), later));
      return BindResult::Continue;
    }
    const auto message = template_for(bind, *cache, event);
    if (!message) {
      speaker.cannot_say(targets, message.error().message, delivery);
      return BindResult::Continue;
    }
    if (event && message->never_blank() && speaker.renders_later()) {
      // Whether it is said is known without its text: an output counted in a digest is not rendered.
      const auto rendering = rendering_later(*message, *event, with_raw, std::move(data));
      for (const auto& target : targets) speaker.say({target, {}, bind.notice, bind.max_lines, delivery, rendering});
      return BindResult::Continue;
    }
    const auto text = render(*message, data_now());
    if (!text) {
      speaker.cannot_say(targets, text.error().message, delivery);
      return BindResult::Continue;
    }
    if (blank(*text)) return BindResult::Continue;  // e.g. a template that is all conditional
    for (const auto& target : targets) speaker.say({target, *text, bind.notice, bind.max_lines, delivery});
    return BindResult::Continue;
  };
}

Result<handlers::Producer> producer_of(const ConfigBind& bind, const handlers::HandlerServices* services) {
  if (!bind.lua && !bind.run) return handlers::Producer{};
  if (!services) return fail("Lua and program handlers cannot run here");
  if (bind.lua) return handlers::lua_producer(*bind.lua, *services);
  return handlers::program_producer(*bind.run, *services);
}

}  // namespace

config::Schema bind_schema() {
  config::Schema s("bind",
                   "A handler: when a bind of this type and mask triggers, say a template, or what a Lua or program "
                   "handler returns.");
  std::vector<std::string> types;
  for (const auto name : bind_type_names()) types.emplace_back(name);
  s.field("type", config::Kind::String, "Bind type: what triggers it (docs/bindings.md).")
      .required()
      .one_of(types);
  s.field("flags", config::Kind::String, "Who may trigger it: `global|channel` user flags (`-|-` anyone, `o|o`, `n`).")
      .fallback("\"-|-\"");
  s.field("mask", config::Kind::String,
          "What triggers it: a command word (pub, msg), a wildcard mask (`github/*`, `#ops *deploy*`) or a cron spec.")
      .required()
      .example("\"github/push\"");
  s.field("source", config::Kind::String, "Only events from the source with this name (ingestion binds).");
  s.field("filter", config::Kind::Map,
          "Field conditions, all required: field path (`a.b` or `/a/b`) to a wildcard or a list of them, or to "
          "comparisons on a number (gt, gte, lt, lte, eq, ne: a number; outside, inside: [low, high]; several: all "
          "must hold).")
      .fallback("{}")
      .example("{action: [opened, closed], \"repository.full_name\": \"org/*\", value: {gt: 90}}");
  s.field("lua", config::Kind::Map, "A Lua handler: says what the script returns (instead of a template).")
      .schema(handlers::lua_schema());
  s.field("run", config::Kind::Map, "A program handler: says the lines the program writes (instead of a template).")
      .schema(handlers::run_schema());
  s.field("say", config::Kind::Map, "What to say, and where: a template, or where a handler's lines go.")
      .schema(say_schema())
      .fallback("{}");
  return s;
}

Result<std::vector<ConfigBind>> parse_binds(const config::Node& binds) {
  std::vector<ConfigBind> out;
  std::vector<std::string> problems;
  if (!binds.defined()) return out;
  const auto items = binds.items();
  std::unordered_map<std::string, std::size_t> written_alike;  // key → binds so far
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto bind = parse_one(items[i], i);
    if (!bind) {
      problems.push_back(bind.error().message);
      continue;
    }
    bind->key = bind_key(items[i], 1);
    if (const auto n = ++written_alike[bind->key]; n > 1) bind->key = bind_key(items[i], n);
    out.push_back(std::move(*bind));
  }
  if (!problems.empty()) return fail(joined(problems));
  return out;
}

std::string bind_key(const config::Node& item, std::size_t occurrence) {
  std::string canonical;
  append_canonical(item.yaml(), canonical);
  auto key = "b" + crypto::to_hex(crypto::hash(crypto::Digest::Sha256, canonical)).substr(0, 12);
  return occurrence > 1 ? key + "." + std::to_string(occurrence) : key;
}

Result<std::vector<BindId>> install_binds(BindTable& table, const std::vector<ConfigBind>& binds, Speaker& speaker,
                                          const handlers::HandlerServices* services) {
  std::vector<BindId> ids;
  for (const auto& bind : binds) {
    auto producer = producer_of(bind, services);
    if (!producer) return fail(bind.origin.where + ": " + producer.error().message);
    auto id = table.bind(bind.type, bind.flags, bind.mask, say_handler(bind, speaker, std::move(*producer)), bind.origin);
    if (!id) return fail(bind.origin.where + ": " + id.error().message);
    ids.push_back(*id);
  }
  return ids;
}

nlohmann::json template_data(const BindContext& context, bool with_raw) {
  if (const auto* event = context.event()) {
    const auto& fields = event->fields.object();
    nlohmann::json data = fields.is_object() ? fields : nlohmann::json::object();
    if (with_raw && !data.contains("raw")) {
      if (const auto text = ingestion::payload_text(*event); !text.empty()) {
        auto raw = nlohmann::json::parse(text, nullptr, false);
        if (!raw.is_discarded()) data["raw"] = std::move(raw);
      }
    }
    data["_event"] = {
        {"id", event->id},
        {"source", event->source},
        {"family", event->family},
        {"kind", event->family},  // its name before families had one of their own
        {"topic", event->topic},
        {"severity", ingestion::to_string(event->severity)},
        {"time", utc_text(event->time)},
    };
    return data;
  }
  if (const auto* irc = context.irc()) {
    return {{"nick", irc->nick},       {"user", irc->user},   {"host", irc->host},
            {"account", irc->account}, {"handle", irc->handle()}, {"channel", irc->channel},
            {"text", irc->text},       {"args", irc->args},   {"command", irc->command}};
  }
  const auto& tick = *context.tick();
  nlohmann::json data = tick.summary.is_object() ? tick.summary : nlohmann::json::object();
  data["time"] = fmt::format("{:02}:{:02}", tick.local.tm_hour, tick.local.tm_min);
  data["date"] = fmt::format("{:04}-{:02}-{:02}", tick.local.tm_year + 1900, tick.local.tm_mon + 1, tick.local.tm_mday);
  return data;
}

}  // namespace chatops::bindings
