#pragma once
// How an API poller authenticates: an API key (in a header or the query), a bearer token, HTTP
// Basic, or OAuth2 client credentials (RFC 6749 §4.4), whose access token is kept until shortly
// before it expires and fetched anew after a 401.
#include <chrono>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/node.hpp"
#include "ingestion/api/http_client.hpp"
#include "ingestion/api/url.hpp"

namespace chatops::ingestion::api {

enum class AuthType { None, ApiKey, Bearer, Basic, OAuth2 };

struct OAuth2Client {
  Url token_url;
  std::string client_id, client_secret, scope;
  bool secret_in_body = false;  // client_secret_post rather than HTTP Basic
  std::vector<std::pair<std::string, std::string>> params;  // further form parameters (audience…)
};

struct AuthConfig {
  AuthType type = AuthType::None;
  std::string header;  // api_key: the header carrying it (empty: in the query)
  std::string query;   // api_key: the query parameter carrying it
  std::string secret;  // api_key's key, bearer's token, basic's password
  std::string username;
  OAuth2Client oauth2;
};

config::Schema auth_schema();
// From a validated `auth:` map; errors name the key (never a secret's value).
Result<AuthConfig> auth_from_config(const config::Node& auth);

// What a request carries to authenticate.
struct Credentials {
  Headers headers;
  std::vector<std::pair<std::string, std::string>> query;
};

// An OAuth2 access token and when it is due for renewal.
class TokenCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit TokenCache(Clock clock = [] { return std::chrono::steady_clock::now(); });

  // The token, unless there is none or it expires within its margin (a tenth of its lifetime, at
  // most a minute): a token is renewed before it runs out, never used as it does.
  std::optional<std::string> valid() const;
  // A token without a lifetime is kept until a 401 drops it.
  void store(std::string token, std::optional<std::chrono::seconds> lifetime);
  void drop();

 private:
  Clock clock_;
  std::optional<std::string> token_;
  std::optional<std::chrono::steady_clock::time_point> renew_at_;
};

struct TokenAnswer {
  std::string access_token;
  std::optional<std::chrono::seconds> expires_in;
};
// A token endpoint's success answer (RFC 6749 §5.1): a bearer access_token and its expires_in.
std::expected<TokenAnswer, std::string> parse_token_answer(std::string_view body);
// The client-credentials request to the token endpoint.
HttpRequest token_request(const OAuth2Client& client);

class Authorizer {
 public:
  explicit Authorizer(AuthConfig config, TokenCache::Clock clock = [] { return std::chrono::steady_clock::now(); });

  // For the next request; with OAuth2, asks the token endpoint first when no token is valid.
  SourceResult<Credentials> credentials(HttpClient& http, std::chrono::steady_clock::time_point deadline);
  bool renews_tokens() const { return config_.type == AuthType::OAuth2; }
  void drop_token() { tokens_.drop(); }

 private:
  AuthConfig config_;
  TokenCache tokens_;
};

}  // namespace chatops::ingestion::api
