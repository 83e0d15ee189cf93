#include "ingestion/webhook/auth.hpp"

#include <catch2/catch.hpp>

#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion::webhook;
using chatops::ingestion::webhook::test::json_request;

namespace {

HmacCheck github_check(std::string secret) {
  return HmacCheck({.header = "X-Hub-Signature-256", .secret = std::move(secret), .prefix = "sha256="});
}

Request with_header(std::string body, std::string name, std::string value) {
  return json_request(std::move(body), {{std::move(name), std::move(value)}});
}

}  // namespace

TEST_CASE("HmacCheck accepts GitHub's published X-Hub-Signature-256 vectors", "[webhook][auth]") {
  // tests/fixtures/webhooks/github/SIGNATURE-VECTORS.md: vector 1 (GitHub Docs), 2 and 4 (octokit).
  CHECK_FALSE(github_check("It's a Secret to Everybody")
                  .verify(with_header("Hello, World!", "X-Hub-Signature-256",
                                      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")));
  CHECK_FALSE(github_check("mysecret")
                  .verify(with_header(R"({"foo":"bar"})", "x-hub-signature-256",
                                      "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3")));
  CHECK_FALSE(github_check("development")
                  .verify(with_header(R"({"foo":"\\u001b"})", "X-Hub-Signature-256",
                                      "sha256=6f8326efbacfbd04e870cea25b5652e635be8c9807f2fd5348ef60753c9e96ed")));
  // Hex is case-insensitive.
  CHECK_FALSE(github_check("mysecret")
                  .verify(with_header(R"({"foo":"bar"})", "X-Hub-Signature-256",
                                      "sha256=4864D2759938A15468B5DF9ADE20BF161DA9B4F737EA61794142F3484236BDA3")));
}

TEST_CASE("HmacCheck refuses missing, malformed and wrong signatures with 401", "[webhook][auth]") {
  const auto check = github_check("mysecret");
  const std::string good = "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3";

  auto missing = check.verify(json_request(R"({"foo":"bar"})"));
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(missing->cause == "missing_signature");

  for (const std::string& bad : {std::string("foo"), "sha1=" + good.substr(7), good.substr(7), good.substr(0, 70),
                                 "sha256=zz" + good.substr(9)}) {
    auto r = check.verify(with_header(R"({"foo":"bar"})", "X-Hub-Signature-256", bad));
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->cause == "bad_signature");
  }
  // Same signature, other body or other secret.
  CHECK(check.verify(with_header(R"({"foo":"baz"})", "X-Hub-Signature-256", good)));
  CHECK(github_check("foo").verify(with_header(R"({"foo":"bar"})", "X-Hub-Signature-256", good)));
  // The reason never carries the secret.
  CHECK(check.verify(with_header("x", "X-Hub-Signature-256", good))->reason.find("mysecret") == std::string::npos);
}

TEST_CASE("HmacCheck supports sha1/sha512, base64 and no prefix", "[webhook][auth]") {
  const std::string body = R"({"event":"deploy"})";
  const auto mac512 = crypto::hmac(crypto::Digest::Sha512, "k", body);
  HmacCheck b64({.header = "X-Sig", .digest = crypto::Digest::Sha512, .secret = "k",
                 .encoding = SignatureEncoding::Base64});
  CHECK_FALSE(b64.verify(with_header(body, "X-Sig", crypto::to_base64(mac512))));
  CHECK(b64.verify(with_header(body, "X-Sig", crypto::to_hex(mac512))));

  HmacCheck sha1({.header = "X-Sig", .digest = crypto::Digest::Sha1, .secret = "k", .prefix = "sha1="});
  CHECK_FALSE(sha1.verify(with_header(body, "X-Sig", "sha1=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha1, "k", body)))));
}

TEST_CASE("HmacCheck is configured from an hmac: map", "[webhook][auth]") {
  auto node = config::load_string(
      "hmac: {header: X-Signature, algorithm: sha512, secret: s3cr3t, encoding: base64, prefix: 'v1='}", "t.yml");
  REQUIRE(node);
  config::Schema s("t", "");
  add_hmac_field(s);
  auto validated = config::validate(s, *node);
  REQUIRE(validated);
  auto check = HmacCheck::from_config(validated->map("hmac"));
  REQUIRE(check);
  const std::string body = "{}";
  CHECK_FALSE(check->verify(
      with_header(body, "X-Signature", "v1=" + crypto::to_base64(crypto::hmac(crypto::Digest::Sha512, "s3cr3t", body)))));

  auto bad = config::load_string("hmac: {header: X-Signature, algorithm: md5, secret: x}", "t.yml");
  REQUIRE(bad);
  CHECK_FALSE(config::validate(s, *bad));
}

TEST_CASE("TokenCheck compares a header with the shared token", "[webhook][auth]") {
  TokenCheck check("X-Gitlab-Token", "tok3n");
  CHECK_FALSE(check.verify(with_header("{}", "x-gitlab-token", "tok3n")));
  CHECK(check.verify(with_header("{}", "X-Gitlab-Token", "tok3"))->cause == "bad_token");
  CHECK(check.verify(with_header("{}", "X-Gitlab-Token", "tok3n2"))->cause == "bad_token");
  CHECK(check.verify(json_request("{}"))->cause == "missing_token");
}

TEST_CASE("AuthorizationCheck handles Bearer and Basic", "[webhook][auth]") {
  auto bearer = AuthorizationCheck::bearer("abc");
  CHECK_FALSE(bearer.verify(with_header("{}", "Authorization", "Bearer abc")));
  CHECK_FALSE(bearer.verify(with_header("{}", "authorization", "bearer abc")));
  CHECK(bearer.verify(with_header("{}", "Authorization", "Bearer abd"))->cause == "bad_token");
  CHECK(bearer.verify(with_header("{}", "Authorization", "Basic abc"))->status == 401);
  CHECK(bearer.verify(json_request("{}"))->cause == "missing_token");

  auto basic = AuthorizationCheck::basic("am", "pw");
  CHECK_FALSE(basic.verify(with_header("{}", "Authorization", "Basic " + crypto::to_base64("am:pw"))));
  CHECK(basic.verify(with_header("{}", "Authorization", "Basic " + crypto::to_base64("am:px")))->cause == "bad_token");
  CHECK(basic.verify(with_header("{}", "Authorization", "Basic !!!"))->cause == "bad_token");
}

namespace {

// The Standard Webhooks specification's published test vector.
constexpr auto kSwSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr auto kSwId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr auto kSwTimestamp = "1614265330";
constexpr auto kSwBody = R"({"test": 2432232314})";
constexpr auto kSwSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

Request sw_request(std::string signature, std::int64_t received_offset_s = 0) {
  auto r = json_request(kSwBody, {{"webhook-id", kSwId}, {"webhook-timestamp", kSwTimestamp},
                                  {"webhook-signature", std::move(signature)}});
  r.received = std::chrono::system_clock::time_point(std::chrono::seconds(1614265330 + received_offset_s));
  return r;
}

}  // namespace

TEST_CASE("StandardWebhooksCheck verifies the specification's vector and key rotation", "[webhook][auth]") {
  auto check = StandardWebhooksCheck::create(kSwSecret);
  REQUIRE(check);
  CHECK_FALSE(check->verify(sw_request(kSwSignature)));
  // Several signatures: any one may match; unknown versions are skipped.
  CHECK_FALSE(check->verify(sw_request(std::string("v1,Zm9v v2,abc ") + kSwSignature)));
  CHECK_FALSE(check->verify(sw_request(std::string(kSwSignature) + " v1,Zm9vYmFy")));
  CHECK(check->verify(sw_request("v1,Zm9v v1a,xyz"))->cause == "bad_signature");
  CHECK(check->verify(sw_request("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))->cause == "bad_signature");
  // The secret without its prefix works too.
  CHECK_FALSE(StandardWebhooksCheck::create("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")->verify(sw_request(kSwSignature)));
  CHECK_FALSE(StandardWebhooksCheck::create("whsec_not base64!"));
}

TEST_CASE("StandardWebhooksCheck refuses replays outside the tolerance", "[webhook][auth]") {
  auto check = StandardWebhooksCheck::create(kSwSecret);
  REQUIRE(check);
  CHECK_FALSE(check->verify(sw_request(kSwSignature, 299)));
  CHECK_FALSE(check->verify(sw_request(kSwSignature, -299)));
  auto old = check->verify(sw_request(kSwSignature, 301));
  REQUIRE(old);
  CHECK(old->status == 401);
  CHECK(old->cause == "replay");
  CHECK(check->verify(sw_request(kSwSignature, -301))->cause == "replay");
  // A tampered timestamp breaks the signature.
  auto r = sw_request(kSwSignature);
  r.headers[1].second = "1614265331";
  CHECK(check->verify(r)->cause == "bad_signature");
  r.headers[1].second = "soon";
  CHECK(check->verify(r)->cause == "bad_signature");
  CHECK(check->verify(json_request(kSwBody))->cause == "missing_signature");
}

TEST_CASE("AuthChecks reads every configured mode and requires all of them", "[webhook][auth]") {
  config::Schema s("t", "");
  add_all_auth_fields(s, "X-Token");
  auto node = config::load_string("{token: t1, bearer_token: b1}", "t.yml");
  REQUIRE(node);
  auto validated = config::validate(s, *node);
  REQUIRE(validated);
  auto checks = AuthChecks::from_config(*validated);
  REQUIRE(checks);
  CHECK_FALSE(checks->empty());
  CHECK_FALSE(checks->verify(json_request("{}", {{"X-Token", "t1"}, {"Authorization", "Bearer b1"}})));
  CHECK(checks->verify(json_request("{}", {{"X-Token", "t1"}})));
  CHECK(checks->verify(json_request("{}", {{"Authorization", "Bearer b1"}})));

  auto none = config::validate(s, *config::load_string("{}", "t.yml"));
  REQUIRE(none);
  CHECK(AuthChecks::from_config(*none)->empty());

  auto empty_secret = config::validate(s, *config::load_string("{hmac: {header: X-S, secret: ''}}", "t.yml"));
  REQUIRE(empty_secret);
  auto refused = AuthChecks::from_config(*empty_secret);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("t.yml:1:") != std::string::npos);
}
