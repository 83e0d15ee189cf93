#include "ingestion/api/auth.hpp"

#include <algorithm>

#include "core/crypto.hpp"
#include "ingestion/api/status.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::api {

namespace {

struct TypeKeys {
  std::string_view type;
  AuthType value;
  std::vector<std::string_view> required, optional;
};

const std::vector<TypeKeys>& type_keys() {
  static const std::vector<TypeKeys> keys = {
      {"api_key", AuthType::ApiKey, {"key"}, {"header", "query"}},
      {"bearer", AuthType::Bearer, {"token"}, {}},
      {"basic", AuthType::Basic, {"username", "password"}, {}},
      {"oauth2", AuthType::OAuth2, {"token_url", "client_id", "client_secret"}, {"scope", "client_auth", "token_params"}},
  };
  return keys;
}

// A header value may not end a line: secrets and names come from the configuration, but a CR or LF
// in one would forge a header.
bool header_safe(std::string_view s) {
  return std::ranges::none_of(s, [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += percent_encode(name);
    body += '=';
    body += percent_encode(value);
  }
  return body;
}

constexpr std::size_t kMaxTokenAnswer = 64 * 1024;

}  // namespace

config::Schema auth_schema() {
  config::Schema s("auth", "How the poller authenticates. Secrets are best given from the environment: "
                           "`key: \"${API_KEY}\"`.");
  s.field("type", config::Kind::String, "api_key, bearer, basic or oauth2 (client credentials).")
      .required()
      .one_of({"api_key", "bearer", "basic", "oauth2"});
  s.field("key", config::Kind::Secret, "api_key: the key.");
  s.field("header", config::Kind::String, "api_key: the header that carries the key (X-API-Key when neither header "
                                          "nor query is given).")
      .example("X-Api-Key");
  s.field("query", config::Kind::String, "api_key: the query parameter that carries the key, instead of a header.")
      .example("api_key");
  s.field("token", config::Kind::Secret, "bearer: the token, sent as `Authorization: Bearer <token>`.");
  s.field("username", config::Kind::String, "basic: the user name.");
  s.field("password", config::Kind::Secret, "basic: the password.");
  s.field("token_url", config::Kind::String, "oauth2: the token endpoint (https).")
      .example("https://auth.example.com/oauth/token");
  s.field("client_id", config::Kind::String, "oauth2: the client's id.");
  s.field("client_secret", config::Kind::Secret, "oauth2: the client's secret.");
  s.field("scope", config::Kind::String, "oauth2: the scope asked for (space-separated), when the endpoint needs one.");
  s.field("client_auth", config::Kind::String,
          "oauth2: how the client proves itself to the token endpoint: basic (HTTP Basic, the default) or body "
          "(client_id and client_secret in the form).")
      .one_of({"basic", "body"});
  s.field("token_params", config::Kind::Map, "oauth2: further form parameters of the token request.")
      .example("{audience: \"https://api.example.com\"}");
  return s;
}

Result<AuthConfig> auth_from_config(const config::Node& node) {
  const auto type = node.str("type");
  const auto spec = std::ranges::find(type_keys(), type, &TypeKeys::type);
  if (spec == type_keys().end()) return std::unexpected(node["type"].error("unknown auth type"));
  for (const auto& key : node.keys()) {
    if (key == "type") continue;
    if (std::ranges::find(spec->required, key) == spec->required.end() &&
        std::ranges::find(spec->optional, key) == spec->optional.end())
      return std::unexpected(node[key].error("does not apply to auth type " + type));
  }
  for (const auto key : spec->required)
    if (!node.has(key)) return std::unexpected(node.error("auth type " + type + " needs " + std::string(key)));
  for (const auto& key : node.keys())
    if (node[key].is_scalar() && !header_safe(node[key].scalar()))
      return std::unexpected(node[key].error("may not hold a line break or NUL"));

  AuthConfig auth;
  auth.type = spec->value;
  switch (auth.type) {
    case AuthType::ApiKey:
      auth.secret = node.str("key");
      if (node.has("header") && node.has("query")) return std::unexpected(node.error("give header or query, not both"));
      if (node.has("query")) auth.query = node.str("query");
      else auth.header = node.has("header") ? node.str("header") : "X-API-Key";
      if (!auth.header.empty() && !payload::is_token(auth.header))
        return std::unexpected(node["header"].error("a header name is printable ASCII without spaces"));
      break;
    case AuthType::Bearer: auth.secret = node.str("token"); break;
    case AuthType::Basic:
      auth.username = node.str("username");
      auth.secret = node.str("password");
      break;
    case AuthType::OAuth2: {
      auto url = parse_url(node.str("token_url"));
      if (!url) return std::unexpected(node["token_url"].error(url.error().message));
      auth.oauth2.token_url = std::move(*url);
      auth.oauth2.client_id = node.str("client_id");
      auth.oauth2.client_secret = node.str("client_secret");
      if (node.has("scope")) auth.oauth2.scope = node.str("scope");
      auth.oauth2.secret_in_body = node.has("client_auth") && node.str("client_auth") == "body";
      if (node.has("token_params")) {
        const auto params = node.map("token_params");
        for (const auto& name : params.keys()) auth.oauth2.params.emplace_back(name, params[name].scalar());
      }
      break;
    }
    case AuthType::None: break;
  }
  return auth;
}

TokenCache::TokenCache(Clock clock) : clock_(std::move(clock)) {}

std::optional<std::string> TokenCache::valid() const {
  if (!token_ || (renew_at_ && clock_() >= *renew_at_)) return std::nullopt;
  return token_;
}

void TokenCache::store(std::string token, std::optional<std::chrono::seconds> lifetime) {
  token_ = std::move(token);
  renew_at_.reset();
  if (lifetime) {
    const auto margin = std::min<std::chrono::steady_clock::duration>(*lifetime / 10, std::chrono::minutes(1));
    renew_at_ = clock_() + *lifetime - margin;
  }
}

void TokenCache::drop() {
  token_.reset();
  renew_at_.reset();
}

std::expected<TokenAnswer, std::string> parse_token_answer(std::string_view body) {
  auto doc = payload::parse_json(std::string(body));
  if (!doc) return std::unexpected("not JSON");  // not its parser's message: it may quote the token
  const auto root = doc->root();
  TokenAnswer answer;
  answer.access_token = payload::text_at(root, "/access_token");
  if (answer.access_token.empty()) return std::unexpected("no access_token");
  if (!payload::is_token(answer.access_token)) return std::unexpected("an access_token that cannot go in a header");
  const auto type = payload::ascii_lower(payload::text_at(root, "/token_type", "bearer"));
  if (type != "bearer") return std::unexpected("a token_type other than bearer");
  if (const auto expires = payload::find(root, "/expires_in")) {
    // A number, or (as some endpoints send it) a numeric string.
    const auto text = payload::as_text(expires);
    try {
      const double seconds = std::stod(text);
      if (seconds > 0) answer.expires_in = std::chrono::seconds(static_cast<std::int64_t>(seconds));
    } catch (const std::exception&) {
    }
  }
  return answer;
}

HttpRequest token_request(const OAuth2Client& client) {
  HttpRequest r;
  r.method = "POST";
  r.url = client.token_url;
  r.content_type = "application/x-www-form-urlencoded";
  r.max_response = kMaxTokenAnswer;
  std::vector<std::pair<std::string, std::string>> fields{{"grant_type", "client_credentials"}};
  if (!client.scope.empty()) fields.emplace_back("scope", client.scope);
  for (const auto& p : client.params) fields.push_back(p);
  if (client.secret_in_body) {
    fields.emplace_back("client_id", client.client_id);
    fields.emplace_back("client_secret", client.client_secret);
  } else {
    // RFC 6749 §2.3.1: both form-encoded before they are joined.
    r.headers.emplace_back("Authorization", "Basic " + crypto::to_base64(percent_encode(client.client_id) + ":" +
                                                                         percent_encode(client.client_secret)));
  }
  r.body = form(fields);
  return r;
}

Authorizer::Authorizer(AuthConfig config, TokenCache::Clock clock)
    : config_(std::move(config)), tokens_(std::move(clock)) {}

SourceResult<Credentials> Authorizer::credentials(HttpClient& http, std::chrono::steady_clock::time_point deadline) {
  Credentials c;
  switch (config_.type) {
    case AuthType::None: break;
    case AuthType::ApiKey:
      if (config_.query.empty()) c.headers.emplace_back(config_.header, config_.secret);
      else c.query.emplace_back(config_.query, config_.secret);
      break;
    case AuthType::Bearer: c.headers.emplace_back("Authorization", "Bearer " + config_.secret); break;
    case AuthType::Basic:
      c.headers.emplace_back("Authorization", "Basic " + crypto::to_base64(config_.username + ":" + config_.secret));
      break;
    case AuthType::OAuth2: {
      auto token = tokens_.valid();
      if (!token) {
        const auto what = "the token endpoint " + config_.oauth2.token_url.display();
        auto answer = http.send(token_request(config_.oauth2), deadline);
        if (!answer) return std::unexpected(answer.error());
        if (answer->status == 400 || answer->status == 401) {
          // RFC 6749 §5.2: a short error code (invalid_client…), safe to show.
          std::string code;
          if (auto doc = payload::parse_json(answer->body))
            if (code = payload::text_at(doc->root(), "/error"); !payload::is_token(code) || code.size() > 64) code.clear();
          return std::unexpected(SourceError::configuration(
              what + " refused the client credentials (" + std::to_string(answer->status) +
              (code.empty() ? "" : " " + code) + "): check client_id, client_secret and scope"));
        }
        if (auto refused = refusal(*answer, what)) return std::unexpected(*refused);
        auto parsed = parse_token_answer(answer->body);
        if (!parsed) return std::unexpected(SourceError::transient(what + " answered without a usable token: " + parsed.error()));
        tokens_.store(parsed->access_token, parsed->expires_in);
        token = std::move(parsed->access_token);
      }
      c.headers.emplace_back("Authorization", "Bearer " + *token);
      break;
    }
  }
  return c;
}

}  // namespace chatops::ingestion::api
