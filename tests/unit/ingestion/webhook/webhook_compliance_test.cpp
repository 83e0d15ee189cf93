// Webhook sources pass the runtime's compliance harness: their upstream is an HTTP sender, and an
// item is acknowledged when it was answered 2xx.
#include <catch2/catch.hpp>

#include <atomic>

#include "http/server.hpp"
#include "ingestion/webhook/webhook_source.hpp"
#include "tests/integration/support/raw_http.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::test;

TEST_CASE("webhook sources pass the compliance harness", "[webhook][compliance]") {
  http::ServerOptions options;
  options.port = 0;
  http::Server server(options);
  REQUIRE(server.start());
  const auto kind = ingestion::webhook::webhook_source_kind();
  std::atomic<int> sent{0};
  std::atomic<std::size_t> answered_2xx{0};
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: webhook, provider: generic, path: /hooks/deploy, bearer_token: t0k, "
                     "topic_pointer: /event, topic_prefix: deploy/, dedupe: /id}",
      .services = {.http = &server},
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i) {
                           const auto body = R"({"event": "finished", "id": )" + std::to_string(++sent) + "}";
                           auto r = raw_exchange(server.port(),
                                                 post_request("/hooks/deploy", body,
                                                              "Content-Type: application/json\r\n"
                                                              "Authorization: Bearer t0k\r\n"));
                           if (r && r->status / 100 == 2) ++answered_2xx;
                         }
                       },
                   .acknowledged = [&]() -> std::optional<std::size_t> { return answered_2xx.load(); }},
      .topic_prefix = "deploy/",
      .resumes_after_restart = false,  // the sender retries what was refused (404, 503)
  };
  compliance::run_compliance(subject);
}
