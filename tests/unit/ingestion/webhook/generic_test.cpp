#include "ingestion/webhook/generic.hpp"

#include <catch2/catch.hpp>

#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using namespace chatops::ingestion::webhook::test;

namespace {

std::string entry(const std::string& keys) {
  return "{name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, " + keys + "}";
}

const std::string kBody = R"({"id":"d-42","event":"deploy.finished","status":"ok","level":"WARNING",)"
                          R"("deployment":{"env":"prod","version":"1.2.3"}})";

}  // namespace

TEST_CASE("generic: hmac authentication", "[webhook][generic]") {
  auto p = provider_from(entry("topic: deploy/finished, "
                               "hmac: {header: X-Signature, algorithm: sha256, secret: s3, prefix: 'sha256='}"));
  const auto sig = "sha256=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, "s3", kBody));
  CHECK_FALSE(p->authenticate(json_request(kBody, {{"X-Signature", sig}})));
  CHECK(p->authenticate(json_request(kBody + " ", {{"X-Signature", sig}}))->cause == "bad_signature");
  CHECK(p->authenticate(json_request(kBody))->cause == "missing_signature");
}

TEST_CASE("generic: shared token, bearer and basic authentication", "[webhook][generic]") {
  auto token = provider_from(entry("topic: t, token: abc"));
  CHECK_FALSE(token->authenticate(json_request(kBody, {{"X-Webhook-Token", "abc"}})));
  CHECK(token->authenticate(json_request(kBody, {{"X-Webhook-Token", "abd"}}))->status == 401);

  auto custom = provider_from(entry("topic: t, token: abc, token_header: X-Deploy-Key"));
  CHECK_FALSE(custom->authenticate(json_request(kBody, {{"X-Deploy-Key", "abc"}})));
  CHECK(custom->authenticate(json_request(kBody, {{"X-Webhook-Token", "abc"}}))->cause == "missing_token");

  auto bearer = provider_from(entry("topic: t, bearer_token: xyz"));
  CHECK_FALSE(bearer->authenticate(json_request(kBody, {{"Authorization", "Bearer xyz"}})));
  CHECK(bearer->authenticate(json_request(kBody, {{"Authorization", "Bearer xy"}}))->cause == "bad_token");

  auto basic = provider_from(entry("topic: t, basic_auth: {username: u, password: p}"));
  CHECK_FALSE(basic->authenticate(json_request(kBody, {{"Authorization", "Basic " + crypto::to_base64("u:p")}})));
}

TEST_CASE("generic: Standard Webhooks with several signatures, and a replayed timestamp", "[webhook][generic]") {
  auto p = provider_from(entry("topic_pointer: /event, "
                               "standard_webhooks: {secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}"));
  const std::string key = *crypto::from_base64("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  const auto now = std::chrono::system_clock::now();
  const auto sign = [&](std::int64_t ts, const std::string& k) {
    return "v1," + crypto::to_base64(crypto::hmac(crypto::Digest::Sha256, k, "msg_1." + std::to_string(ts) + "." + kBody));
  };
  const auto request = [&](std::int64_t ts, std::string signatures) {
    auto r = json_request(kBody, {{"webhook-id", "msg_1"},
                                  {"webhook-timestamp", std::to_string(ts)},
                                  {"webhook-signature", std::move(signatures)}});
    r.received = now;
    return r;
  };
  const std::int64_t ts = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  // Rotation: the old key's signature first, then the current one.
  auto e = only_event(*p, request(ts, sign(ts, "old key") + " " + sign(ts, key)));
  CHECK(e.topic == "deploy.finished");
  CHECK(e.dedupe_key == "msg_1");  // the webhook-id when no dedupe pointer is configured
  CHECK(p->authenticate(request(ts, sign(ts, "old key") + " " + sign(ts, "other")))->cause == "bad_signature");

  // Correctly signed, but ten minutes old: a replay.
  auto replayed = p->authenticate(request(ts - 600, sign(ts - 600, key)));
  REQUIRE(replayed);
  CHECK(replayed->status == 401);
  CHECK(replayed->cause == "replay");
}

TEST_CASE("generic: topic from a pointer, a header or a fixed string", "[webhook][generic]") {
  auto fixed = provider_from(entry("topic: deploy/finished, token: t"));
  CHECK(only_event(*fixed, json_request(kBody, {{"X-Webhook-Token", "t"}})).topic == "deploy/finished");

  auto pointer = provider_from(entry("topic_pointer: /deployment/env, topic_prefix: 'deploy/', token: t"));
  CHECK(only_event(*pointer, json_request(kBody, {{"X-Webhook-Token", "t"}})).topic == "deploy/prod");
  auto no_topic = pointer->parse(json_request(R"({"deployment":{}})", {{"X-Webhook-Token", "t"}}));
  REQUIRE_FALSE(no_topic);
  CHECK(no_topic.error().status == 400);
  CHECK(no_topic.error().reason.find("/deployment/env") != std::string::npos);

  auto header = provider_from(entry("topic_header: X-Event, token: t"));
  CHECK(only_event(*header, json_request(kBody, {{"X-Webhook-Token", "t"}, {"x-event", "build/done"}})).topic ==
        "build/done");
  CHECK(header->parse(json_request(kBody, {{"X-Webhook-Token", "t"}})).error().status == 400);
  CHECK(header->parse(json_request(kBody, {{"X-Event", "bad\x01topic"}})).error().status == 400);
}

TEST_CASE("generic: required fields, dedupe, severity and fields", "[webhook][generic]") {
  auto p = provider_from(entry("topic: deploy/finished, token: t, dedupe: /id, severity: /level, "
                               "required: [/id, /deployment/version], "
                               "fields: {env: /deployment/env, version: /deployment/version, nothing: /nope}, "
                               "template: '{{env}} {{version}}'"));
  auto e = only_event(*p, json_request(kBody, {{"X-Webhook-Token", "t"}}));
  CHECK(e.dedupe_key == "d-42");
  CHECK(e.severity == Severity::Warning);
  CHECK(e.fields["env"] == "prod");
  CHECK(e.fields["version"] == "1.2.3");
  CHECK_FALSE(e.fields.contains("nothing"));
  CHECK(e.fields["status"] == "ok");        // top-level fields copied as they are
  CHECK(nlohmann::json::parse(e.raw)["id"] == "d-42");
  CHECK(e.default_template == "{{env}} {{version}}");

  auto missing = p->parse(json_request(R"({"id":"x","deployment":{}})", {{"X-Webhook-Token", "t"}}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().status == 400);
  CHECK(missing.error().cause == "missing_field");
  CHECK(missing.error().reason == "missing required field /deployment/version");

  CHECK(p->parse(json_request("{\"id\":", {{"X-Webhook-Token", "t"}})).error().cause == "malformed_json");
  CHECK(p->parse(json_request(std::string(200, '[') + std::string(200, ']'), {})).error().status == 400);
  auto text = json_request(kBody);
  text.headers = {{"Content-Type", "text/plain"}};
  CHECK(p->parse(text).error().status == 415);
  auto vendor = json_request(kBody);
  vendor.headers = {{"Content-Type", "application/vnd.acme+json; charset=utf-8"}};
  CHECK(p->parse(vendor));
}

TEST_CASE("generic: configuration is checked when the source is built", "[webhook][generic]") {
  const auto make = [](const std::string& keys) {
    auto raw = config::load_string(entry(keys), "cfg.yml");
    REQUIRE(raw);
    auto validated = validate_webhook_source(*raw);
    if (!validated) return validated.error().message;
    auto provider = find_provider("generic")->make(*validated);
    return provider ? std::string() : provider.error().message;
  };
  CHECK(make("topic: t, token: x").empty());
  CHECK(make("topic: t, allow_unauthenticated: true").empty());
  CHECK(make("topic: t").find("needs hmac") != std::string::npos);
  CHECK(make("token: x").find("exactly one of topic") != std::string::npos);
  CHECK(make("topic: t, topic_header: X, token: x").find("exactly one of topic") != std::string::npos);
  CHECK(make("topic_pointer: 'no-slash', token: x").find("cfg.yml:1:") != std::string::npos);
  CHECK(make("topic: t, token: x, standard_webhooks: {secret: 'whsec_!!'}").find("whsec_") != std::string::npos);
  CHECK_FALSE(make("topic: t, token: x, colour: red").empty());  // unknown key
}
