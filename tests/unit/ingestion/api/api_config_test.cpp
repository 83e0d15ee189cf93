// `kind: api` configuration: defaults, the docs' examples, and mistakes reported with their line.
#include <catch2/catch.hpp>

#include "ingestion/api/api_config.hpp"
#include "ingestion/api/api_source.hpp"
#include "ingestion/source_registry.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::api;

namespace {

Result<config::Node> validated(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "api.yml");
  REQUIRE(raw);
  auto v = validate_source((*raw)["sources"].items().at(0), {api_source_kind()});
  if (!v) return std::unexpected(v.error());
  return v->node;
}

std::string error_of(const std::string& entry) {
  auto v = validated(entry);
  REQUIRE_FALSE(v);
  return v.error().message;
}

ApiConfig config_of(const std::string& entry) {
  auto v = validated(entry);
  INFO((v ? "" : v.error().message));
  REQUIRE(v);
  auto c = api_config(*v);
  REQUIRE(c);
  return *c;
}

}  // namespace

TEST_CASE("api config: defaults", "[api][config]") {
  const auto c = config_of("{name: rel, kind: api, url: \"https://api.github.com/repos/o/r/releases\"}");
  CHECK(c.request.method == "GET");
  CHECK(c.request.url.text() == "https://api.github.com/repos/o/r/releases");
  CHECK(c.request.max_response == 16 * 1024 * 1024);
  CHECK(c.diff.items_pointer.empty());
  CHECK_FALSE(c.diff.key_pointer);
  CHECK(c.diff.emit == EmitMode::New);
  CHECK(c.diff.remember == 10000);
  CHECK_FALSE(c.first_poll_emits);
  CHECK_FALSE(c.pagination);
  CHECK(c.conditional);
  CHECK(c.tls.verify);
  CHECK(c.poll.interval == std::chrono::minutes(5));
  CHECK(c.auth.type == AuthType::None);
}

TEST_CASE("api config: the docs' GitHub and Statuspage examples", "[api][config]") {
  const auto gh = config_of(
      "{name: releases, kind: api, url: \"https://api.github.com/repos/OWNER/REPO/releases\", key: /id, "
      "query: {per_page: 100}, headers: {Accept: application/vnd.github+json}, "
      "auth: {type: bearer, token: t}, pagination: {link_header: true, max_pages: 3}, "
      "fields: {name: /name, url: /html_url, tag: /tag_name}}");
  CHECK(gh.request.url.text() == "https://api.github.com/repos/OWNER/REPO/releases?per_page=100");
  CHECK(gh.diff.key_pointer == "/id");
  REQUIRE(gh.pagination);
  CHECK(gh.pagination->link_header);
  CHECK(gh.pagination->max_pages == 3);
  CHECK(gh.auth.type == AuthType::Bearer);

  const auto sp = config_of(
      "{name: status, kind: api, url: \"https://www.githubstatus.com/api/v2/incidents.json\", items: /incidents, "
      "key: /id, emit: new_and_changed, interval: 2m}");
  CHECK(sp.diff.items_pointer == "/incidents");
  CHECK(sp.diff.emit == EmitMode::NewAndChanged);
}

TEST_CASE("api config: auth types and their keys", "[api][config]") {
  CHECK(config_of("{name: a, kind: api, url: \"http://h/\", auth: {type: api_key, key: k}}").auth.header == "X-API-Key");
  const auto q = config_of("{name: a, kind: api, url: \"http://h/\", auth: {type: api_key, key: k, query: api_key}}");
  CHECK(q.auth.query == "api_key");
  CHECK(q.auth.header.empty());
  const auto o = config_of(
      "{name: a, kind: api, url: \"http://h/\", auth: {type: oauth2, token_url: \"https://a/token\", client_id: c, "
      "client_secret: s, client_auth: body, token_params: {audience: x}}}");
  CHECK(o.auth.oauth2.secret_in_body);
  CHECK(o.auth.oauth2.params.size() == 1);

  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", auth: {type: bearer}}"), Catch::Contains("needs token"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", auth: {type: bearer, token: t, username: u}}"),
             Catch::Contains("does not apply to auth type bearer"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", auth: {type: api_key, key: k, header: X, query: q}}"),
             Catch::Contains("not both"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", auth: {type: magic}}"), Catch::Contains("auth.type"));
  const auto injected = error_of("{name: a, kind: api, url: \"http://h/\", auth: {type: bearer, token: \"t\\r\\nX: y\"}}");
  CHECK_THAT(injected, Catch::Contains("line break"));
  CHECK_THAT(injected, Catch::Contains("api.yml:2:"));
}

TEST_CASE("api config: mistakes stop start-up with their line", "[api][config]") {
  CHECK_THAT(error_of("{name: a, kind: api}"), Catch::Contains("url"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"https://u:p@h/\"}"), Catch::Contains("api.yml:2:"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"https://u:p@h/\"}"), Catch::Contains("auth:"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", key: id}"), Catch::Contains("not a JSON pointer"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", body: x}"), Catch::Contains("method: POST"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", emit: document, pagination: {link_header: true}}"),
             Catch::Contains("emit: document"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", pagination: {}}"), Catch::Contains("next page"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", pagination: {cursor_param: c, link_header: true}}"),
             Catch::Contains("next_pointer"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", headers: {\"Bad Name\": x}}"),
             Catch::Contains("header name"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", ca_file: /nonexistent/ca.pem}"),
             Catch::Contains("no such file"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", emit: sometimes}"), Catch::Contains("emit"));
  CHECK_THAT(error_of("{name: a, kind: api, url: \"http://h/\", topic: t, topic_pointer: /t}"),
             Catch::Contains("exactly one"));
}
