#include "ingestion/webhook/auth.hpp"

#include <charconv>
#include <cstdint>

#include "core/text/casemap.hpp"

namespace chatops::ingestion::webhook {

Rejection unauthorized(std::string_view cause, std::string reason) {
  return Rejection{401, std::string(cause), std::move(reason)};
}

// --- HMAC of the body ---------------------------------------------------------------------------

HmacCheck::HmacCheck(Options options) : options_(std::move(options)) {}

Result<HmacCheck> HmacCheck::from_config(const config::Node& hmac) {
  Options o;
  o.header = hmac.str("header");
  const auto algorithm = hmac.str("algorithm");
  o.digest = algorithm == "sha1" ? crypto::Digest::Sha1
             : algorithm == "sha512" ? crypto::Digest::Sha512
                                     : crypto::Digest::Sha256;
  o.secret = hmac.str("secret");
  if (o.secret.empty()) return std::unexpected(hmac.error("secret is empty"));
  o.encoding = hmac.str("encoding") == "base64" ? SignatureEncoding::Base64 : SignatureEncoding::Hex;
  if (hmac.has("prefix")) o.prefix = hmac.str("prefix");
  return HmacCheck(std::move(o));
}

std::optional<Rejection> HmacCheck::verify(const Request& request) const {
  const auto value = request.header(options_.header);
  if (!value || trim(*value).empty())
    return unauthorized(kMissingSignature, "missing " + options_.header + " header");
  std::string_view given = trim(*value);
  if (!given.starts_with(options_.prefix))
    return unauthorized(kBadSignature, options_.header + " does not start with \"" + options_.prefix + "\"");
  given.remove_prefix(options_.prefix.size());
  const auto decoded =
      options_.encoding == SignatureEncoding::Hex ? crypto::from_hex(given) : crypto::from_base64(given);
  if (request.head_only) {  // the MAC needs the body; a signature that cannot be one needs nothing
    if (!decoded || decoded->size() != crypto::digest_size(options_.digest))
      return unauthorized(kBadSignature, options_.header + " is not a signature");
    return std::nullopt;
  }
  const auto expected = crypto::hmac(options_.digest, options_.secret, request.body);
  if (!decoded || !crypto::constant_time_equal(*decoded, expected))
    return unauthorized(kBadSignature, options_.header + " does not match the body");
  return std::nullopt;
}

// --- shared token in a header -------------------------------------------------------------------

TokenCheck::TokenCheck(std::string header, std::string token)
    : header_(std::move(header)), token_(std::move(token)) {}

std::optional<Rejection> TokenCheck::verify(const Request& request) const {
  const auto value = request.header(header_);
  if (!value || value->empty()) return unauthorized(kMissingToken, "missing " + header_ + " header");
  if (!crypto::constant_time_equal(trim(*value), token_))
    return unauthorized(kBadToken, header_ + " is wrong");
  return std::nullopt;
}

// --- Authorization: Bearer / Basic ----------------------------------------------------------------

AuthorizationCheck::AuthorizationCheck(std::string scheme, std::string credentials)
    : scheme_(std::move(scheme)), credentials_(std::move(credentials)) {}

AuthorizationCheck AuthorizationCheck::bearer(std::string token) {
  return AuthorizationCheck("Bearer", std::move(token));
}

AuthorizationCheck AuthorizationCheck::basic(std::string_view username, std::string_view password) {
  return AuthorizationCheck("Basic", std::string(username) + ":" + std::string(password));
}

std::optional<Rejection> AuthorizationCheck::verify(const Request& request) const {
  const auto value = request.header("Authorization");
  if (!value) return unauthorized(kMissingToken, "missing Authorization header");
  const std::string_view v = trim(*value);
  const auto space = v.find(' ');
  if (space == std::string_view::npos || !text::equal_folded(v.substr(0, space), scheme_, text::CaseMapping::Ascii))
    return unauthorized(kMissingToken, "Authorization is not " + scheme_);
  const std::string_view given = trim(v.substr(space + 1));
  // Basic is compared decoded so that any valid base64 spelling of the same pair is accepted.
  const auto decoded = scheme_ == "Basic" ? crypto::from_base64(given) : std::optional<std::string>(given);
  if (!decoded || !crypto::constant_time_equal(*decoded, credentials_))
    return unauthorized(kBadToken, "Authorization credentials are wrong");
  return std::nullopt;
}

// --- Standard Webhooks --------------------------------------------------------------------------

StandardWebhooksCheck::StandardWebhooksCheck(std::string key, std::chrono::seconds tolerance)
    : key_(std::move(key)), tolerance_(tolerance) {}

Result<StandardWebhooksCheck> StandardWebhooksCheck::create(std::string_view secret,
                                                            std::chrono::seconds tolerance) {
  if (secret.starts_with("whsec_")) secret.remove_prefix(6);
  auto key = crypto::from_base64(secret);
  if (!key || key->empty()) return fail("the standard_webhooks secret is not \"whsec_\" + base64");
  return StandardWebhooksCheck(std::move(*key), tolerance);
}

Result<StandardWebhooksCheck> StandardWebhooksCheck::from_config(const config::Node& node) {
  auto check = create(node.str("secret"),
                      std::chrono::duration_cast<std::chrono::seconds>(node.duration("tolerance")));
  if (!check) return std::unexpected(node.error(check.error().message));
  return check;
}

std::optional<Rejection> StandardWebhooksCheck::verify(const Request& request) const {
  const auto id = request.header("webhook-id");
  const auto timestamp = request.header("webhook-timestamp");
  const auto signatures = request.header("webhook-signature");
  if (!id || !timestamp || !signatures)
    return unauthorized(kMissingSignature, "missing webhook-id, webhook-timestamp or webhook-signature header");

  std::int64_t seconds = 0;
  const std::string_view ts = trim(*timestamp);
  if (auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), seconds);
      ec != std::errc{} || end != ts.data() + ts.size())
    return unauthorized(kBadSignature, "webhook-timestamp is not a number of seconds");
  const auto sent = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  const auto skew = request.received > sent ? request.received - sent : sent - request.received;
  if (skew > tolerance_)
    return unauthorized(kReplay, "webhook-timestamp is more than " + std::to_string(tolerance_.count()) +
                                     "s away from now (replayed or clock skew)");
  if (request.head_only) return std::nullopt;  // the signatures cover the body

  const auto expected = crypto::hmac(crypto::Digest::Sha256, key_, *id + "." + std::string(ts) + "." + request.body);
  bool matched = false;
  // Several signatures are allowed (key rotation); unknown versions are ignored.
  std::string_view rest = *signatures;
  while (!rest.empty() && !matched) {
    const auto space = rest.find(' ');
    const std::string_view item = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (!item.starts_with("v1,")) continue;
    const auto decoded = crypto::from_base64(item.substr(3));
    matched = decoded && crypto::constant_time_equal(*decoded, expected);
  }
  if (!matched) return unauthorized(kBadSignature, "no webhook-signature matches the body");
  return std::nullopt;
}

// --- every configured check ---------------------------------------------------------------------

Result<AuthChecks> AuthChecks::from_config(const config::Node& node) {
  AuthChecks checks;
  if (node.has("hmac")) {
    auto c = HmacCheck::from_config(node.map("hmac"));
    if (!c) return std::unexpected(c.error());
    checks.add(std::move(*c));
  }
  if (node.has("token")) {
    if (node.str("token").empty()) return std::unexpected(node["token"].error("token is empty"));
    checks.add(TokenCheck(node.str("token_header"), node.str("token")));
  }
  if (node.has("bearer_token")) {
    if (node.str("bearer_token").empty())
      return std::unexpected(node["bearer_token"].error("bearer_token is empty"));
    checks.add(AuthorizationCheck::bearer(node.str("bearer_token")));
  }
  if (node.has("basic_auth")) {
    const auto basic = node.map("basic_auth");
    if (basic.str("password").empty()) return std::unexpected(basic.error("password is empty"));
    checks.add(AuthorizationCheck::basic(basic.str("username"), basic.str("password")));
  }
  if (node.has("standard_webhooks")) {
    auto c = StandardWebhooksCheck::from_config(node.map("standard_webhooks"));
    if (!c) return std::unexpected(c.error());
    checks.add(std::move(*c));
  }
  return checks;
}

bool AuthChecks::empty() const {
  return hmac_.empty() && token_.empty() && authorization_.empty() && standard_.empty();
}

std::optional<Rejection> AuthChecks::verify(const Request& request) const {
  for (const auto& c : hmac_)
    if (auto r = c.verify(request)) return r;
  for (const auto& c : token_)
    if (auto r = c.verify(request)) return r;
  for (const auto& c : authorization_)
    if (auto r = c.verify(request)) return r;
  for (const auto& c : standard_)
    if (auto r = c.verify(request)) return r;
  return std::nullopt;
}

// --- schema fragments ---------------------------------------------------------------------------

config::Schema hmac_schema() {
  config::Schema s("hmac", "An HMAC of the raw request body, sent in a header as <prefix><digest>.");
  s.field("header", config::Kind::String, "Header carrying the signature.").required().example("X-Signature");
  s.field("algorithm", config::Kind::String, "Hash function.").fallback("sha256").one_of({"sha1", "sha256", "sha512"});
  s.field("secret", config::Kind::Secret, "Shared secret (the HMAC key, as UTF-8 bytes).").required();
  s.field("encoding", config::Kind::String, "How the digest is written.").fallback("hex").one_of({"hex", "base64"});
  s.field("prefix", config::Kind::String, "Text before the digest, e.g. \"sha256=\"; none by default.");
  return s;
}

config::Schema basic_auth_schema() {
  config::Schema s("basic_auth", "HTTP Basic authentication (Authorization: Basic …).");
  s.field("username", config::Kind::String, "User name.").required();
  s.field("password", config::Kind::Secret, "Password.").required();
  return s;
}

config::Schema standard_webhooks_schema() {
  config::Schema s("standard_webhooks",
                   "Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature headers).");
  s.field("secret", config::Kind::Secret, "Signing secret, \"whsec_\" followed by base64.").required();
  s.field("tolerance", config::Kind::Duration, "Largest accepted distance between webhook-timestamp and now; "
                                               "older or newer requests are refused as replays.")
      .fallback("5m")
      .range(1, 86400);
  return s;
}

void add_hmac_field(config::Schema& s) {
  s.field("hmac", config::Kind::Map, "Require an HMAC signature of the body.").schema(hmac_schema());
}

void add_token_fields(config::Schema& s, std::string default_header) {
  s.field("token", config::Kind::Secret, "Require this shared token in the token_header header.");
  s.field("token_header", config::Kind::String, "Header carrying the shared token.").fallback(std::move(default_header));
}

void add_bearer_field(config::Schema& s) {
  s.field("bearer_token", config::Kind::Secret, "Require \"Authorization: Bearer <token>\".");
}

void add_basic_auth_field(config::Schema& s) {
  s.field("basic_auth", config::Kind::Map, "Require HTTP Basic authentication.").schema(basic_auth_schema());
}

void add_standard_webhooks_field(config::Schema& s) {
  s.field("standard_webhooks", config::Kind::Map, "Require Standard Webhooks signatures.")
      .schema(standard_webhooks_schema());
}

void add_all_auth_fields(config::Schema& s, std::string default_token_header) {
  add_hmac_field(s);
  add_token_fields(s, std::move(default_token_header));
  add_bearer_field(s);
  add_basic_auth_field(s);
  add_standard_webhooks_field(s);
}

}  // namespace chatops::ingestion::webhook
