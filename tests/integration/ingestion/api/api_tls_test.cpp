// HTTPS against the test's API with a certificate from a test CA: trusted through ca_file, refused
// without it (a configuration error that says what to do), and tls_verify: false.
#include <catch2/catch.hpp>

#include "tests/integration/ingestion/api/poller.hpp"
#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

using namespace chatops;
using namespace chatops::test;

namespace {
struct HttpsApi {
  TempDir dir{"chatops-api-tls"};
  TestCa ca{dir.path() / "ca"};
  CertFiles cert = ca.issue_server("api");
  TestApi api{TestApiOptions{.cert = cert.cert, .key = cert.key}};
  HttpsApi() {
    api.route("/items", [](const ApiRequest&) { return ApiAnswer{.body = json_items(1, 3)}; });
  }
};
}  // namespace

TEST_CASE("api tls: a server certificate from the CA in ca_file is trusted", "[api][tls]") {
  HttpsApi https;
  REQUIRE(https.api.url("/items").starts_with("https://"));
  Poller poller("url: \"" + https.api.url("/items") + "\", key: /id, first_poll: emit, ca_file: \"" +
                https.ca.ca_cert().string() + "\"");
  REQUIRE(poller.wait_events(3));
}

TEST_CASE("api tls: an untrusted certificate stops the source, saying what to do", "[api][tls]") {
  HttpsApi https;
  Poller poller("url: \"" + https.api.url("/items") + "\", key: /id, first_poll: emit");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(poller.status().last_error, Catch::Contains("not trusted"));
  CHECK_THAT(poller.status().last_error, Catch::Contains("ca_file"));
  CHECK(poller.status().error_kind == ingestion::ErrorKind::Configuration);
  CHECK(https.api.count("/items") == 0);
}

TEST_CASE("api tls: a certificate from another CA is refused even with a ca_file", "[api][tls]") {
  HttpsApi https;
  TempDir other_dir{"chatops-api-tls-other"};
  TestCa other{other_dir.path() / "ca"};
  Poller poller("url: \"" + https.api.url("/items") + "\", ca_file: \"" + other.ca_cert().string() + "\"");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  CHECK_THAT(poller.status().last_error, Catch::Contains("not trusted"));
}

TEST_CASE("api tls: tls_verify: false accepts any certificate", "[api][tls]") {
  HttpsApi https;
  Poller poller("url: \"" + https.api.url("/items") + "\", key: /id, first_poll: emit, tls_verify: false");
  REQUIRE(poller.wait_events(3));
}
