#include "ingestion/webhook/alertmanager.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "core/crypto.hpp"
#include "ingestion/webhook/json_fields.hpp"

namespace chatops::ingestion::webhook {

namespace {

constexpr std::size_t kShownAlerts = 3;

// Alertmanager writes the receiver name through Go's regexp.QuoteMeta ("web\.hook"); undo that.
std::string unquote_meta(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

// "k=v, k=v" of a label map (in key order).
std::string label_text(const json& labels) {
  std::string out;
  if (labels.is_object())
    for (const auto& [key, value] : labels.items())
      if (value.is_string()) out += (out.empty() ? "" : ", ") + key + "=" + value.get<std::string>();
  return out;
}

std::string label_text(std::optional<Value> labels) { return labels ? label_text(to_json(*labels)) : ""; }

// The summary annotation, else the description.
std::string summary_of(Value annotations) {
  return first_line(text_at(annotations, "/summary", text_at(annotations, "/description")), 200);
}

// Rank of a severity label, for picking the group's worst (unknown values rank lowest).
int rank(std::string_view severity) {
  static constexpr std::array<std::string_view, 5> order{"info", "warning", "error", "critical", "page"};
  const auto it = std::ranges::find(order, severity);
  return it == order.end() ? -1 : static_cast<int>(it - order.begin());
}

Severity severity_of(std::string_view status, std::string_view label) {
  if (status == "resolved") return Severity::Info;
  if (label == "critical" || label == "page") return Severity::Critical;
  if (label == "error") return Severity::Error;
  if (label == "info") return Severity::Notice;
  return Severity::Warning;  // "warning", or a firing alert that does not say
}

// One alert of the notification: its fields, and what the notification reads of it. `line` tells
// it apart from its group: instance (or the labels it does not share with the group) and its summary.
struct Alert {
  Fields fields;
  std::string id, severity, summary, url;
  std::string identity;  // the fingerprint, or else the labels as JSON text: what the dedupe key hashes
};

Alert alert_of(Value a, const json& common_labels) {
  const std::string instance = text_at(a, "/labels/instance");
  const auto found_labels = find(a, "/labels");
  const json labels = found_labels ? to_json(*found_labels) : json::object();
  std::string label = instance;
  if (label.empty() && labels.is_object()) {
    json own = json::object();
    for (const auto& [key, value] : labels.items())
      if (!common_labels.contains(key)) own[key] = value;
    label = label_text(own);
  }
  const auto annotations = find(a, "/annotations");
  Alert alert;
  alert.summary = annotations ? summary_of(*annotations) : "";
  std::string line = label.empty() ? text_at(a, "/labels/alertname") : label;
  if (!alert.summary.empty()) line += (line.empty() ? "" : ": ") + alert.summary;
  const std::string fingerprint = text_at(a, "/fingerprint");
  alert.identity = fingerprint.empty() ? labels.dump() : fingerprint;
  alert.id = alert_short_id(alert.identity);
  alert.severity = text_at(a, "/labels/severity");
  alert.url = text_at(a, "/generatorURL");
  Fields& f = alert.fields;
  f["name"] = text_at(a, "/labels/alertname");
  f["id"] = alert.id;
  f["status"] = text_at(a, "/status");
  f["severity"] = alert.severity;
  f["instance"] = instance;
  f["summary"] = alert.summary;
  f["line"] = line;
  f["url"] = alert.url;
  f["fingerprint"] = fingerprint;
  f["starts_at"] = text_at(a, "/startsAt");
  f["ends_at"] = text_at(a, "/endsAt");
  f["labels"] = labels;
  f["annotations"] = annotations ? to_json(*annotations) : json::object();
  return alert;
}

// Same group, same status and the same alerts (by fingerprint) → the same key, so a repeat
// notification is suppressed while any change in the set is announced.
std::string dedupe_key(const std::string& group_key, const std::string& status, const std::vector<Alert>& alerts,
                       std::int64_t truncated) {
  std::vector<std::string> prints;
  for (const auto& a : alerts) prints.push_back(a.identity);
  std::ranges::sort(prints);
  std::string material = group_key + "\n" + status + "\n" + std::to_string(truncated);
  for (const auto& p : prints) material += "\n" + p;
  // Hashed: a group of hundreds of alerts would otherwise make a key of kilobytes.
  return "alertmanager:" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, "alertmanager-dedupe", material));
}

// Shared by both templates after the status: group, details, link, then one line per listed alert.
#define DETAILS                                                                                         \
  "{{#id}} [{{id}}]{{/id}}{{#instance}} on {{instance}}{{/instance}}{{#summary}}: {{summary}}{{/summary}}" \
  "{{#truncated}} (+{{truncated}} truncated){{/truncated}}{{#link}} {{link}}{{/link}}"                  \
  "{{#alerts_shown}}\n  [{{id}}] {{line}}{{/alerts_shown}}{{#more_alerts}}\n  … and {{count}} more{{/more_alerts}}"

// [/COLOR] also ends bold, so bold goes inside the colour.
constexpr std::string_view kFiringTemplate =
    "[COLOR=RED][B]FIRING:{{count}}[/B][/COLOR] [B]{{alertname}}[/B]{{#severity}} ({{severity}}){{/severity}}" DETAILS;
constexpr std::string_view kResolvedTemplate = "[COLOR=GREEN][B]RESOLVED:{{count}}[/B][/COLOR] [B]{{alertname}}[/B]" DETAILS;

#undef DETAILS

class AlertmanagerProvider final : public Provider {
 public:
  explicit AlertmanagerProvider(AuthChecks auth) : auth_(std::move(auth)) {}

  std::optional<Rejection> authenticate(const Request& request) const override { return auth_.verify(request); }

  std::expected<Parsed, Rejection> parse(const Request& request) const override {
    auto body = parse_json_body(request);
    if (!body) return std::unexpected(body.error());
    const Value p = body->root();
    if (const std::string version = text_at(p, "/version", "4"); version != "4")
      return std::unexpected(bad_request("unsupported_version", "Alertmanager webhook version " +
                                                                    first_line(version, 10) + " (expected 4)"));
    const std::string status = text_at(p, "/status");
    if (status != "firing" && status != "resolved")
      return std::unexpected(bad_request("missing_field", "Alertmanager status must be firing or resolved"));
    const auto all = find(p, "/alerts");
    if (!all || !all->is_array()) return std::unexpected(bad_request("missing_field", "Alertmanager alerts is not a list"));

    const auto found_common = find(p, "/commonLabels");
    const json common_labels = found_common && found_common->is_object() ? to_json(*found_common) : json::object();
    std::vector<Alert> alerts;
    std::size_t listed = 0, firing = 0;
    std::string worst;
    for (Value a : all->get_array()) {
      ++listed;
      if (!a.is_object()) continue;
      const std::string alert_status = text_at(a, "/status");
      firing += alert_status == "firing";
      if (alert_status != status) continue;  // a firing notification may also carry resolved alerts
      alerts.push_back(alert_of(a, common_labels));
      if (const std::string& s = alerts.back().severity; worst.empty() || rank(s) > rank(worst)) worst = s;
    }
    const std::size_t count = alerts.size();
    if (count == 0) return Parsed{{}, "Alertmanager notification without " + status + " alerts"};

    const std::int64_t truncated = int_at(p, "/truncatedAlerts");
    const std::string external_url = text_at(p, "/externalURL");
    const std::string group_key = text_at(p, "/groupKey");
    const std::string group = label_text(find(p, "/groupLabels"));
    std::string alertname = text_at(p, "/commonLabels/alertname");
    if (alertname.empty()) alertname = group;
    std::string summary = text_at(p, "/commonAnnotations/summary", text_at(p, "/commonAnnotations/description"));
    if (summary.empty() && count == 1) summary = alerts[0].summary;
    // One alert: its own graph; a group: the Alertmanager that holds them all.
    std::string link = count == 1 ? alerts[0].url : external_url;
    if (link.empty()) link = count == 1 ? external_url : alerts[0].url;

    IngestionEvent e;
    e.topic = "alertmanager/" + status;
    e.severity = severity_of(status, worst);
    e.dedupe_key = dedupe_key(group_key, status, alerts, truncated);
    Fields f;
    f["what"] = "alert notifications";  // in digest lines
    f["status"] = status;
    f["receiver"] = unquote_meta(text_at(p, "/receiver"));
    f["group_key"] = group_key;
    f["group"] = group;
    f["alertname"] = alertname.empty() ? "alerts" : alertname;
    f["severity"] = or_null(worst.empty() ? text_at(p, "/commonLabels/severity") : worst);
    f["instance"] = or_null(text_at(p, "/commonLabels/instance"));
    f["summary"] = or_null(first_line(summary, 200));
    f["count"] = count;
    if (count == 1) f["id"] = alerts[0].id;  // the alert's, when there is one
    else f["id"] = nullptr;
    f["firing_count"] = firing;
    f["resolved_count"] = listed - firing;
    if (truncated > 0) f["truncated"] = truncated;
    else f["truncated"] = nullptr;
    f["link"] = or_null(link);
    f["external_url"] = external_url;
    f["notification_reason"] = text_at(p, "/notification_reason");
    f["common_labels"] = common_labels;
    FieldsArray listed_alerts;
    for (Alert& a : alerts) listed_alerts.push_back(std::move(a.fields));
    f["alerts_shown"] = listed_alerts.slice(0, count > 1 ? kShownAlerts : 0);
    f["more_alerts"] = more_count(count, kShownAlerts);
    f["alerts"] = std::move(listed_alerts);
    e.fields = EventFields::from_text(std::move(f).text());
    e.raw = body->text();
    e.default_template = std::string(status == "firing" ? kFiringTemplate : kResolvedTemplate);
    e.time = request.received;
    return Parsed{{std::move(e)}, {}};
  }

 private:
  AuthChecks auth_;
};

config::Schema alertmanager_schema() {
  config::Schema s("alertmanager", "Prometheus Alertmanager webhook receiver (webhook_configs).");
  add_bearer_field(s);
  add_basic_auth_field(s);
  return s;
}

}  // namespace

std::string alert_short_id(std::string_view fingerprint) {
  // Hashed rather than cut: a fingerprint that is not hex (or absent: the labels stand in) still
  // gives six hex digits, and the same alert the same id in every notification.
  return crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, "alert-id", fingerprint)).substr(0, 6);
}

std::unique_ptr<Provider> make_alertmanager(AuthChecks auth) {
  return std::make_unique<AlertmanagerProvider>(std::move(auth));
}

ProviderSpec alertmanager_spec() {
  return {
      .name = "alertmanager",
      .doc = "Prometheus Alertmanager webhook (version 4), authenticated by bearer_token or basic_auth (set the "
             "same in the receiver's http_config). One event per notification: alertmanager/firing or "
             "alertmanager/resolved; a repeated notification of the same alerts is a duplicate.",
      .schema = alertmanager_schema,
      .make = [](const config::Node& validated) -> Result<std::unique_ptr<Provider>> {
        auto auth = AuthChecks::from_config(validated);
        if (!auth) return std::unexpected(auth.error());
        // Both would have to match the one Authorization header.
        if (validated.has("bearer_token") && validated.has("basic_auth"))
          return std::unexpected(validated.error("give bearer_token or basic_auth, not both"));
        if (auth->empty())
          return std::unexpected(validated.error("an alertmanager source needs bearer_token or basic_auth "
                                                 "(Alertmanager signs nothing; anyone could post alerts otherwise)"));
        return make_alertmanager(std::move(*auth));
      },
  };
}

}  // namespace chatops::ingestion::webhook
