#include "ingestion/webhook/receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "ingestion/webhook/github.hpp"
#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using namespace chatops::ingestion::webhook::test;
using nlohmann::json;

namespace {

constexpr auto kReceiverSecret = "s3cret";

// A receiver on a free port with a GitHub source on /hooks/github.
struct ReceiverFixture {
  FakeSink sink;
  StatusCounters counters;
  WebhookReceiver receiver{HttpOptions{.host = "127.0.0.1", .port = 0, .max_body = 64 * 1024, .threads = 2}};
  std::unique_ptr<httplib::Client> client;

  ReceiverFixture() {
    REQUIRE(receiver.start());
    REQUIRE(receiver.add_route("/hooks/github",
                               provider_from("{name: gh, kind: webhook, provider: github, path: /hooks/github, "
                                             "secret: s3cret}"),
                               "gh", sink, counters));
    receiver.add_get("/healthz", [] { return Reply{200, "text/plain", "ok"}; });
    client = std::make_unique<httplib::Client>("127.0.0.1", receiver.port());
  }

  httplib::Result post(const std::string& body, const std::string& event = "ping", const std::string& delivery = "d1",
                       std::string signature = "", const std::string& path = "/hooks/github",
                       const std::string& content_type = "application/json") {
    if (signature.empty()) signature = github_signature(kReceiverSecret, body);
    httplib::Headers headers{{"X-GitHub-Event", event}, {"X-GitHub-Delivery", delivery},
                             {"X-Hub-Signature-256", signature}};
    return client->Post(path.c_str(), headers, body, content_type.c_str());
  }
};

const std::string kPing = R"({"zen":"Design for failure.","hook_id":1,"repository":{"full_name":"o/r"}})";

json body_of(const httplib::Result& r) { return json::parse(r->body); }

}  // namespace

TEST_CASE("receiver: an authenticated event is journaled before 202, a repeat is a duplicate", "[webhook][receiver]") {
  ReceiverFixture f;
  auto r = f.post(kPing);
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(body_of(r)["status"] == "accepted");
  REQUIRE(f.sink.events.size() == 1);
  CHECK(f.sink.events[0].source == "gh");
  CHECK(f.sink.events[0].kind == "webhook");
  CHECK(f.sink.events[0].topic == "github/ping");
  CHECK(f.sink.events[0].dedupe_key == "d1");

  auto again = f.post(kPing);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(body_of(again)["status"] == "duplicate");
  CHECK(f.sink.events.size() == 1);

  auto skipped = f.post(R"({"a":1})", "deployment_status", "d2");
  REQUIRE(skipped);
  CHECK(skipped->status == 202);
  CHECK(body_of(skipped)["status"] == "skipped");
  CHECK(body_of(skipped)["reason"] == "unmapped GitHub event deployment_status");

  const auto s = f.counters.snapshot();
  CHECK(s.consumed == 3);
  CHECK(s.processed == 1);
  CHECK(s.skipped == 1);
  CHECK(s.committed == 3);
  CHECK(s.failed == 0);
}

TEST_CASE("receiver: rejected requests dispatch nothing and are counted by cause", "[webhook][receiver]") {
  ReceiverFixture f;
  auto wrong = f.post(kPing, "ping", "d1", "sha256=" + std::string(64, '0'));
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(body_of(wrong)["cause"] == "bad_signature");
  CHECK(wrong->body.find(kReceiverSecret) == std::string::npos);

  auto missing = f.client->Post("/hooks/github", {{"X-GitHub-Event", "ping"}}, kPing, "application/json");
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(body_of(missing)["cause"] == "missing_signature");

  auto malformed = f.post("{\"zen\":", "ping", "d3");
  REQUIRE(malformed);
  CHECK(malformed->status == 400);
  CHECK(body_of(malformed)["reason"].get<std::string>().starts_with("malformed JSON"));

  auto not_json = f.post("zen=1", "ping", "d4", "", "/hooks/github", "text/plain");
  REQUIRE(not_json);
  CHECK(not_json->status == 415);

  auto too_big = f.post(std::string(65 * 1024, ' '), "ping", "d5");
  REQUIRE(too_big);
  CHECK(too_big->status == 413);

  CHECK(f.sink.events.empty());
  const auto rejections = f.receiver.rejections();
  CHECK(rejections.at({"gh", "bad_signature"}) == 1);
  CHECK(rejections.at({"gh", "missing_signature"}) == 1);
  CHECK(rejections.at({"gh", "malformed_json"}) == 1);
  CHECK(rejections.at({"gh", "unsupported_media_type"}) == 1);
  CHECK(rejections.at({"gh", "body_too_large"}) == 1);
  CHECK(f.counters.snapshot().failed == 5);

  // Still serving after all that.
  auto ok = f.post(kPing);
  REQUIRE(ok);
  CHECK(ok->status == 202);
}

TEST_CASE("receiver: unknown paths, wrong methods and GET handlers", "[webhook][receiver]") {
  ReceiverFixture f;
  auto unknown = f.post(kPing, "ping", "d1", "", "/hooks/nope");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);

  auto get = f.client->Get("/hooks/github");
  REQUIRE(get);
  CHECK(get->status == 405);
  CHECK(get->get_header_value("Allow") == "POST");
  auto put = f.client->Put("/hooks/github", kPing, "application/json");
  REQUIRE(put);
  CHECK(put->status == 405);

  auto health = f.client->Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok");
  auto post_health = f.client->Post("/healthz", "{}", "application/json");
  REQUIRE(post_health);
  CHECK(post_health->status == 405);

  CHECK(f.client->Get(("/" + std::string(7000, 'a')).c_str())->status == 404);
  CHECK(f.sink.events.empty());
}

TEST_CASE("receiver: a refusing journal gives 503 so that the sender retries", "[webhook][receiver]") {
  ReceiverFixture f;
  f.sink.fail = true;
  auto r = f.post(kPing);
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(body_of(r)["status"] == "unavailable");
  CHECK(f.counters.snapshot().committed == 0);
  f.sink.fail = false;
  auto retry = f.post(kPing);
  REQUIRE(retry);
  CHECK(retry->status == 202);
}

TEST_CASE("receiver: requests are served by threads named http-worker", "[webhook][receiver]") {
  ReceiverFixture f;
  REQUIRE(f.post(kPing)->status == 202);
  CHECK(f.sink.submitter_thread == "http-worker");
}

TEST_CASE("receiver: requests share one keep-alive connection", "[webhook][receiver]") {
  ReceiverFixture f;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(f.receiver.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  for (int i = 0; i < 3; ++i) {
    const std::string delivery = "keep-" + std::to_string(i);
    const std::string request = "POST /hooks/github HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                                "X-GitHub-Event: ping\r\nX-GitHub-Delivery: " + delivery +
                                "\r\nX-Hub-Signature-256: " + github_signature(kReceiverSecret, kPing) +
                                "\r\nContent-Length: " + std::to_string(kPing.size()) + "\r\n\r\n" + kPing;
    REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
    std::string response;
    char buffer[4096];
    while (response.find("}") == std::string::npos) {
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      REQUIRE(n > 0);
      response.append(buffer, static_cast<std::size_t>(n));
    }
    CHECK(response.starts_with("HTTP/1.1 202"));
  }
  ::close(fd);
  CHECK(f.sink.events.size() == 3);
}

TEST_CASE("receiver: routes come and go; a path is taken once", "[webhook][receiver]") {
  ReceiverFixture f;
  FakeSink other;
  StatusCounters counters;
  auto provider = provider_from("{name: g2, kind: webhook, provider: github, path: /hooks/github, secret: x}");
  CHECK_FALSE(f.receiver.add_route("/hooks/github", std::move(provider), "g2", other, counters));
  f.receiver.remove_route("/hooks/github");
  CHECK(f.post(kPing)->status == 404);
}

TEST_CASE("receiver: a webhook source registers its path while started", "[webhook][receiver]") {
  ReceiverFixture f;
  auto source = make_webhook_source(
      source_config("{name: deploys, kind: webhook, provider: generic, path: /hooks/deploy, topic: deploy/done, "
                    "bearer_token: tok}"),
      f.receiver);
  REQUIRE(source);
  CHECK((*source)->kind() == "webhook");
  CHECK((*source)->name() == "deploys");
  const httplib::Headers auth{{"Authorization", "Bearer tok"}};
  CHECK(f.client->Post("/hooks/deploy", auth, "{}", "application/json")->status == 404);
  REQUIRE((*source)->start(f.sink));
  CHECK((*source)->status().state == SourceState::Running);
  CHECK(f.client->Post("/hooks/deploy", auth, R"({"v":1})", "application/json")->status == 202);
  CHECK(f.client->Post("/hooks/deploy", "{}", "application/json")->status == 401);
  CHECK((*source)->status().consumed == 2);
  CHECK((*source)->status().failed == 1);
  (*source)->stop();
  CHECK((*source)->status().state == SourceState::Stopped);
  CHECK(f.client->Post("/hooks/deploy", auth, "{}", "application/json")->status == 404);
  REQUIRE(f.sink.events.size() == 1);
  CHECK(f.sink.events[0].source == "deploys");
  CHECK(f.sink.events[0].fields["v"] == 1);
}

TEST_CASE("receiver: the http: section", "[webhook][receiver]") {
  const auto options = [](const std::string& yaml) -> Result<HttpOptions> {
    auto raw = config::load_string(yaml, "cfg.yml");
    REQUIRE(raw);
    auto validated = config::validate(http_schema(), *raw);
    if (!validated) return std::unexpected(validated.error());
    return http_options(*validated);
  };
  auto defaults = options("{}");
  REQUIRE(defaults);
  CHECK(defaults->host == "127.0.0.1");
  CHECK(defaults->port == 8080);
  CHECK(defaults->max_body == 25u * 1024 * 1024);
  CHECK(defaults->read_timeout == std::chrono::seconds(10));
  CHECK(defaults->threads == 32);
  CHECK_FALSE(defaults->tls);

  auto v6 = options("{listen: '[::1]:9000', max_body: 1MiB, tls: {cert: c.pem, key: k.pem}}");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 9000);
  CHECK(v6->max_body == 1024u * 1024);
  CHECK(v6->tls->first == "c.pem");

  auto bad = options("{listen: localhost}");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("cfg.yml:1:") != std::string::npos);
  CHECK_FALSE(options("{listen: 'h:99999'}"));

  WebhookReceiver tls(HttpOptions{.port = 0, .tls = std::pair{"/nonexistent.pem", "/nonexistent.key"}});
  auto failed = tls.start();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("/nonexistent.pem") != std::string::npos);
}
