#pragma once
// Silences in a real Alertmanager, through its API v2 (POST /api/v2/silences, GET
// /api/v2/silences, DELETE /api/v2/silence/{id}), with the API poller's bounded HTTP client: each
// call is over within `timeout`, its answer bounded in size. Used by `!silence`, `!silences` and
// `!unsilence` (docs/commands.md); the URL and credentials come from the `alertmanager:` section.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "ingestion/api/auth.hpp"
#include "ingestion/api/http_client.hpp"
#include "ingestion/api/url.hpp"

namespace chatops::bot {

struct SilenceMatcher {
  std::string name, value;
  bool is_regex = false;
  bool is_equal = true;
  friend bool operator==(const SilenceMatcher&, const SilenceMatcher&) = default;
};

// "name=value", "name!=value", "name=~regex", "name!~regex"; fails naming the word.
Result<SilenceMatcher> parse_matcher(const std::string& word);
std::string matcher_text(const SilenceMatcher& m);  // as parse_matcher takes it

struct Silence {
  std::string id;
  std::vector<SilenceMatcher> matchers;
  std::string created_by, comment, state;  // state: active, pending, expired
  std::string ends_at;                     // as Alertmanager says it (RFC 3339)
};

struct SilenceApiOptions {
  ingestion::api::Url url;  // the Alertmanager, e.g. http://127.0.0.1:9093
  ingestion::api::AuthConfig auth{};  // as an API poller's (a proxy in front may ask for one)
  std::chrono::milliseconds timeout{5000};
  ingestion::api::TlsOptions tls{};
};

config::Schema alertmanager_api_schema();
// nullopt when the section has no url (silencing is off).
Result<std::optional<SilenceApiOptions>> alertmanager_api_options(const config::Node& section);

class SilenceClient {
 public:
  explicit SilenceClient(SilenceApiOptions options);
  ~SilenceClient();

  // The new silence's id.
  Result<std::string> create(const std::vector<SilenceMatcher>& matchers, std::chrono::seconds duration,
                             const std::string& created_by, const std::string& comment);
  Result<std::vector<Silence>> active();  // active and pending ones
  Result<void> expire(const std::string& id);

 private:
  Result<ingestion::api::HttpResponse> call(const std::string& method, const std::string& path, std::string body = {});

  SilenceApiOptions options_;
  std::unique_ptr<ingestion::api::HttpClient> http_;
  ingestion::api::Authorizer authorizer_;
};

}  // namespace chatops::bot
