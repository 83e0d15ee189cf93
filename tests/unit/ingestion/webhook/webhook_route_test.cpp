// A webhook source's path on the real HTTP server: authentication at the head and on the body,
// answers after the journal, rejections counted by cause.
#include <catch2/catch.hpp>

#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "http/server.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/webhook/webhook_route.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"
#include "tests/integration/support/raw_http.hpp"
#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using namespace chatops::ingestion::webhook::test;
using chatops::test::post_request;
using chatops::test::raw_exchange;
using chatops::test::RawConnection;
using chatops::ingestion::testing::open_journal;
using chatops::ingestion::testing::TempDir;
using nlohmann::json;

namespace {

constexpr auto kSecret = "s3cret";
const std::string kPing = R"({"zen":"Design for failure.","hook_id":1,"repository":{"full_name":"o/r"}})";

http::ServerOptions test_server_options() {
  http::ServerOptions o;
  o.port = 0;
  o.parser.max_body = 64 * 1024;
  return o;
}

// A server on a free port with a GitHub source "gh" on /hooks/github, journaling for real.
struct Fixture {
  TempDir dir;
  std::string journal_path = dir.file("j.db");
  std::unique_ptr<Journal> journal = open_journal(journal_path);
  metrics::Registry registry;
  SourceRuntime runtime{"gh", "webhook", *journal, &registry};
  http::Server server{test_server_options()};

  Fixture() {
    runtime.open();
    auto provider = std::shared_ptr<const Provider>(
        provider_from("{name: gh, kind: webhook, provider: github, path: /hooks/github, secret: s3cret}"));
    REQUIRE(server.add_route("/hooks/github", {"POST"}, std::make_shared<WebhookRoute>(provider, runtime)));
    REQUIRE(server.start());
  }
  ~Fixture() { server.stop(); }
  std::vector<IngestionEvent> events() { return journal->pending_events(0, 100).value(); }

  std::optional<chatops::test::RawResponse> post(const std::string& body, const std::string& event = "ping",
                                                 const std::string& delivery = "d1", std::string signature = "",
                                                 const std::string& content_type = "application/json") {
    if (signature.empty()) signature = github_signature(kSecret, body);
    return raw_exchange(server.port(),
                        post_request("/hooks/github", body,
                                     "Content-Type: " + content_type + "\r\nX-GitHub-Event: " + event +
                                         "\r\nX-GitHub-Delivery: " + delivery + "\r\nX-Hub-Signature-256: " + signature +
                                         "\r\n"));
  }
  double rejected(const std::string& cause) {
    return runtime.metrics().counter("chatops_events_rejected_total", "", {"reason"}).value({cause});
  }
};

json body_of(const std::optional<chatops::test::RawResponse>& r) { return json::parse(r->body); }

}  // namespace

TEST_CASE("webhook route: an authenticated event is journaled before 202, a repeat is a duplicate", "[webhook]") {
  Fixture f;
  auto r = f.post(kPing);
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(body_of(r)["status"] == "accepted");
  auto journaled = f.events();
  REQUIRE(journaled.size() == 1);
  CHECK(journaled[0].source == "gh");
  CHECK(journaled[0].family == "webhook");
  CHECK(journaled[0].topic == "github/ping");
  CHECK(journaled[0].dedupe_key == "d1");

  auto again = f.post(kPing);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(body_of(again)["status"] == "duplicate");
  CHECK(f.events().size() == 1);

  auto skipped = f.post(R"({"a":1})", "deployment_status", "d2");
  REQUIRE(skipped);
  CHECK(skipped->status == 202);
  CHECK(body_of(skipped)["status"] == "skipped");
  CHECK(body_of(skipped)["reason"] == "unmapped GitHub event deployment_status");

  const auto s = f.runtime.status().snapshot();
  CHECK(s.consumed == 3);
  CHECK(s.processed == 1);
  CHECK(s.skipped == 1);
  CHECK(s.committed == 3);
  CHECK(s.failed == 0);
}

TEST_CASE("webhook route: rejected requests dispatch nothing and are counted by cause", "[webhook]") {
  Fixture f;
  auto wrong = f.post(kPing, "ping", "d1", "sha256=" + std::string(64, '0'));
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(body_of(wrong)["cause"] == "bad_signature");
  CHECK(wrong->body.find(kSecret) == std::string::npos);

  auto missing = raw_exchange(f.server.port(), post_request("/hooks/github", kPing, "X-GitHub-Event: ping\r\n"));
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(body_of(missing)["cause"] == "missing_signature");

  auto malformed = f.post("{\"zen\":", "ping", "d3");
  REQUIRE(malformed);
  CHECK(malformed->status == 400);
  CHECK(body_of(malformed)["reason"].get<std::string>().starts_with("malformed JSON"));

  auto not_json = f.post("zen=1", "ping", "d4", "", "text/plain");
  REQUIRE(not_json);
  CHECK(not_json->status == 415);

  CHECK(f.events().empty());
  CHECK(f.rejected("bad_signature") == 1);
  CHECK(f.rejected("missing_signature") == 1);
  CHECK(f.rejected("malformed_json") == 1);
  CHECK(f.rejected("unsupported_media_type") == 1);
  CHECK(f.runtime.status().snapshot().failed == 4);

  auto ok = f.post(kPing);  // still serving after all that
  REQUIRE(ok);
  CHECK(ok->status == 202);
}

TEST_CASE("webhook route: an unsigned body is refused at its head, before it is read", "[webhook]") {
  Fixture f;
  auto c = RawConnection::open(f.server.port());
  REQUIRE(c);
  // 400 MiB announced in chunks, no signature: refused when the head is complete.
  REQUIRE(c->send("POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "X-GitHub-Event: push\r\nTransfer-Encoding: chunked\r\n\r\n1000000\r\n" +
                  std::string(64 * 1024, 'x')));
  auto r = c->read_response();
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(json::parse(r->body)["cause"] == "missing_signature");
  CHECK(c->wait_closed());
  CHECK(f.server.stats().buffered_bytes == 0);
  // A signature that cannot be one (wrong length) is refused at the head as well.
  auto c2 = RawConnection::open(f.server.port());
  REQUIRE(c2->send("POST /hooks/github HTTP/1.1\r\nContent-Type: application/json\r\nX-Hub-Signature-256: sha256=abcd\r\n"
                   "Content-Length: 60000\r\n\r\n"));
  auto r2 = c2->read_response();
  REQUIRE(r2);
  CHECK(r2->status == 401);
  CHECK(json::parse(r2->body)["cause"] == "bad_signature");
}

TEST_CASE("webhook route: GitHub's form content type works for large payloads", "[webhook]") {
  Fixture f;
  // A push as GitHub sends it with content type application/x-www-form-urlencoded: payload=<JSON>,
  // percent-encoded; well over the 8 KiB at which the previous server gave 413.
  auto push = read_fixture("webhooks/github/push.new-branch.json");
  std::string encoded;
  for (unsigned char c : push) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') encoded += static_cast<char>(c);
    else encoded += fmt::format("%{:02X}", c);
  }
  const std::string body = "payload=" + encoded;
  REQUIRE(body.size() > 8 * 1024);
  auto r = f.post(body, "push", "form-1", "", "application/x-www-form-urlencoded");
  REQUIRE(r);
  CHECK(r->status == 202);
  auto journaled = f.events();
  REQUIRE(journaled.size() == 1);
  CHECK(journaled[0].topic == "github/push");
  CHECK(payload_text(journaled[0]) == push);
}

TEST_CASE("webhook route: a refusing journal gives 503 so that the sender retries", "[webhook]") {
  Fixture f;
  SQLite::Database(f.journal_path, SQLite::OPEN_READWRITE, 30000)
      .exec("CREATE TRIGGER full_disk BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  auto r = f.post(kPing);
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->headers.contains("retry-after"));
  CHECK(body_of(r)["status"] == "unavailable");
  CHECK(f.runtime.status().snapshot().committed == 0);
  CHECK_THAT(f.runtime.status().snapshot().last_error, Catch::Contains("disk full"));
  SQLite::Database(f.journal_path, SQLite::OPEN_READWRITE, 30000).exec("DROP TRIGGER full_disk");
  auto retry = f.post(kPing);
  REQUIRE(retry);
  CHECK(retry->status == 202);
}

TEST_CASE("webhook route: the answer waits for the journal without holding the event loop", "[webhook]") {
  Fixture f;
  // The journal's writer is held, as a slow disk would hold it (the held event is the 11th).
  chatops::ingestion::testing::WriterHold hold(*f.journal);
  const auto request = [&](const std::string& delivery) {
    return post_request("/hooks/github", kPing,
                        "Content-Type: application/json\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: " + delivery +
                            "\r\nX-Hub-Signature-256: " + github_signature(kSecret, kPing) + "\r\n");
  };
  std::vector<RawConnection> waiting;
  for (int i = 0; i < 10; ++i) {
    waiting.push_back(*RawConnection::open(f.server.port()));
    REQUIRE(waiting.back().send(request(fmt::format("d{}", i))));
  }
  // Ten requests wait for the journal on one event loop, which still serves others meanwhile.
  auto first = waiting.front().read_response(std::chrono::milliseconds(200));
  CHECK_FALSE(first.has_value());
  auto malformed = raw_exchange(f.server.port(), post_request("/hooks/github", kPing, "X-GitHub-Event: ping\r\n"));
  REQUIRE(malformed);
  CHECK(malformed->status == 401);
  hold.release();
  for (auto& c : waiting) {
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 202);
  }
  CHECK(f.events().size() == 11);
}

TEST_CASE("webhook route: a webhook source takes its path while started", "[webhook]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  SourceRuntime runtime("deploys", "webhook", *journal, nullptr), twin_runtime("twin", "webhook", *journal, nullptr);
  runtime.open();
  http::Server server(test_server_options());
  REQUIRE(server.start());
  auto source = make_webhook_source(
      source_config("{name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, topic: deploy/done, "
                    "bearer_token: tok}"),
      server);
  REQUIRE(source);
  const std::string auth = "Content-Type: application/json\r\nAuthorization: Bearer tok\r\n";
  // Built, not yet started (the listener opens before the supervisor starts the sources): 503,
  // which senders retry, never a 404, which Alertmanager and others drop.
  const auto early = raw_exchange(server.port(), post_request("/hooks/deploy", "{}", auth));
  REQUIRE(early);
  CHECK(early->status == 503);
  CHECK(early->headers.at("retry-after") == "1");
  REQUIRE((*source)->start(runtime));
  CHECK(runtime.status().state() == SourceState::Running);
  CHECK(raw_exchange(server.port(), post_request("/hooks/deploy", R"({"v":1})", auth))->status == 202);
  CHECK(raw_exchange(server.port(), post_request("/hooks/deploy", "{}", "Content-Type: application/json\r\n"))->status ==
        401);
  CHECK(runtime.status().snapshot().consumed == 2);
  CHECK(runtime.status().snapshot().failed == 1);
  // A second source on the same path cannot start.
  auto twin = make_webhook_source(
      source_config("{name: twin, kind: webhook, provider: generic, path: /hooks/deploy, topic: x, bearer_token: t}"),
      server);
  REQUIRE(twin);
  auto refused = (*twin)->start(twin_runtime);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::Configuration);  // not worth retrying
  CHECK_THAT(refused.error().message, Catch::Contains("/hooks/deploy is already taken"));
  (*source)->stop();
  CHECK(runtime.status().state() == SourceState::Stopped);
  CHECK(raw_exchange(server.port(), post_request("/hooks/deploy", "{}", auth))->status == 404);
  auto events = journal->pending_events(0, 10).value();
  REQUIRE(events.size() == 1);
  CHECK(events[0].source == "deploys");
  CHECK(events[0].fields["v"] == 1);
}

TEST_CASE("webhook route: a paused source answers 503 with Retry-After and stores nothing", "[webhook][pause]") {
  Fixture f;
  f.runtime.set_paused(true);
  auto paused = f.post(kPing);
  REQUIRE(paused);
  CHECK(paused->status == 503);
  CHECK(paused->headers["retry-after"] == std::to_string(kPausedRetryAfterSeconds));
  CHECK(body_of(paused) == json{{"status", "paused"}, {"source", "gh"}});
  // Credentials are still checked first: an unauthenticated sender learns nothing more.
  auto wrong = f.post(kPing, "ping", "d2", "sha256=" + std::string(64, '0'));
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(f.events().empty());
  f.runtime.set_paused(false);
  auto resumed = f.post(kPing);
  REQUIRE(resumed);
  CHECK(resumed->status == 202);
  CHECK(f.events().size() == 1);
}

TEST_CASE("webhook route: a reload that restarts a webhook source answers 503 between the two, never 404",
          "[webhook][reload]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  SourceRuntime old_runtime("deploys", "webhook", *journal, nullptr), new_runtime("deploys", "webhook", *journal, nullptr);
  old_runtime.open();
  new_runtime.open();
  http::Server server(test_server_options());
  REQUIRE(server.start());
  const auto config = [](const std::string& topic) {
    return source_config("{name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, topic: " + topic +
                         ", bearer_token: tok}");
  };
  const std::string auth = "Content-Type: application/json\r\nAuthorization: Bearer tok\r\n";
  const auto status = [&] { return raw_exchange(server.port(), post_request("/hooks/deploy", R"({"v":1})", auth))->status; };
  auto old_source = make_webhook_source(config("deploy/old"), server);
  REQUIRE(old_source);
  REQUIRE((*old_source)->start(old_runtime));
  CHECK(status() == 202);
  // As IngestionManager::reconfigure and apply_pending do: the successor is built, the old source
  // stopped, then the successor started.
  auto new_source = make_webhook_source(config("deploy/new"), server);
  REQUIRE(new_source);
  (*old_source)->stop();
  old_source->reset();
  CHECK(status() == 503);
  REQUIRE((*new_source)->start(new_runtime));
  CHECK(status() == 202);
  // Removed by a later reload: nothing holds the path any more.
  (*new_source)->stop();
  CHECK(status() == 404);
  new_source->reset();
  CHECK(status() == 404);
  auto events = journal->pending_events(0, 10).value();
  REQUIRE(events.size() == 2);
  CHECK(events[0].topic == "deploy/old");
  CHECK(events[1].topic == "deploy/new");
}
