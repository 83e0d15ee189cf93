#pragma once
// Credential checks shared by the webhook providers. Every check works on the raw request (headers
// and body bytes, before any parsing), compares secrets in constant time, and answers nullopt when
// the request is authenticated or a 401 Rejection whose reason never contains a secret.
//
// Providers declare the config keys once with the add_*_fields helpers and build the checks from the
// validated node with AuthChecks::from_config:
//   hmac:              {header, algorithm, secret, encoding, prefix}
//   token:             shared secret compared with the header named by token_header
//   bearer_token:      "Authorization: Bearer <token>"
//   basic_auth:        {username, password} for "Authorization: Basic …"
//   standard_webhooks: {secret: "whsec_…", tolerance: 5m} (https://www.standardwebhooks.com)
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/config/node.hpp"
#include "core/crypto.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

enum class SignatureEncoding { Hex, Base64 };

// Cause labels (metrics, once-per-cause logging).
inline constexpr std::string_view kMissingSignature = "missing_signature";
inline constexpr std::string_view kBadSignature = "bad_signature";
inline constexpr std::string_view kMissingToken = "missing_token";
inline constexpr std::string_view kBadToken = "bad_token";
inline constexpr std::string_view kReplay = "replay";

Rejection unauthorized(std::string_view cause, std::string reason);

// A keyed MAC of the raw body, carried in one header as <prefix><hex or base64>.
class HmacCheck {
 public:
  struct Options {
    std::string header{};                      // e.g. "X-Hub-Signature-256"
    crypto::Digest digest = crypto::Digest::Sha256;
    std::string secret{};
    SignatureEncoding encoding = SignatureEncoding::Hex;
    std::string prefix{};                      // e.g. "sha256="; "" for none
  };
  explicit HmacCheck(Options options);
  // From a validated `hmac:` map (hmac_schema()); an empty secret is an error.
  static Result<HmacCheck> from_config(const config::Node& hmac);

  std::optional<Rejection> verify(const Request& request) const;

 private:
  Options options_;
};

// A shared secret sent verbatim in a header (e.g. GitLab's X-Gitlab-Token).
class TokenCheck {
 public:
  TokenCheck(std::string header, std::string token);
  std::optional<Rejection> verify(const Request& request) const;

 private:
  std::string header_, token_;
};

// "Authorization: Bearer <token>" or "Authorization: Basic base64(user:password)".
class AuthorizationCheck {
 public:
  static AuthorizationCheck bearer(std::string token);
  static AuthorizationCheck basic(std::string_view username, std::string_view password);
  std::optional<Rejection> verify(const Request& request) const;

 private:
  AuthorizationCheck(std::string scheme, std::string credentials);
  std::string scheme_;       // "Bearer" or "Basic", compared case-insensitively
  std::string credentials_;  // the token, or "user:password" (Basic is compared decoded)
};

// Standard Webhooks: HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" under the decoded
// "whsec_" secret; webhook-signature holds space-separated "v1,<base64>" (any one may match, so
// senders can rotate keys); a timestamp further than `tolerance` from now is refused as a replay.
class StandardWebhooksCheck {
 public:
  // `secret` is "whsec_<base64>" (the prefix is optional); malformed base64 is an error.
  static Result<StandardWebhooksCheck> create(std::string_view secret,
                                              std::chrono::seconds tolerance = std::chrono::minutes(5));
  static Result<StandardWebhooksCheck> from_config(const config::Node& standard_webhooks);
  // The request's `received` time is "now" for the replay window.
  std::optional<Rejection> verify(const Request& request) const;

 private:
  StandardWebhooksCheck(std::string key, std::chrono::seconds tolerance);
  std::string key_;
  std::chrono::seconds tolerance_;
};

// Every check configured for one source; all of them must pass.
class AuthChecks {
 public:
  // Reads whichever of hmac, token (+ token_header), bearer_token, basic_auth, standard_webhooks
  // the validated node has (declared with the add_*_fields helpers).
  static Result<AuthChecks> from_config(const config::Node& validated);

  void add(HmacCheck c) { hmac_.push_back(std::move(c)); }
  void add(TokenCheck c) { token_.push_back(std::move(c)); }
  void add(AuthorizationCheck c) { authorization_.push_back(std::move(c)); }
  void add(StandardWebhooksCheck c) { standard_.push_back(std::move(c)); }

  bool empty() const;
  bool has_standard_webhooks() const { return !standard_.empty(); }
  std::optional<Rejection> verify(const Request& request) const;

 private:
  std::vector<HmacCheck> hmac_;
  std::vector<TokenCheck> token_;
  std::vector<AuthorizationCheck> authorization_;
  std::vector<StandardWebhooksCheck> standard_;
};

// Schema fragments. Each add_* helper declares optional keys on a provider's schema.
config::Schema hmac_schema();               // the `hmac:` map
config::Schema basic_auth_schema();         // the `basic_auth:` map
config::Schema standard_webhooks_schema();  // the `standard_webhooks:` map
void add_hmac_field(config::Schema& s);
void add_token_fields(config::Schema& s, std::string default_header);
void add_bearer_field(config::Schema& s);
void add_basic_auth_field(config::Schema& s);
void add_standard_webhooks_field(config::Schema& s);
void add_all_auth_fields(config::Schema& s, std::string default_token_header);

}  // namespace chatops::ingestion::webhook
