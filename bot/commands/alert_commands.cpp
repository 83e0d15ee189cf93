// The commands on Alertmanager alerts: ack, silence, silences, unsilence (docs/commands.md). An
// alert is named by the short id its lines carry (`[3fa9c1]`), looked up among the alert
// notifications in the journal; silences are Alertmanager's own, made through its API v2.
#include <algorithm>
#include <optional>

#include "bot/commands/builtins.hpp"

namespace chatops::bot {

namespace {

constexpr std::size_t kIdLength = 6;
constexpr std::size_t kAlertScan = 500;  // alert notifications looked through for an id

Reply to_user(const CommandRequest& r, const std::string& text) { return Reply{{r.irc.nick + ": " + text}}; }

bool is_short_id(const std::string& word) {
  return word.size() == kIdLength &&
         std::ranges::all_of(word, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

const nlohmann::json* alerts_of(const ingestion::IngestionEvent& event) {
  const auto found = event.fields.find("alerts");
  return found != event.fields.end() && found->is_array() ? &*found : nullptr;
}

std::string text_field(const nlohmann::json& alert, const char* key) {
  const auto found = alert.find(key);
  return found != alert.end() && found->is_string() ? found->get<std::string>() : "";
}

// The alert with that id in the journal's retention (its fields as the provider gave them).
Result<std::optional<nlohmann::json>> find_alert(BotControl& control, const std::string& id) {
  auto events = control.history(kAlertScan, "alertmanager/*");
  if (!events) return std::unexpected(events.error());
  for (const auto& event : *events) {
    const auto* alerts = alerts_of(event);
    if (!alerts) continue;
    for (const auto& alert : *alerts) {
      if (alert.is_object() && text_field(alert, "id") == id) return alert;
    }
  }
  return std::optional<nlohmann::json>{};
}

// "HighLatency on a:1"
std::string alert_text(const nlohmann::json& alert) {
  const auto instance = text_field(alert, "instance");
  return text_field(alert, "name") + (instance.empty() ? "" : " on " + instance);
}

std::string lowered(std::string word) {
  std::ranges::transform(word, word.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return word;
}

std::string handle_of(const CommandRequest& r) { return r.irc.known_user ? r.irc.known_user->handle : r.irc.nick; }

Reply ack(BotControl& control, const CommandRequest& r) {
  if (r.args.size() != 1) return to_user(r, "usage: ack <alert id> (the [id] an alert line carries)");
  const auto id = lowered(r.args[0]);
  if (!is_short_id(id)) return to_user(r, "an alert id is the 6 hex digits an alert line carries in [brackets].");
  auto alert = find_alert(control, id);
  if (!alert) return to_user(r, "cannot read the journal: " + alert.error().message);
  if (!*alert) return to_user(r, "no alert " + id + " in the journal's retention.");
  const auto by = handle_of(r);
  const auto what = alert_text(**alert);
  if (auto acked = control.ack(Ack{id, what, by, std::chrono::system_clock::now()}); !acked)
    return to_user(r, "cannot keep the ack: " + acked.error().message);
  return Reply{{"Alert " + id + " (" + what + ") acknowledged by " + by + "."}};
}

std::string matchers_text(const std::vector<SilenceMatcher>& matchers) {
  std::string out;
  for (const auto& m : matchers) out += (out.empty() ? "" : ", ") + matcher_text(m);
  return out;
}

// silence <id | matcher…> <duration> [comment…]
Reply silence(BotControl& control, const CommandRequest& r) {
  const std::string usage = "usage: silence <alert id | name=value …> <duration: 30m, 2h, 1d> [comment]";
  auto client = control.silence_client();
  if (!client) return to_user(r, "silencing is off: alertmanager.url is not configured.");
  if (r.args.size() < 2) return to_user(r, usage);
  std::vector<SilenceMatcher> matchers;
  std::size_t next = 0;
  std::string what;
  if (const auto id = lowered(r.args[0]); is_short_id(id)) {
    auto alert = find_alert(control, id);
    if (!alert) return to_user(r, "cannot read the journal: " + alert.error().message);
    if (!*alert) return to_user(r, "no alert " + id + " in the journal's retention.");
    // All of its labels: the silence covers this alert and no other.
    if (const auto labels = (*alert)->find("labels"); labels != (*alert)->end() && labels->is_object())
      for (const auto& [name, value] : labels->items())
        if (value.is_string()) matchers.push_back({name, value.get<std::string>()});
    if (matchers.empty()) return to_user(r, "alert " + id + " has no labels to silence it by.");
    what = id + " (" + alert_text(**alert) + ")";
    next = 1;
  } else {
    for (; next < r.args.size() && r.args[next].find_first_of("=~") != std::string::npos; ++next) {
      auto matcher = parse_matcher(r.args[next]);
      if (!matcher) return to_user(r, matcher.error().message);
      matchers.push_back(std::move(*matcher));
    }
    if (matchers.empty()) return to_user(r, usage);
    what = matchers_text(matchers);
  }
  if (next >= r.args.size()) return to_user(r, usage);
  const auto duration = parse_mute_duration(r.args[next]);
  if (!duration) return to_user(r, "invalid duration '" + r.args[next] + "' (30m, 2h, 1d; at most a year).");
  std::string comment;
  for (std::size_t i = next + 1; i < r.args.size(); ++i) comment += (comment.empty() ? "" : " ") + r.args[i];
  const auto by = handle_of(r);
  if (comment.empty()) comment = "silenced from IRC by " + by;  // Alertmanager requires one
  // Alertmanager may take its whole timeout: answered from the command worker.
  return Reply{.later = [client, matchers, duration = *duration, by, comment, what, nick = r.irc.nick] {
    auto created = client->create(matchers, duration, by, comment);
    if (!created) return Reply{{nick + ": no silence: " + created.error().message}};
    return Reply{{"Silenced " + what + " for " + duration_text(duration) + ": silence " + *created + " by " + by + "."}};
  }};
}

Reply silences(BotControl& control, const CommandRequest& r) {
  auto client = control.silence_client();
  if (!client) return to_user(r, "silencing is off: alertmanager.url is not configured.");
  return Reply{.later = [client, nick = r.irc.nick] {
    auto list = client->active();
    if (!list) return Reply{{nick + ": cannot list silences: " + list.error().message}};
    Reply reply;
    for (const auto& s : *list)
      reply.lines.push_back(s.id + " " + s.state + " until " + s.ends_at + " by " + s.created_by + ": " +
                            matchers_text(s.matchers) + (s.comment.empty() ? "" : " — " + s.comment));
    if (reply.lines.empty()) reply.lines.push_back("No active silence.");
    return reply;
  }};
}

Reply unsilence(BotControl& control, const CommandRequest& r) {
  auto client = control.silence_client();
  if (!client) return to_user(r, "silencing is off: alertmanager.url is not configured.");
  if (r.args.size() != 1) return to_user(r, "usage: unsilence <silence id> (as !silences lists it)");
  return Reply{.later = [client, id = r.args[0], by = handle_of(r), nick = r.irc.nick] {
    if (auto expired = client->expire(id); !expired) return Reply{{nick + ": cannot expire it: " + expired.error().message}};
    return Reply{{"Silence " + id + " expired by " + by + "."}};
  }};
}

}  // namespace

std::string acked_text(const ingestion::IngestionEvent& event, const std::vector<Ack>& acks) {
  const auto* alerts = alerts_of(event);
  if (!alerts || acks.empty()) return "";
  std::string out;
  for (const auto& alert : *alerts) {
    if (!alert.is_object()) continue;
    const auto id = text_field(alert, "id");
    const auto found = std::ranges::find(acks, id, &Ack::id);
    if (found != acks.end()) out += (out.empty() ? "" : ", ") + id + " by " + found->by;
  }
  return out.empty() ? "" : " (acked " + out + ")";
}

Result<void> add_alert_commands(CommandTable& table, BotControl& control, const BuiltinFlags& flags) {
  const std::vector<std::pair<CommandSpec, CommandHandler>> commands{
      {{"ack", {}, flags.alerts, "<alert id>",
        "Acknowledge an Alertmanager alert by the [id] its line carries; status and history show it."},
       [&control](const CommandRequest& r) { return ack(control, r); }},
      {{"silence", {}, flags.alerts, "<alert id | name=value …> <duration> [comment]",
        "Create a silence in Alertmanager for one alert (by its [id]) or by matchers (=, !=, =~, !~)."},
       [&control](const CommandRequest& r) { return silence(control, r); }},
      {{"silences", {}, flags.alerts, "", "Alertmanager's active and pending silences."},
       [&control](const CommandRequest& r) { return silences(control, r); }},
      {{"unsilence", {}, flags.alerts, "<silence id>", "Expire a silence in Alertmanager."},
       [&control](const CommandRequest& r) { return unsilence(control, r); }},
  };
  for (const auto& [spec, handler] : commands)
    if (auto added = table.add(spec, handler); !added) return added;
  return {};
}

}  // namespace chatops::bot
