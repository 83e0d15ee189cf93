// Credentials of an API poller: the OAuth2 token cache (on a clock the test moves), the token
// endpoint's request and answer.
#include <catch2/catch.hpp>

#include "core/crypto.hpp"
#include "ingestion/api/auth.hpp"

using namespace chatops;
using namespace chatops::ingestion::api;
using namespace std::chrono_literals;

namespace {
struct ManualClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  TokenCache::Clock fn() {
    return [this] { return now; };
  }
};
}  // namespace

TEST_CASE("token cache: a token is used until shortly before it expires", "[api][auth]") {
  ManualClock clock;
  TokenCache cache(clock.fn());
  CHECK_FALSE(cache.valid());
  cache.store("t1", 3600s);
  CHECK(cache.valid() == "t1");
  clock.now += 3539s;
  CHECK(cache.valid() == "t1");
  clock.now += 1s;  // within the last minute: renewed before it runs out
  CHECK_FALSE(cache.valid());
}

TEST_CASE("token cache: a short-lived token is renewed a tenth of its life early", "[api][auth]") {
  ManualClock clock;
  TokenCache cache(clock.fn());
  cache.store("short", 100s);
  clock.now += 89s;
  CHECK(cache.valid() == "short");
  clock.now += 1s;
  CHECK_FALSE(cache.valid());
}

TEST_CASE("token cache: without a lifetime a token lasts until dropped (a 401)", "[api][auth]") {
  ManualClock clock;
  TokenCache cache(clock.fn());
  cache.store("forever", std::nullopt);
  clock.now += 24h * 365;
  CHECK(cache.valid() == "forever");
  cache.drop();
  CHECK_FALSE(cache.valid());
  cache.store("next", 60s);
  CHECK(cache.valid() == "next");
}

TEST_CASE("token answers: a bearer access_token and its lifetime", "[api][auth]") {
  auto a = parse_token_answer(R"({"access_token":"abc.def","token_type":"Bearer","expires_in":3600})");
  REQUIRE(a);
  CHECK(a->access_token == "abc.def");
  CHECK(a->expires_in == 3600s);
  CHECK(parse_token_answer(R"({"access_token":"x","expires_in":"120"})")->expires_in == 120s);
  CHECK_FALSE(parse_token_answer(R"({"access_token":"x"})")->expires_in);
  CHECK_FALSE(parse_token_answer(R"({"token_type":"bearer"})"));
  CHECK_FALSE(parse_token_answer(R"({"access_token":"x","token_type":"mac"})"));
  CHECK_FALSE(parse_token_answer(R"({"access_token":"a\r\nInjected: 1"})"));
  const auto malformed = parse_token_answer(R"({"access_token":"s3cr3t-token",)");
  REQUIRE_FALSE(malformed);
  CHECK_THAT(malformed.error(), !Catch::Contains("s3cr3t"));
}

TEST_CASE("token requests: client credentials by HTTP Basic or in the form", "[api][auth]") {
  OAuth2Client client;
  client.token_url = *parse_url("https://auth.example.com/oauth/token");
  client.client_id = "my id";
  client.client_secret = "s:cret";
  client.scope = "read write";
  client.params = {{"audience", "https://api.example.com"}};
  auto r = token_request(client);
  CHECK(r.method == "POST");
  CHECK(r.content_type == "application/x-www-form-urlencoded");
  CHECK(r.body == "grant_type=client_credentials&scope=read%20write&audience=https%3A%2F%2Fapi.example.com");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].second == "Basic " + crypto::to_base64("my%20id:s%3Acret"));
  client.secret_in_body = true;
  r = token_request(client);
  CHECK(r.headers.empty());
  CHECK_THAT(r.body, Catch::EndsWith("&client_id=my%20id&client_secret=s%3Acret"));
}
