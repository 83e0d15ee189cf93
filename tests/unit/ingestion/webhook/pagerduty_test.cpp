#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/config/node.hpp"
#include "core/crypto.hpp"
#include "ingestion/webhook/pagerduty.hpp"
#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using nlohmann::json;
using chatops::ingestion::webhook::test::said_line;
using chatops::ingestion::webhook::test::said_lines;
using chatops::ingestion::webhook::test::slurp;

namespace {

const std::string kPagerDutyFixtures = std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/pagerduty/";
// SIGNATURE-VECTORS.md, vector 1 (go-pagerduty's test suite).
const std::string kVectorSecret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
const std::string kVectorBody = "signed/v3.incident.priority_updated.go-pagerduty.body.json";
const std::string kVectorSignature = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
const std::string kVectorMismatch = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";
const std::string kPagerDutySecret = "test-secret";

std::string v1_signature(const std::string& secret, const std::string& body) {
  return "v1=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, secret, body));
}

Request pagerduty_request(std::string body, std::optional<std::string> signature = std::nullopt) {
  auto header = signature ? *signature : v1_signature(kPagerDutySecret, body);
  return webhook::test::json_request(std::move(body), {{"X-PagerDuty-Signature", std::move(header)}});
}

const Provider& pagerduty() {
  static const auto p = make_pagerduty({kPagerDutySecret});
  return *p;
}

IngestionEvent pagerduty_event(const Request& r) { return webhook::test::only_event(pagerduty(), r); }

IngestionEvent pagerduty_fixture(const std::string& file) {
  return pagerduty_event(pagerduty_request(slurp(kPagerDutyFixtures + file)));
}

}  // namespace

TEST_CASE("pagerduty: signature vector from go-pagerduty", "[pagerduty]") {
  const std::string body = slurp(kPagerDutyFixtures + kVectorBody);
  REQUIRE(body.size() == 1655);
  const auto p = make_pagerduty({kVectorSecret});
  CHECK_FALSE(p->authenticate(pagerduty_request(body, kVectorSignature)).has_value());

  auto mismatch = p->authenticate(pagerduty_request(body, kVectorMismatch));
  REQUIRE(mismatch.has_value());
  CHECK(mismatch->status == 401);
  CHECK(mismatch->cause == "bad_signature");

  SECTION("one matching signature among several is enough") {
    // The docs' two-signature header (secrets unpublished) with the vector's signature added.
    const std::string docs = "v1=f03de6f61df6e454f3620c4d6aca17ad072d3f8bbb2760eac3b2ad391b5e8073,"
                             "v1=130dcacb53a94d983a37cf2acba98e805a1c37185309ba56fdcccbcf00d6dd8b";
    CHECK(p->authenticate(pagerduty_request(body, docs)).has_value());
    CHECK_FALSE(p->authenticate(pagerduty_request(body, docs + ", " + kVectorSignature)).has_value());
    CHECK_FALSE(p->authenticate(pagerduty_request(body, kVectorSignature + "," + kVectorMismatch)).has_value());
  }
  SECTION("the body is signed as received: one byte more fails") {
    CHECK(p->authenticate(pagerduty_request(body + "\n", kVectorSignature)).has_value());
  }
  SECTION("missing, empty, unversioned or malformed headers are refused") {
    auto r = pagerduty_request(body, kVectorSignature);
    std::erase_if(r.headers, [](const auto& h) { return h.first == "X-PagerDuty-Signature"; });
    auto missing = p->authenticate(r);
    REQUIRE(missing.has_value());
    CHECK(missing->cause == "missing_signature");
    const std::vector<std::string> headers{"", " ", kVectorSignature.substr(3), "v0=" + kVectorSignature.substr(3),
                                           "v1=zz"};
    for (const auto& header : headers) {
      auto refused = p->authenticate(pagerduty_request(body, header));
      REQUIRE(refused.has_value());
      CHECK(refused->status == 401);
    }
  }
  SECTION("a valid signature over an empty body authenticates, then is a 400") {
    auto r = pagerduty_request("", v1_signature(kVectorSecret, ""));
    CHECK_FALSE(p->authenticate(r).has_value());
    auto parsed = p->parse(r);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().status == 400);
  }
  SECTION("the signed body maps to incident.priority_updated") {
    auto parsed = p->parse(pagerduty_request(body, kVectorSignature));
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->events.size() == 1);
    const auto& e = parsed->events[0];
    CHECK(e.topic == "pagerduty/incident.priority_updated");
    CHECK(e.fields["number"] == 2);
    CHECK(e.fields["title"] == "A little bump in the road");
    CHECK(e.fields["priority"] == "P1");
    CHECK(e.fields["agent"] == "Tenex Engineer");
    CHECK(e.dedupe_key == "pagerduty:01BWDWL3NYY7LUFPZCC28QUCMK");
  }
}

TEST_CASE("pagerduty: secret rotation accepts a signature by any configured secret", "[pagerduty]") {
  const std::string body = slurp(kPagerDutyFixtures + "incident.triggered.json");
  const auto p = make_pagerduty({"old-secret", "new-secret"});
  CHECK_FALSE(p->authenticate(pagerduty_request(body, v1_signature("old-secret", body))).has_value());
  CHECK_FALSE(p->authenticate(pagerduty_request(body, v1_signature("new-secret", body))).has_value());
  const auto signed_by = [&](const std::string& a, const std::string& b) {
    return pagerduty_request(body, v1_signature(a, body) + "," + v1_signature(b, body));
  };
  CHECK_FALSE(p->authenticate(signed_by("other", "new-secret")).has_value());
  auto wrong = p->authenticate(signed_by("other", "another"));
  REQUIRE(wrong.has_value());
  CHECK(wrong->status == 401);
}

TEST_CASE("pagerduty: every fixture maps to its topic or is skipped, and is said to the letter", "[pagerduty]") {
  // file → topic ("" = skipped) and the line a bind without a template of its own says.
  const std::string checkout = "#1287 Checkout 5xx rate above 5% for 10 minutes [Checkout Service]";
  const std::string url = " https://example-org.pagerduty.com/incidents/Q1CHK0UT7X";
  const std::map<std::string, std::pair<std::string, std::string>> expected{
      {"incident.triggered.json",
       {"pagerduty/incident.triggered", "TRIGGERED " + checkout + " high urgency, P2 → Alice Oncall" + url}},
      {"incident.triggered.low-urgency.json",
       {"pagerduty/incident.triggered", "TRIGGERED #1288 Disk 80% full on batch-7 [Checkout Service] low urgency → "
                                        "Bob Backup https://example-org.pagerduty.com/incidents/Q2DISKLOW1"}},
      {"incident.acknowledged.json", {"pagerduty/incident.acknowledged", "ACKNOWLEDGED " + checkout + " by Alice Oncall" + url}},
      {"incident.unacknowledged.json", {"pagerduty/incident.unacknowledged", "UNACKNOWLEDGED " + checkout + " → Alice Oncall" + url}},
      {"incident.resolved.json", {"pagerduty/incident.resolved", "RESOLVED " + checkout + " by Alice Oncall" + url}},
      {"incident.reassigned.json",
       {"pagerduty/incident.reassigned", "REASSIGNED " + checkout + " → Alice Oncall, Bob Backup by Bob Backup" + url}},
      {"incident.escalated.json", {"pagerduty/incident.escalated", "ESCALATED " + checkout + " → Bob Backup" + url}},
      {"incident.annotated.json",
       {"pagerduty/incident.annotated", "NOTE on Checkout 5xx rate above 5% for 10 minutes by Alice Oncall: Rolled "
                                        "back checkout to v2.31.4." + url}},
      {"incident.priority_updated.json",
       {"pagerduty/incident.priority_updated", "PRIORITY " + checkout + " is now P1 by Bob Backup" + url}},
      {"pagey.ping.json", {"pagerduty/pagey.ping", "PagerDuty webhook is set up: Hello from your friend Pagey!"}},
      {"service.updated.json", {"", ""}},
      {kVectorBody,
       {"pagerduty/incident.priority_updated",
        "PRIORITY #2 A little bump in the road [API Service] is now P1 by Tenex Engineer "
        "https://acme.pagerduty.com/incidents/PGR0VU2"}},
  };
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kPagerDutyFixtures)) {
    if (entry.path().extension() != ".json") continue;
    const std::string file = std::filesystem::relative(entry.path(), kPagerDutyFixtures).string();
    INFO(file);
    REQUIRE(expected.contains(file));  // a new fixture needs an expectation here
    ++seen;
    auto r = pagerduty_request(slurp(entry.path()));
    REQUIRE_FALSE(pagerduty().authenticate(r).has_value());
    auto parsed = pagerduty().parse(r);
    REQUIRE(parsed.has_value());
    const auto& [topic, line] = expected.at(file);
    if (topic.empty()) {
      CHECK(parsed->events.empty());
      CHECK(parsed->skip_reason == "unmapped PagerDuty event service.updated");
      continue;
    }
    REQUIRE(parsed->events.size() == 1);
    const auto& e = parsed->events[0];
    CHECK(e.topic == topic);
    const auto raw = json::parse(e.raw);
    CHECK(raw == json::parse(r.body));
    CHECK(e.dedupe_key == "pagerduty:" + raw["event"]["id"].get<std::string>());
    CHECK(said_line(e) == line);
  }
  CHECK(seen == expected.size());
}

TEST_CASE("pagerduty: incident fields", "[pagerduty]") {
  auto triggered = pagerduty_fixture("incident.triggered.json");
  const auto& f = triggered.fields;
  CHECK(f["event_type"] == "incident.triggered");
  CHECK(f["action"] == "triggered");
  CHECK(f["number"] == 1287);
  CHECK(f["title"] == "Checkout 5xx rate above 5% for 10 minutes");
  CHECK(f["status"] == "triggered");
  CHECK(f["urgency"] == "high");
  CHECK(f["priority"] == "P2");
  CHECK(f["service"] == "Checkout Service");
  CHECK(f["assignees"] == "Alice Oncall");
  CHECK(f["teams"] == "Payments");
  CHECK(f["escalation_policy"] == "Checkout Escalation");
  CHECK(f["url"] == "https://example-org.pagerduty.com/incidents/Q1CHK0UT7X");
  CHECK(f["agent"].is_null());
  CHECK(triggered.severity == Severity::Critical);

  auto low = pagerduty_fixture("incident.triggered.low-urgency.json");
  CHECK(low.fields["priority"].is_null());
  CHECK(low.severity == Severity::Warning);

  auto acknowledged = pagerduty_fixture("incident.acknowledged.json");
  CHECK(acknowledged.fields["agent"] == "Alice Oncall");
  CHECK(acknowledged.severity == Severity::Notice);

  CHECK(pagerduty_fixture("incident.reassigned.json").fields["assignees"] == "Alice Oncall, Bob Backup");
  CHECK(pagerduty_fixture("incident.escalated.json").fields["assignees"] == "Bob Backup");
  CHECK(pagerduty_fixture("incident.priority_updated.json").fields["priority"] == "P1");

  auto resolved = pagerduty_fixture("incident.resolved.json");
  CHECK(resolved.fields["status"] == "resolved");
  CHECK(resolved.fields["assignees"].is_null());
  CHECK(resolved.severity == Severity::Info);

  auto annotated = pagerduty_fixture("incident.annotated.json");
  CHECK(annotated.fields["incident_id"] == "Q1CHK0UT7X");
  CHECK(annotated.fields["title"] == "Checkout 5xx rate above 5% for 10 minutes");
  CHECK(annotated.fields["note"] == "Rolled back checkout to v2.31.4.\nError rate is dropping.");
  CHECK(annotated.fields["note_excerpt"] == "Rolled back checkout to v2.31.4.");
  CHECK(annotated.fields["number"].is_null());
  CHECK(annotated.fields["agent"] == "Alice Oncall");
}

TEST_CASE("pagerduty: X-Webhook-Id is the dedupe key when present", "[pagerduty]") {
  auto r = pagerduty_request(slurp(kPagerDutyFixtures + "incident.resolved.json"));
  r.headers.emplace_back("X-Webhook-Id", "delivery-77");
  CHECK(pagerduty_event(r).dedupe_key == "pagerduty:delivery-77");
}

TEST_CASE("pagerduty: malformed and unexpected payloads are 400", "[pagerduty]") {
  for (const std::string body : {"{\"event\": ", "[]", R"({"messages": []})", R"({"event": {"id": "x"}})",
                                 R"({"event": {"event_type": "incident.triggered"}})"}) {
    INFO(body);
    auto parsed = pagerduty().parse(pagerduty_request(body));
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().status == 400);
    CHECK(parsed.error().reason.find(body) == std::string::npos);
  }
}

TEST_CASE("pagerduty: default templates colour what needs someone", "[pagerduty]") {
  const std::map<std::string, std::string> colour{
      {"incident.triggered.json", "\x03" "04"},     // red
      {"incident.acknowledged.json", "\x03" "08"},  // yellow
      {"incident.resolved.json", "\x03" "09"},      // green
  };
  for (const auto& [file, code] : colour) {
    INFO(file);
    const auto e = pagerduty_fixture(file);
    CHECK(bindings::Template::compile(e.default_template)->render(bindings::template_data(bindings::BindContext(e)))
              .value()
              .starts_with(code));
  }
}

TEST_CASE("pagerduty: the spec takes secret and/or secrets and needs one", "[pagerduty]") {
  const auto spec = pagerduty_spec();
  auto make = [&](const std::string& yaml) -> Result<std::unique_ptr<Provider>> {
    auto node = config::load_string(yaml, "test.yml");
    REQUIRE(node.has_value());
    auto validated = config::validate(spec.schema(), *node);
    if (!validated) return std::unexpected(validated.error());
    return spec.make(*validated);
  };
  const std::string body = slurp(kPagerDutyFixtures + "incident.triggered.json");
  auto rotated = make("secret: a\nsecrets: [b, c]\n");
  REQUIRE(rotated.has_value());
  for (const char* secret : {"a", "b", "c"})
    CHECK_FALSE((*rotated)->authenticate(pagerduty_request(body, v1_signature(secret, body))).has_value());
  CHECK((*rotated)->authenticate(pagerduty_request(body, v1_signature("d", body))).has_value());
  CHECK_FALSE(make("{}\n").has_value());
  CHECK_FALSE(make("secret: \"\"\n").has_value());
}
