// URLs of an API poller: parsed, resolved against a page, shown without their query.
#include <catch2/catch.hpp>

#include "ingestion/api/url.hpp"

using namespace chatops::ingestion::api;

TEST_CASE("url: parsed into origin and target", "[api][url]") {
  auto u = parse_url("https://api.github.com/repos/o/r/releases?per_page=100");
  REQUIRE(u);
  CHECK(u->origin() == "https://api.github.com:443");
  CHECK(u->target == "/repos/o/r/releases?per_page=100");
  CHECK(u->text() == "https://api.github.com/repos/o/r/releases?per_page=100");
  CHECK(u->display() == "https://api.github.com/repos/o/r/releases");
  auto local = parse_url("http://127.0.0.1:8080");
  REQUIRE(local);
  CHECK(local->target == "/");
  CHECK(local->display() == "http://127.0.0.1:8080/");
  CHECK(parse_url("HTTP://[::1]:9/x?y")->host == "[::1]");
}

TEST_CASE("url: what is refused, without repeating the text", "[api][url]") {
  CHECK_THAT(parse_url("https://user:secret@host/x").error().message, Catch::Contains("auth:"));
  CHECK_THAT(parse_url("https://user:secret@host/x").error().message, !Catch::Contains("secret"));
  CHECK_FALSE(parse_url("ftp://host/x"));
  CHECK_FALSE(parse_url("host/x"));
  CHECK_FALSE(parse_url("https://host/a b"));
  CHECK_FALSE(parse_url("https://host:99999/"));
  CHECK_FALSE(parse_url("https://host/x#frag"));
  CHECK_FALSE(parse_url("https:///x"));
  CHECK_FALSE(parse_url("https://host/\r\nX: y"));
}

TEST_CASE("url: references resolved against the page they came from", "[api][url]") {
  const auto base = *parse_url("https://api.example.com/v1/items?page=1");
  CHECK(resolve(base, "https://api.example.com/v1/items?page=2")->text() == "https://api.example.com/v1/items?page=2");
  CHECK(resolve(base, "/v1/items?cursor=x")->text() == "https://api.example.com/v1/items?cursor=x");
  CHECK(resolve(base, "?page=3")->text() == "https://api.example.com/v1/items?page=3");
  CHECK(resolve(base, "other?page=3")->text() == "https://api.example.com/v1/other?page=3");
  CHECK(resolve(base, "//cdn.example.com/x")->text() == "https://cdn.example.com/x");
  CHECK(resolve(base, "/v1/items?q=http://x")->host == "api.example.com");
  CHECK_FALSE(resolve(base, ""));
  CHECK_FALSE(resolve(base, "/a\nb"));
}

TEST_CASE("url: query parameters are percent-encoded", "[api][url]") {
  const auto u = with_query(*parse_url("https://h/x?a=1"), {{"q", "a b&c=d/é"}, {"per_page", "100"}});
  CHECK(u.target == "/x?a=1&q=a%20b%26c%3Dd%2F%C3%A9&per_page=100");
  CHECK(with_query(*parse_url("https://h/x"), {{"k", "v"}}).target == "/x?k=v");
}
