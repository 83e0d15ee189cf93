// Silence matchers as `!silence` takes them, and what the client refuses before asking anyone.
#include <catch2/catch.hpp>

#include "bot/alertmanager/silences.hpp"

using namespace chatops;
using bot::SilenceMatcher;

TEST_CASE("matchers: =, !=, =~ and !~, said back as written", "[alertmanager][silences]") {
  CHECK(*bot::parse_matcher("alertname=DiskFull") == SilenceMatcher{"alertname", "DiskFull", false, true});
  CHECK(*bot::parse_matcher("env!=prod") == SilenceMatcher{"env", "prod", false, false});
  CHECK(*bot::parse_matcher("job=~node.*") == SilenceMatcher{"job", "node.*", true, true});
  CHECK(*bot::parse_matcher("job!~back=up") == SilenceMatcher{"job", "back=up", true, false});
  CHECK(*bot::parse_matcher("a==b") == SilenceMatcher{"a", "=b", false, true});  // the value keeps the rest
  for (const char* word : {"alertname=DiskFull", "env!=prod", "job=~node.*", "job!~back=up"})
    CHECK(bot::matcher_text(*bot::parse_matcher(word)) == word);
}

TEST_CASE("matchers: a word without name, operator or value is refused, naming it", "[alertmanager][silences]") {
  for (const char* word : {"alertname", "=value", "name=", "name!value", "name!", "name=~", "!=x"}) {
    INFO(word);
    const auto m = bot::parse_matcher(word);
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error().message, Catch::Contains(word));
  }
}

TEST_CASE("silence client: a silence id that is not one never reaches a URL, an absent server is an error",
          "[alertmanager][silences]") {
  bot::SilenceApiOptions options;
  options.url = *ingestion::api::parse_url("http://127.0.0.1:1");  // nothing listens on port 1
  options.timeout = std::chrono::milliseconds(2000);
  bot::SilenceClient client(options);
  for (const char* id : {"../alerts", "a b", "x?y", ""}) {
    INFO(id);
    const auto expired = client.expire(id);
    REQUIRE_FALSE(expired);
    CHECK_THAT(expired.error().message, Catch::Contains("is not a silence id"));
  }
  const auto created = client.create({{"alertname", "X"}}, std::chrono::hours(1), "alice", "test");
  REQUIRE_FALSE(created);
  CHECK_THAT(created.error().message, Catch::StartsWith("Alertmanager: "));
}
