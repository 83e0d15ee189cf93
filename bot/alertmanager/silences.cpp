#include "bot/alertmanager/silences.hpp"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text/utf8.hpp"

namespace chatops::bot {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxAnswer = 1024 * 1024;  // a silence list of a busy Alertmanager fits
constexpr std::size_t kMaxErrorBytes = 160;

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string text_of(const json& j, const char* key) {
  const auto found = j.find(key);
  return found != j.end() && found->is_string() ? found->get<std::string>() : "";
}

// A silence id goes into a URL path: Alertmanager's are UUIDs.
bool is_silence_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos;
}

}  // namespace

Result<SilenceMatcher> parse_matcher(const std::string& word) {
  // The operator is the first of != =~ !~ = (in that order of precedence at its position).
  const auto at = word.find_first_of("!=");
  if (at == std::string::npos || at == 0) return fail("'" + word + "' is not a matcher (name=value, name!=value, name=~regex, name!~regex)");
  SilenceMatcher m;
  m.name = word.substr(0, at);
  std::size_t value_at = at + 1;
  if (word[at] == '!') {
    if (at + 1 >= word.size() || (word[at + 1] != '=' && word[at + 1] != '~'))
      return fail("'" + word + "' is not a matcher (name=value, name!=value, name=~regex, name!~regex)");
    m.is_equal = false;
    m.is_regex = word[at + 1] == '~';
    value_at = at + 2;
  } else if (at + 1 < word.size() && word[at + 1] == '~') {
    m.is_regex = true;
    value_at = at + 2;
  }
  m.value = word.substr(value_at);
  if (m.value.empty()) return fail("matcher '" + word + "' has no value");
  return m;
}

std::string matcher_text(const SilenceMatcher& m) {
  return m.name + (m.is_equal ? "" : "!") + (m.is_regex ? (m.is_equal ? "=~" : "~") : "=") + m.value;
}

config::Schema alertmanager_api_schema() {
  config::Schema s("alertmanager", "The Alertmanager that `!silence`, `!silences` and `!unsilence` talk to (API v2).");
  s.field("url", config::Kind::String, "Its URL (http or https); without it, silencing from IRC is off.")
      .example("http://alertmanager:9093");
  s.field("auth", config::Kind::Map, "How the bot authenticates, when a proxy in front of Alertmanager asks: as an "
                                     "API source's `auth:` (api_key, bearer, basic, oauth2).")
      .schema(ingestion::api::auth_schema());
  s.field("timeout", config::Kind::Duration, "How long one call may take; the command answers with the error after.")
      .fallback("5s")
      .range(0.1, 60);
  s.field("ca_file", config::Kind::String, "PEM file of the CAs that may sign its certificate (https); the system's store by default.");
  return s;
}

Result<std::optional<SilenceApiOptions>> alertmanager_api_options(const config::Node& section) {
  if (!section.has("url")) return std::optional<SilenceApiOptions>{};
  auto url = ingestion::api::parse_url(section.str("url"));
  if (!url) return std::unexpected(section["url"].error(url.error().message));
  SilenceApiOptions o;
  o.url = *url;
  if (section.has("auth")) {
    auto auth = ingestion::api::auth_from_config(section.map("auth"));
    if (!auth) return std::unexpected(auth.error());
    o.auth = std::move(*auth);
  }
  o.timeout = section.duration("timeout");
  if (section.has("ca_file")) o.tls.ca_file = section.str("ca_file");
  return std::optional<SilenceApiOptions>{std::move(o)};
}

SilenceClient::SilenceClient(SilenceApiOptions options)
    : options_(std::move(options)),
      http_(std::make_unique<ingestion::api::HttpClient>(options_.tls, "chatops-bot", [] { return false; })),
      authorizer_(options_.auth) {}

SilenceClient::~SilenceClient() = default;

Result<ingestion::api::HttpResponse> SilenceClient::call(const std::string& method, const std::string& path,
                                                        std::string body) {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto credentials = authorizer_.credentials(*http_, deadline);
  if (!credentials) return fail("Alertmanager: " + credentials.error().message);
  ingestion::api::HttpRequest request;
  request.method = method;
  request.url = options_.url;
  request.url.target = (options_.url.path() == "/" ? "" : options_.url.path()) + path;
  request.url = ingestion::api::with_query(request.url, credentials->query);
  request.headers = std::move(credentials->headers);
  request.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) {
    request.body = std::move(body);
    request.content_type = "application/json";
  }
  request.max_response = kMaxAnswer;
  auto response = http_->send(request, deadline);
  if (!response) return fail("Alertmanager: " + response.error().message);
  if (response->status < 200 || response->status > 299)
    return fail(fmt::format("Alertmanager answered {} to {} {}: {}", response->status, method, path,
                            text::shortened(response->body.substr(0, response->body.find('\n')), kMaxErrorBytes)));
  return std::move(*response);
}

Result<std::string> SilenceClient::create(const std::vector<SilenceMatcher>& matchers, std::chrono::seconds duration,
                                          const std::string& created_by, const std::string& comment) {
  json list = json::array();
  for (const auto& m : matchers)
    list.push_back({{"name", m.name}, {"value", m.value}, {"isRegex", m.is_regex}, {"isEqual", m.is_equal}});
  const auto now = std::chrono::system_clock::now();
  const json body{{"matchers", list},
                  {"startsAt", rfc3339(now)},
                  {"endsAt", rfc3339(now + duration)},
                  {"createdBy", created_by},
                  {"comment", comment}};
  auto response = call("POST", "/api/v2/silences", body.dump());
  if (!response) return std::unexpected(response.error());
  const auto answer = json::parse(response->body, nullptr, false);
  const auto id = answer.is_object() ? text_of(answer, "silenceID") : "";
  if (id.empty()) return fail("Alertmanager created a silence but did not say its id");
  return id;
}

Result<std::vector<Silence>> SilenceClient::active() {
  auto response = call("GET", "/api/v2/silences");
  if (!response) return std::unexpected(response.error());
  const auto answer = json::parse(response->body, nullptr, false);
  if (!answer.is_array()) return fail("Alertmanager's silence list is not a JSON list");
  std::vector<Silence> out;
  for (const auto& s : answer) {
    if (!s.is_object()) continue;
    Silence silence{text_of(s, "id"), {}, text_of(s, "createdBy"), text_of(s, "comment"),
                    s.contains("status") && s["status"].is_object() ? text_of(s["status"], "state") : "",
                    text_of(s, "endsAt")};
    if (silence.state == "expired") continue;
    if (const auto m = s.find("matchers"); m != s.end() && m->is_array())
      for (const auto& one : *m)
        if (one.is_object())
          silence.matchers.push_back({text_of(one, "name"), text_of(one, "value"), one.value("isRegex", false),
                                      one.value("isEqual", true)});
    out.push_back(std::move(silence));
  }
  return out;
}

Result<void> SilenceClient::expire(const std::string& id) {
  if (!is_silence_id(id)) return fail("'" + text::shortened(id, 40) + "' is not a silence id");
  auto response = call("DELETE", "/api/v2/silence/" + id);
  if (!response) return std::unexpected(response.error());
  return {};
}

}  // namespace chatops::bot
