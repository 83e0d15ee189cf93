// Credentials against the test's API: an API key in a header or the query, bearer, basic, OAuth2
// client credentials (its token endpoint, expiry, renewal, one retry after a 401), and 401/403
// putting the source in an error state that says why, without a secret and without a hot loop.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>

#include "core/crypto.hpp"
#include "tests/integration/ingestion/api/poller.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

ApiAnswer unauthorized() { return {.status = 401, .body = R"({"message":"Bad credentials"})"}; }

// Items when `ok`, else 401.
ApiAnswer items_if(bool ok) { return ok ? ApiAnswer{.body = json_items(1, 3)} : unauthorized(); }

}  // namespace

TEST_CASE("api auth: an API key in a header", "[api][auth]") {
  TestApi api;
  api.route("/items", [](const ApiRequest& r) { return items_if(r.header("x-api-key") == "k3y"); });
  Poller poller("url: \"" + api.url("/items") + "\", key: /id, first_poll: emit, auth: {type: api_key, key: k3y}");
  REQUIRE(poller.wait_events(3));
}

TEST_CASE("api auth: an API key in the query, never in messages", "[api][auth]") {
  TestApi api;
  std::atomic<bool> valid{true};
  api.route("/items", [&](const ApiRequest& r) {
    return items_if(valid && r.param("apikey") == "k3y/+");
  });
  Poller poller("url: \"" + api.url("/items") + "\", query: {q: x}, key: /id, first_poll: emit, interval: 50ms, "
                "auth: {type: api_key, key: \"k3y/+\", query: apikey}");
  REQUIRE(poller.wait_events(3));
  CHECK(api.requests("/items")[0].query == "q=x&apikey=k3y%2F%2B");
  valid = false;  // the key is revoked
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  const auto error = poller.status().last_error;
  CHECK_THAT(error, Catch::Contains("401 Unauthorized"));
  CHECK_THAT(error, Catch::Contains(api.url("/items")));
  CHECK_THAT(error, !Catch::Contains("k3y"));
  CHECK(poller.status().error_kind == ingestion::ErrorKind::Configuration);
}

TEST_CASE("api auth: 401 and 403 stop the source, not a hot loop", "[api][auth]") {
  for (int status : {401, 403}) {
    TestApi api;
    api.route("/items", [status](const ApiRequest&) { return ApiAnswer{.status = status, .body = "{}"}; });
    Poller poller("url: \"" + api.url("/items") + "\", interval: 10ms, backoff: {initial: 10ms, max: 10ms}, "
                  "auth: {type: bearer, token: s3cret}");
    REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
    std::this_thread::sleep_for(300ms);  // absence: at 10 ms intervals a retry would show
    CHECK(api.count("/items") == 1);
    CHECK_THAT(poller.status().last_error, Catch::Contains(std::to_string(status)));
    CHECK_THAT(poller.status().last_error, Catch::Contains("credentials"));
    CHECK_THAT(poller.status().last_error, !Catch::Contains("s3cret"));
  }
}

TEST_CASE("api auth: bearer and basic", "[api][auth]") {
  TestApi api;
  api.route("/bearer", [](const ApiRequest& r) {
    return items_if(r.header("authorization") == "Bearer t0k");
  });
  api.route("/basic", [](const ApiRequest& r) {
    return items_if(r.header("authorization") == "Basic " + crypto::to_base64("ops:pa:ss"));
  });
  Poller bearer("url: \"" + api.url("/bearer") + "\", key: /id, first_poll: emit, auth: {type: bearer, token: t0k}", "b1");
  Poller basic("url: \"" + api.url("/basic") + "\", key: /id, first_poll: emit, "
               "auth: {type: basic, username: ops, password: \"pa:ss\"}", "b2");
  REQUIRE(bearer.wait_events(3));
  REQUIRE(basic.wait_events(3));
}

namespace {

// An OAuth2 authorization server and resource server in one: tokens live `lifetime` seconds; the
// API accepts only live tokens it issued (and none after revoke_all()).
struct OAuth2Api {
  TestApi api;
  std::mutex m;
  int lifetime = 2;
  int issued = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> live;  // token → expiry
  std::vector<std::string> used;                                     // tokens the API saw, in order
  std::string client_secret = "cl!ent secret";

  OAuth2Api() {
    api.route("/oauth/token", [this](const ApiRequest& r) {
      std::lock_guard lock(m);
      const auto expected = "Basic " + crypto::to_base64("bot:" + std::string("cl%21ent%20secret"));
      if (r.header("authorization") != expected ||
          r.param("grant_type") != "client_credentials" || r.param("scope") != "read:items")
        return ApiAnswer{.status = 401, .body = R"({"error":"invalid_client"})"};
      const auto token = "tok" + std::to_string(++issued);
      live[token] = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime);
      return ApiAnswer{.body = R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" +
                               std::to_string(lifetime) + "}"};
    });
    api.route("/items", [this](const ApiRequest& r) {
      std::lock_guard lock(m);
      const auto auth = r.header("authorization");
      const auto token = auth.starts_with("Bearer ") ? auth.substr(7) : "";
      used.push_back(token);
      const auto it = live.find(token);
      return items_if(it != live.end() && std::chrono::steady_clock::now() < it->second);
    });
  }
  void revoke_all() {
    std::lock_guard lock(m);
    live.clear();
  }
  std::string source(const std::string& extra = "") const {
    return "url: \"" + api.url("/items") + "\", key: /id, first_poll: emit, interval: 100ms, " +
           "auth: {type: oauth2, token_url: \"" + api.url("/oauth/token") +
           "\", client_id: bot, client_secret: \"cl!ent secret\", scope: \"read:items\"" + extra + "}";
  }
};

}  // namespace

TEST_CASE("api auth: OAuth2 client credentials: one token until it is due, then a new one", "[api][auth][oauth2]") {
  OAuth2Api server;
  Poller poller(server.source());
  REQUIRE(poller.wait_events(3));
  // Runs every 100 ms; tokens live 2 s and are renewed 0.2 s early.
  REQUIRE(compliance::eventually([&] { return server.api.count("/oauth/token") >= 2; }, 30s));
  // A few runs with the renewed token (waited for, not slept: a loaded machine runs them later).
  REQUIRE(server.api.wait_for("/items", server.api.count("/items") + 3, 30s));
  CHECK(poller.wait_state(ingestion::SourceState::Running));
  std::lock_guard lock(server.m);
  CHECK(server.used.size() > 2 * static_cast<std::size_t>(server.issued));  // tokens are reused, not fetched per request
  CHECK(poller.status().last_error.empty());  // never a failed run: renewed before expiry
}

TEST_CASE("api auth: OAuth2: a 401 renews the token and asks once more", "[api][auth][oauth2]") {
  OAuth2Api server;
  server.lifetime = 3600;
  Poller poller(server.source());
  REQUIRE(poller.wait_events(3));
  REQUIRE(server.api.count("/oauth/token") == 1);
  server.revoke_all();  // e.g. the authorization server restarted
  REQUIRE(compliance::eventually([&] { return server.api.count("/oauth/token") == 2; }, 30s));
  const auto asked = server.api.count("/items");
  REQUIRE(server.api.wait_for("/items", asked + 3, 30s));
  CHECK(poller.wait_state(ingestion::SourceState::Running));
  CHECK(server.api.count("/oauth/token") == 2);
}

TEST_CASE("api auth: OAuth2: refused client credentials stop the source, saying why", "[api][auth][oauth2]") {
  OAuth2Api server;
  Poller poller("url: \"" + server.api.url("/items") + "\", interval: 50ms, auth: {type: oauth2, token_url: \"" +
                server.api.url("/oauth/token") + "\", client_id: bot, client_secret: wr0ng-s3cret, scope: \"read:items\"}");
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  const auto error = poller.status().last_error;
  CHECK_THAT(error, Catch::Contains("token endpoint"));
  CHECK_THAT(error, Catch::Contains("invalid_client"));
  CHECK_THAT(error, !Catch::Contains("wr0ng"));
  CHECK(server.api.count("/items") == 0);
}

TEST_CASE("api auth: OAuth2: a token still refused after renewal is a configuration error", "[api][auth][oauth2]") {
  OAuth2Api server;
  server.api.route("/items", [](const ApiRequest&) { return unauthorized(); });
  Poller poller(server.source());
  REQUIRE(poller.wait_state(ingestion::SourceState::Failed));
  CHECK(server.api.count("/oauth/token") == 2);  // renewed once
  CHECK(server.api.count("/items") == 2);        // asked twice, then stopped
  CHECK_THAT(poller.status().last_error, Catch::Contains("401"));
}
