#include "ingestion/webhook/jenkins.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

#include "ingestion/webhook/json_fields.hpp"

namespace chatops::ingestion::webhook {

namespace {


std::string lower(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "45s", "3m 20s", "1h 5m".
std::string duration_text(std::int64_t ms) {
  const std::int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) + "m";
}

// Items of the string list at `pointer`, comma-separated, at most `max` of them ("…" after).
std::string list_at(Value j, std::string_view pointer, std::size_t max) {
  std::string out;
  std::size_t n = 0;
  if (const auto list = find(j, pointer); list && list->is_array())
    for (Value item : list->get_array()) {
      if (!item.is_string()) continue;
      if (n++ == max) return out + ", …";
      out += (out.empty() ? "" : ", ") + first_line(as_text(item), 80);
    }
  return out;
}

// outcome: the result in words, or the phase while there is none; plus one is_* flag for its colour.
Severity set_outcome(Fields& f, const std::string& status, const std::string& phase) {
  const bool success = status == "SUCCESS", failure = status == "FAILURE" || status == "FAILED";
  const bool unstable = status == "UNSTABLE", pending = status.empty();
  f["outcome"] = success    ? "succeeded"
                 : failure  ? "failed"
                 : pending  ? lower(phase)
                 : status == "NOT_BUILT" ? "not built"
                                         : lower(status);
  f["is_success"] = success;
  f["is_failure"] = failure;
  f["is_unstable"] = unstable;
  f["is_pending"] = pending;
  f["is_other"] = !success && !failure && !unstable && !pending;
  if (failure) return Severity::Error;
  if (unstable) return Severity::Warning;
  return status == "ABORTED" ? Severity::Notice : Severity::Info;
}

// Green success, red failure, yellow unstable or still running, plain otherwise ([/COLOR] also
// ends bold, so bold goes inside).
constexpr std::string_view kTemplate =
    "[B]{{job}}[/B] #{{number}} "
    "{{#is_success}}[COLOR=GREEN][B]{{outcome}}[/B][/COLOR]{{/is_success}}"
    "{{#is_failure}}[COLOR=RED][B]{{outcome}}[/B][/COLOR]{{/is_failure}}"
    "{{#is_unstable}}[COLOR=YELLOW][B]{{outcome}}[/B][/COLOR]{{/is_unstable}}"
    "{{#is_pending}}[COLOR=YELLOW]{{outcome}}[/COLOR]{{/is_pending}}"
    "{{#is_other}}[B]{{outcome}}[/B]{{/is_other}}"
    "{{#branch}} on {{branch}}{{/branch}}{{#short_commit}} ({{short_commit}}){{/short_commit}}"
    "{{#duration}} in {{duration}}{{/duration}}"
    "{{#tests_failed}}, {{tests_failed}}/{{tests_total}} tests failed{{/tests_failed}}{{#url}} {{url}}{{/url}}"
    "{{#failed_tests}}\n  failed: {{failed_tests}}{{/failed_tests}}";

class JenkinsProvider final : public Provider {
 public:
  JenkinsProvider(AuthChecks auth, std::vector<std::string> phases, std::string base_url)
      : auth_(std::move(auth)), phases_(std::move(phases)), base_url_(std::move(base_url)) {
    if (!base_url_.empty() && !base_url_.ends_with('/')) base_url_ += '/';
  }

  std::optional<Rejection> authenticate(const Request& request) const override { return auth_.verify(request); }

  std::expected<Parsed, Rejection> parse(const Request& request) const override {
    auto body = parse_json_body(request);
    if (!body) return std::unexpected(body.error());
    const Value p = body->root();
    const std::string job = text_at(p, "/name");
    const std::string phase = text_at(p, "/build/phase");
    if (job.empty() || phase.empty() || !find(p, "/build/number"))
      return std::unexpected(bad_request("missing_field", "not a Notification plugin payload (name, build.number "
                                                          "and build.phase are required)"));
    if (std::ranges::find(phases_, phase) == phases_.end())
      return Parsed{{}, "Jenkins phase " + (is_token(phase) ? first_line(phase, 20) : "(unnamed)") +
                            " is not in phases"};

    const std::string status = text_at(p, "/build/status");
    const std::string build_url = text_at(p, "/build/url");
    const std::string full_url = text_at(p, "/build/full_url");
    const std::string commit = text_at(p, "/build/scm/commit");
    const std::int64_t duration = int_at(p, "/build/duration");
    const auto parameters = find(p, "/build/parameters");
    // The plugin has no delivery id; a build's phase is announced once, so this names the notification.
    std::string dedupe_key = "jenkins:" + job + "#" + text_at(p, "/build/number");
    if (const std::string started = text_at(p, "/build/timestamp"); !started.empty()) dedupe_key += "@" + started;
    // full_url is Jenkins' root URL + build.url: the root turns the job's relative url absolute too.
    // Without full_url (Jenkins' root URL unset) base_url stands in; without either, a relative link
    // would lead nowhere in a channel, so there is none.
    const std::string root = full_url.empty()                 ? base_url_
                             : full_url.ends_with(build_url)  ? full_url.substr(0, full_url.size() - build_url.size())
                                                              : "";
    const auto absolute = [&root](const std::string& url) { return or_null(url.empty() || root.empty() ? "" : root + url); };

    IngestionEvent e;
    e.topic = "jenkins/" + lower(phase);
    Fields f;
    f["what"] = "builds";  // in digest lines: "… and 12 more builds"
    f["job"] = text_at(p, "/display_name", job);
    f["name"] = job;
    f["job_url"] = absolute(text_at(p, "/url"));
    f["number"] = int_at(p, "/build/number");
    f["display_name"] = text_at(p, "/build/display_name");
    f["phase"] = phase;
    f["status"] = status;
    if (full_url.empty()) f["url"] = absolute(build_url);
    else f["url"] = full_url;
    f["branch"] = or_null(text_at(p, "/build/scm/branch"));
    f["commit"] = commit;
    f["short_commit"] = or_null(commit.substr(0, 7));
    f["scm_url"] = text_at(p, "/build/scm/url");
    f["culprits"] = list_at(p, "/build/scm/culprits", 5);
    f["duration_ms"] = duration;
    if (duration > 0) f["duration"] = duration_text(duration);
    else f["duration"] = nullptr;
    f["tests_total"] = int_at(p, "/build/test_summary/total");
    if (const std::int64_t failed = int_at(p, "/build/test_summary/failed"); failed > 0) f["tests_failed"] = failed;
    else f["tests_failed"] = nullptr;
    f["failed_tests"] = or_null(list_at(p, "/build/test_summary/failed_tests", 3));
    f["parameters"] = parameters && parameters->is_object() ? to_json(*parameters) : json::object();
    e.severity = set_outcome(f, status, phase);
    e.fields = EventFields::from_text(std::move(f).text());
    e.raw = body->text();
    e.default_template = std::string(kTemplate);
    e.dedupe_key = dedupe_key + ":" + phase;
    e.time = request.received;
    return Parsed{{std::move(e)}, {}};
  }

 private:
  AuthChecks auth_;
  std::vector<std::string> phases_;
  std::string base_url_;
};

config::Schema jenkins_schema() {
  config::Schema s("jenkins", "Jenkins Notification plugin endpoint (format JSON, protocol HTTP).");
  add_token_fields(s, "X-Jenkins-Token");
  add_hmac_field(s);
  add_basic_auth_field(s);
  s.field("phases", config::Kind::List, "Build phases to announce; the others are acknowledged and skipped.")
      .items(config::Kind::String)
      .one_of({"QUEUED", "STARTED", "COMPLETED", "FINALIZED"})
      .fallback("[COMPLETED]");
  s.field("base_url", config::Kind::String,
          "Jenkins' root URL, for links when its payloads have no full_url (Jenkins' \"Jenkins URL\" setting is "
          "unset); without either, lines have no link.")
      .fallback("\"\"")
      .example("\"https://ci.example.org/\"");
  return s;
}

}  // namespace

std::unique_ptr<Provider> make_jenkins(AuthChecks auth, std::vector<std::string> phases, std::string base_url) {
  return std::make_unique<JenkinsProvider>(std::move(auth), std::move(phases), std::move(base_url));
}

ProviderSpec jenkins_spec() {
  return {
      .name = "jenkins",
      .doc = "Jenkins Notification plugin (JSON over HTTP). The plugin signs nothing: configure basic_auth (put "
             "user:password in the endpoint URL), a shared token or an HMAC. Topics are jenkins/<phase> "
             "(queued, started, completed, finalized); only the phases listed in `phases` are announced.",
      .schema = jenkins_schema,
      .make = [](const config::Node& validated) -> Result<std::unique_ptr<Provider>> {
        auto auth = AuthChecks::from_config(validated);
        if (!auth) return std::unexpected(auth.error());
        if (auth->empty())
          return std::unexpected(validated.error("a jenkins source needs token, hmac or basic_auth (the plugin "
                                                 "signs nothing; anyone could post builds otherwise)"));
        return make_jenkins(std::move(*auth), validated.strings("phases"), validated.str("base_url"));
      },
  };
}

}  // namespace chatops::ingestion::webhook
