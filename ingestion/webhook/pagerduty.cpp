#include "ingestion/webhook/pagerduty.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/crypto.hpp"
#include "ingestion/webhook/auth.hpp"
#include "ingestion/webhook/json_fields.hpp"

namespace chatops::ingestion::webhook {

namespace {

// The `summary` of each reference in the array at `pointer`, comma-separated.
std::string summaries_at(Value j, std::string_view pointer) {
  std::string out;
  if (const auto list = find(j, pointer); list && list->is_array())
    for (Value item : list->get_array())
      if (auto name = text_at(item, "/summary"); !name.empty()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Incident, service and people: "#{{number}} {{title}} [{{service}}]" reads the same in every template.
#define INCIDENT "#{{number}} {{title}} [{{service}}]"
#define BY_AGENT "{{#agent}} by {{agent}}{{/agent}}"

// The incident the event is about: the data itself, or data.incident for an incident_note.
void incident_fields(Value data, Fields& f);
// "Send Test Event" in a webhook subscription: data is {message, type: ping}.
void ping_fields(Value data, Fields& f) { f["message"] = first_line(text_at(data, "/message"), 200); }

struct EventMapping {
  std::string_view event_type;
  std::string_view default_template;
  void (*fields)(Value data, Fields& f) = incident_fields;
};

// [/COLOR] resets bold too, so bold goes inside the colour.
constexpr std::array kEvents{
    EventMapping{"incident.triggered", "[COLOR=RED][B]TRIGGERED[/B][/COLOR] " INCIDENT
                                       " {{urgency}} urgency{{#priority}}, {{priority}}{{/priority}}"
                                       "{{#assignees}} → {{assignees}}{{/assignees}} {{url}}"},
    EventMapping{"incident.acknowledged", "[COLOR=YELLOW][B]ACKNOWLEDGED[/B][/COLOR] " INCIDENT BY_AGENT " {{url}}"},
    EventMapping{"incident.unacknowledged",
                 "[COLOR=RED][B]UNACKNOWLEDGED[/B][/COLOR] " INCIDENT
                 "{{#assignees}} → {{assignees}}{{/assignees}} {{url}}"},
    EventMapping{"incident.resolved", "[COLOR=GREEN][B]RESOLVED[/B][/COLOR] " INCIDENT BY_AGENT " {{url}}"},
    EventMapping{"incident.reassigned",
                 "[B]REASSIGNED[/B] " INCIDENT "{{#assignees}} → {{assignees}}{{/assignees}}" BY_AGENT " {{url}}"},
    EventMapping{"incident.escalated",
                 "[COLOR=RED][B]ESCALATED[/B][/COLOR] " INCIDENT "{{#assignees}} → {{assignees}}{{/assignees}} {{url}}"},
    EventMapping{"incident.annotated", "[B]NOTE[/B] on {{title}}" BY_AGENT ": {{note_excerpt}} {{url}}"},
    EventMapping{"incident.priority_updated",
                 "[B]PRIORITY[/B] " INCIDENT " is now {{#priority}}[B]{{priority}}[/B]{{/priority}}"
                 "{{^priority}}unset{{/priority}}" BY_AGENT " {{url}}"},
    EventMapping{"pagey.ping", "PagerDuty webhook is set up" BY_AGENT ": {{message}}", ping_fields},
};

#undef INCIDENT
#undef BY_AGENT

Severity severity_of(std::string_view action, bool low_urgency) {
  if (action == "ping") return Severity::Info;
  if (action == "triggered" || action == "unacknowledged" || action == "escalated")
    return low_urgency ? Severity::Warning : Severity::Critical;
  return action == "resolved" ? Severity::Info : Severity::Notice;
}

void incident_fields(Value data, Fields& f) {
  const bool note = text_at(data, "/type") == "incident_note";
  const Value i = note ? find(data, "/incident").value_or(data) : data;
  f["incident_id"] = text_at(i, "/id");
  f["title"] = first_line(text_at(i, "/title", text_at(i, "/summary")), 200);
  f["url"] = text_at(i, "/html_url");
  // An incident_note carries only a reference to its incident: these stay empty.
  if (note) f["number"] = nullptr;
  else f["number"] = int_at(i, "/number");
  f["status"] = text_at(i, "/status");
  f["urgency"] = text_at(i, "/urgency");
  f["priority"] = or_null(text_at(i, "/priority/summary"));
  f["service"] = text_at(i, "/service/summary");
  f["service_url"] = text_at(i, "/service/html_url");
  f["escalation_policy"] = text_at(i, "/escalation_policy/summary");
  f["teams"] = summaries_at(i, "/teams");
  f["assignees"] = or_null(summaries_at(i, "/assignees"));
  if (note) {
    f["note"] = or_null(text_at(data, "/content"));
    f["note_excerpt"] = first_line(text_at(data, "/content"), 300);
  } else {
    f["note"] = nullptr;
    f["note_excerpt"] = nullptr;
  }
}

class PagerDutyProvider final : public Provider {
 public:
  explicit PagerDutyProvider(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}

  std::optional<Rejection> authenticate(const Request& request) const override {
    const auto header = request.header("X-PagerDuty-Signature");
    if (!header || trim(*header).empty())
      return unauthorized(kMissingSignature, "missing X-PagerDuty-Signature header");
    if (request.head_only) return std::nullopt;  // the signatures cover the body
    std::vector<std::string> expected;
    for (const auto& secret : secrets_) expected.push_back(crypto::hmac(crypto::Digest::Sha256, secret, request.body));
    // "v1=<hex>,v1=<hex>": one signature per secret PagerDuty holds; any match authenticates.
    std::string_view rest = *header;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view item = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (!item.starts_with("v1=")) continue;
      const auto given = crypto::from_hex(item.substr(3));
      if (given && std::ranges::any_of(expected, [&](const auto& mac) { return crypto::constant_time_equal(*given, mac); }))
        return std::nullopt;
    }
    return unauthorized(kBadSignature, "no v1 signature in X-PagerDuty-Signature matches the body");
  }

  std::expected<Parsed, Rejection> parse(const Request& request) const override {
    auto body = parse_json_body(request);
    if (!body) return std::unexpected(body.error());
    const auto event = find(body->root(), "/event");
    if (!event || !event->is_object())
      return std::unexpected(bad_request("missing_field", "not a PagerDuty v3 webhook (no event object)"));
    const std::string type = text_at(*event, "/event_type");
    if (type.empty()) return std::unexpected(bad_request("missing_field", "PagerDuty event without event_type"));
    const auto mapping = std::ranges::find(kEvents, type, &EventMapping::event_type);
    if (mapping == kEvents.end())
      return Parsed{{}, "unmapped PagerDuty event " + (is_token(type) ? first_line(type, 60) : "(unnamed)")};
    const auto data = find(*event, "/data");
    if (!data || !data->is_object())
      return std::unexpected(bad_request("missing_field", "PagerDuty " + type + " event without data"));

    IngestionEvent e;
    e.topic = "pagerduty/" + type;
    const std::string action = type.substr(type.find('.') + 1);
    const std::string event_id = text_at(*event, "/id");
    Fields f;
    f["what"] = type == "pagey.ping" ? "pings" : "incident updates";  // in digest lines
    f["event_type"] = type;
    f["action"] = action;
    f["event_id"] = event_id;
    f["occurred_at"] = text_at(*event, "/occurred_at");
    f["agent"] = or_null(text_at(*event, "/agent/summary"));
    f["agent_url"] = text_at(*event, "/agent/html_url");
    mapping->fields(*data, f);
    e.severity = severity_of(action, f.raw("urgency") == R"("low")");
    e.fields = EventFields::from_text(std::move(f).text());
    e.raw = body->text();
    e.default_template = std::string(mapping->default_template);
    // X-Webhook-Id is the same on every retry of one delivery; event.id names the event itself.
    if (const auto id = request.header("X-Webhook-Id"); id && is_token(*id))
      e.dedupe_key = "pagerduty:" + *id;
    else if (is_token(event_id))
      e.dedupe_key = "pagerduty:" + event_id;
    e.time = request.received;
    return Parsed{{std::move(e)}, {}};
  }

 private:
  std::vector<std::string> secrets_;
};

config::Schema pagerduty_schema() {
  config::Schema s("pagerduty", "PagerDuty v3 webhook subscription.");
  s.field("secret", config::Kind::Secret, "The subscription's signing secret (X-PagerDuty-Signature).")
      .example("\"${PAGERDUTY_SECRET}\"");
  s.field("secrets", config::Kind::List,
          "Several signing secrets, any of which may sign (while rotating); used with or instead of secret.")
      .items(config::Kind::Secret)
      .example("[\"${PAGERDUTY_SECRET_OLD}\", \"${PAGERDUTY_SECRET}\"]");
  return s;
}

}  // namespace

std::unique_ptr<Provider> make_pagerduty(std::vector<std::string> secrets) {
  return std::make_unique<PagerDutyProvider>(std::move(secrets));
}

ProviderSpec pagerduty_spec() {
  return {
      .name = "pagerduty",
      .doc = "PagerDuty v3 webhooks, signed with X-PagerDuty-Signature (HMAC-SHA256; several secrets "
             "while rotating). Topics are pagerduty/<event type> for incident.triggered, acknowledged, "
             "unacknowledged, resolved, reassigned, escalated, annotated and priority_updated, and "
             "pagerduty/pagey.ping for the subscription's \"Send Test Event\"; other event types are skipped.",
      .schema = pagerduty_schema,
      .make = [](const config::Node& validated) -> Result<std::unique_ptr<Provider>> {
        std::vector<std::string> secrets;
        if (validated.has("secret")) secrets.push_back(validated.str("secret"));
        if (validated.has("secrets"))
          for (auto& s : validated.strings("secrets")) secrets.push_back(std::move(s));
        if (secrets.empty()) return std::unexpected(validated.error("a pagerduty source needs secret or secrets"));
        if (std::ranges::any_of(secrets, [](const std::string& s) { return s.empty(); }))
          return std::unexpected(validated.error("a pagerduty secret is empty"));
        return make_pagerduty(std::move(secrets));
      },
  };
}

}  // namespace chatops::ingestion::webhook
