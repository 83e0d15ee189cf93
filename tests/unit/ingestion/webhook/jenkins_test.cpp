#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/config/node.hpp"
#include "core/crypto.hpp"
#include "ingestion/webhook/jenkins.hpp"
#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using nlohmann::json;
using chatops::ingestion::webhook::test::said_line;
using chatops::ingestion::webhook::test::said_lines;
using chatops::ingestion::webhook::test::slurp;

namespace {

const std::string kJenkinsFixtures = std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/jenkins/";
const std::vector<std::string> kAllPhases{"QUEUED", "STARTED", "COMPLETED", "FINALIZED"};

Request jenkins_request(std::string body, std::optional<std::string> token = "t0ken") {
  Request r;
  r.method = "POST";
  r.path = "/hooks/jenkins";
  r.headers = {{"Content-Type", "application/json;charset=UTF-8"}};  // as the plugin sends it
  if (token) r.headers.emplace_back("X-Jenkins-Token", *token);
  r.body = std::move(body);
  return r;
}

std::unique_ptr<Provider> make_jenkins_provider(std::vector<std::string> phases = kAllPhases) {
  AuthChecks auth;
  auth.add(TokenCheck("X-Jenkins-Token", "t0ken"));
  return make_jenkins(std::move(auth), std::move(phases));
}

IngestionEvent jenkins_fixture(const std::string& file) {
  return webhook::test::only_event(*make_jenkins_provider(), jenkins_request(slurp(kJenkinsFixtures + file)));
}

}  // namespace

TEST_CASE("jenkins: every fixture maps to jenkins/<phase> with its outcome, said to the letter", "[jenkins]") {
  struct Expected {
    std::string topic, outcome, flag;
    Severity severity;
    std::vector<std::string> said;  // by a bind without a template of its own
  };
  const std::string ci = "https://ci.example.org/job/";
  const std::map<std::string, Expected> expected{
      {"completed.success.json",
       {"jenkins/completed", "succeeded", "is_success", Severity::Info,
        {"payments-api #412 succeeded on origin/main (4e1c0a9) in 3m 23s " + ci + "payments-api/412/"}}},
      {"completed.failure.json",
       {"jenkins/completed", "failed", "is_failure", Severity::Error,
        {"Payments API #413 failed on origin/feature/refunds (a1b2c3d) in 1h 2m, 4/320 tests failed " + ci +
             "payments-api/413/",
         "  failed: refund.TestPartialRefund, refund.TestRefundTwice, refund.TestRefundCurrency, …"}}},
      {"completed.unstable.json",
       {"jenkins/completed", "unstable", "is_unstable", Severity::Warning,
        {"docs-site #88 unstable on origin/main (0f9e8d7) in 41s, 1/12 tests failed " + ci + "docs-site/88/",
         "  failed: links.TestNoDeadLinks"}}},
      {"completed.aborted.json",
       {"jenkins/completed", "aborted", "is_other", Severity::Notice,
        {"nightly-backup #1201 aborted in 1m 5s " + ci + "nightly-backup/1201/"}}},
      {"started.json",
       {"jenkins/started", "started", "is_pending", Severity::Info,
        {"payments-api #414 started on origin/main (5d6e7f8) " + ci + "payments-api/414/"}}},
      // No full_url (Jenkins' root URL unset) and no base_url: no link rather than a relative one.
      {"queued.json", {"jenkins/queued", "queued", "is_pending", Severity::Info, {"payments-api #415 queued"}}},
      {"finalized.success.json",
       {"jenkins/finalized", "succeeded", "is_success", Severity::Info,
        {"payments-api #412 succeeded on origin/main (4e1c0a9) in 3m 23s " + ci + "payments-api/412/"}}},
      // The plugin's documentation example, and its help page's (STARTED with a status, sic).
      {"notification.completed.success.json",
       {"jenkins/completed", "succeeded", "is_success", Severity::Info,
        {"asgard #18 succeeded on origin/master (c6d86dc) http://localhost:8080/job/asgard/18/"}}},
      {"notification.help-example.started.json",
       {"jenkins/started", "failed", "is_failure", Severity::Error, {"JobName #1 failed"}}},
  };
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kJenkinsFixtures)) {
    if (entry.path().extension() != ".json") continue;
    const std::string file = entry.path().filename();
    INFO(file);
    REQUIRE(expected.contains(file));  // a new fixture needs an expectation here
    ++seen;
    const auto& want = expected.at(file);
    const auto e = jenkins_fixture(file);
    CHECK(e.topic == want.topic);
    CHECK(e.fields["outcome"] == want.outcome);
    for (const char* flag : {"is_success", "is_failure", "is_unstable", "is_pending", "is_other"})
      CHECK(e.fields[flag] == (flag == want.flag));
    CHECK(e.severity == want.severity);
    const auto raw = json::parse(e.raw);
    CHECK(raw == json::parse(slurp(entry.path())));
    CHECK(e.fields["name"] == raw["name"]);
    CHECK(e.fields["number"] == raw["build"]["number"]);
    CHECK(e.dedupe_key.starts_with("jenkins:"));
    CHECK(said_lines(e) == want.said);
  }
  CHECK(seen == expected.size());
}

TEST_CASE("jenkins: build fields", "[jenkins]") {
  auto success = jenkins_fixture("completed.success.json");
  const auto& f = success.fields;
  CHECK(f["job"] == "payments-api");
  CHECK(f["job_url"] == "https://ci.example.org/job/payments-api/");
  CHECK(f["number"] == 412);
  CHECK(f["phase"] == "COMPLETED");
  CHECK(f["status"] == "SUCCESS");
  CHECK(f["url"] == "https://ci.example.org/job/payments-api/412/");
  CHECK(f["branch"] == "origin/main");
  CHECK(f["commit"] == "4e1c0a9d2b7f6e5d4c3b2a1908f7e6d5c4b3a291");
  CHECK(f["short_commit"] == "4e1c0a9");
  CHECK(f["scm_url"] == "https://git.example.org/shop/payments-api.git");
  CHECK(f["duration_ms"] == 203512);
  CHECK(f["duration"] == "3m 23s");
  CHECK(f["tests_total"] == 318);
  CHECK(f["tests_failed"].is_null());
  CHECK(f["parameters"] == json{{"DEPLOY", "false"}});
  CHECK(success.dedupe_key == "jenkins:payments-api#412@1763900000000:COMPLETED");

  auto failure = jenkins_fixture("completed.failure.json");
  CHECK(failure.fields["job"] == "Payments API");  // display_name when there is one
  CHECK(failure.fields["name"] == "payments-api");
  CHECK(failure.fields["duration"] == "1h 2m");
  CHECK(failure.fields["tests_failed"] == 4);
  CHECK(failure.fields["tests_total"] == 320);
  CHECK(failure.fields["failed_tests"] ==
        "refund.TestPartialRefund, refund.TestRefundTwice, refund.TestRefundCurrency, …");
  CHECK(failure.fields["culprits"] == "Grace Hopper, Alan Turing");

  auto started = jenkins_fixture("started.json");
  CHECK(started.fields["status"] == "");
  CHECK(started.fields["duration"].is_null());

  auto queued = jenkins_fixture("queued.json");
  CHECK(queued.fields["url"].is_null());  // no root URL configured in Jenkins: no link
  CHECK(queued.fields["branch"].is_null());
  CHECK(queued.dedupe_key == "jenkins:payments-api#415:QUEUED");

  // COMPLETED and FINALIZED of one build are two notifications.
  CHECK(jenkins_fixture("finalized.success.json").dedupe_key != success.dedupe_key);
}

TEST_CASE("jenkins: phases outside the configured ones are skipped", "[jenkins]") {
  const auto p = make_jenkins_provider({"COMPLETED"});
  for (const char* file : {"started.json", "queued.json", "finalized.success.json"}) {
    INFO(file);
    auto r = jenkins_request(slurp(kJenkinsFixtures + file));
    REQUIRE_FALSE(p->authenticate(r).has_value());
    auto parsed = p->parse(r);
    REQUIRE(parsed.has_value());
    CHECK(parsed->events.empty());
    CHECK(parsed->skip_reason.find("is not in phases") != std::string::npos);
  }
  const auto completed = jenkins_request(slurp(kJenkinsFixtures + "completed.failure.json"));
  CHECK(webhook::test::only_event(*p, completed).topic == "jenkins/completed");
}

TEST_CASE("jenkins: requests without the configured credentials are refused", "[jenkins]") {
  const auto p = make_jenkins_provider();
  const std::string body = slurp(kJenkinsFixtures + "completed.success.json");
  for (const auto& token : {std::optional<std::string>{}, std::optional<std::string>{"wrong"}}) {
    auto refused = p->authenticate(jenkins_request(body, token));
    REQUIRE(refused.has_value());
    CHECK(refused->status == 401);
  }

  SECTION("or an HMAC of the body") {
    AuthChecks auth;
    auth.add(HmacCheck({.header = "X-Signature", .secret = "k", .prefix = "sha256="}));
    const auto signed_provider = make_jenkins(std::move(auth), kAllPhases);
    auto r = jenkins_request(body, std::nullopt);
    r.headers.emplace_back("X-Signature", "sha256=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, "k", body)));
    CHECK_FALSE(signed_provider->authenticate(r).has_value());
    r.body += " ";
    CHECK(signed_provider->authenticate(r).has_value());
  }
}

TEST_CASE("jenkins: payloads that are not Notification plugin JSON are 400", "[jenkins]") {
  const auto p = make_jenkins_provider();
  for (const std::string body : {"{\"name\":", "[]", R"({"name": "x"})", R"({"name": "x", "build": {"number": 1}})",
                                 R"({"build": {"number": 1, "phase": "STARTED"}})",
                                 R"({"name": "x", "build": {"phase": "STARTED"}})"}) {
    INFO(body);
    auto parsed = p->parse(jenkins_request(body));
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().status == 400);
    CHECK(parsed.error().reason.find(body) == std::string::npos);
  }
}

TEST_CASE("jenkins: base_url makes links absolute when Jenkins does not send its root URL", "[jenkins]") {
  AuthChecks auth;
  auth.add(TokenCheck("X-Jenkins-Token", "t0ken"));
  const auto p = make_jenkins(std::move(auth), kAllPhases, "https://jenkins.example.org");
  const auto queued = webhook::test::only_event(*p, jenkins_request(slurp(kJenkinsFixtures + "queued.json")));
  CHECK(queued.fields["url"] == "https://jenkins.example.org/job/payments-api/415/");
  CHECK(queued.fields["job_url"] == "https://jenkins.example.org/job/payments-api/");
  CHECK(said_line(queued) == "payments-api #415 queued https://jenkins.example.org/job/payments-api/415/");
  // full_url wins: it is Jenkins' own.
  const auto success = webhook::test::only_event(*p, jenkins_request(slurp(kJenkinsFixtures + "completed.success.json")));
  CHECK(success.fields["url"] == "https://ci.example.org/job/payments-api/412/");
}

TEST_CASE("jenkins: the default template colours the outcome", "[jenkins]") {
  const auto failure = jenkins_fixture("completed.failure.json");
  const auto coloured = bindings::Template::compile(failure.default_template)->render(
      bindings::template_data(bindings::BindContext(failure))).value();
  CHECK(coloured.find("\x03" "04") != std::string::npos);  // red
}

TEST_CASE("jenkins: the spec needs credentials and reads phases", "[jenkins]") {
  const auto spec = jenkins_spec();
  auto make_from = [&](const std::string& yaml) -> Result<std::unique_ptr<Provider>> {
    auto node = config::load_string(yaml, "test.yml");
    REQUIRE(node.has_value());
    auto validated = config::validate(spec.schema(), *node);
    if (!validated) return std::unexpected(validated.error());
    return spec.make(*validated);
  };
  auto none = make_from("{}\n");
  REQUIRE_FALSE(none.has_value());
  CHECK_THAT(none.error().message, Catch::Contains("token, hmac or basic_auth"));
  CHECK_FALSE(make_from("phases: [DONE]\ntoken: t\n").has_value());

  auto basic = make_from("basic_auth: {username: jenkins, password: pw}\nphases: [STARTED, COMPLETED]\n");
  REQUIRE(basic.has_value());
  auto r = jenkins_request(slurp(kJenkinsFixtures + "started.json"), std::nullopt);
  r.headers.emplace_back("Authorization", "Basic " + crypto::to_base64("jenkins:pw"));
  CHECK_FALSE((*basic)->authenticate(r).has_value());
  auto parsed = (*basic)->parse(r);
  REQUIRE(parsed.has_value());
  CHECK(parsed->events.size() == 1);

  auto based = make_from("token: t\nbase_url: https://jenkins.example.org/\nphases: [QUEUED]\n");
  REQUIRE(based.has_value());
  auto queued = (*based)->parse(jenkins_request(slurp(kJenkinsFixtures + "queued.json"), "t"));
  REQUIRE(queued.has_value());
  CHECK(queued->events.at(0).fields["url"] == "https://jenkins.example.org/job/payments-api/415/");

  auto by_default = make_from("token: t0ken\n");
  REQUIRE(by_default.has_value());
  auto skipped = (*by_default)->parse(jenkins_request(slurp(kJenkinsFixtures + "started.json")));
  REQUIRE(skipped.has_value());
  CHECK(skipped->events.empty());  // phases defaults to [COMPLETED]
}
