// `kind: stream, system: nats` configuration: core NATS needs subjects, a JetStream consumer
// filters on one subject at most, credentials of one kind, files that exist, defaults.
#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "ingestion/stream/stream_kind.hpp"

using namespace chatops;
using namespace chatops::ingestion;

namespace {

Result<config::Node> validated_nats(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "test.yml");
  REQUIRE(raw);
  return stream::validate_stream_source((*raw)["sources"].items().at(0));
}

}  // namespace

TEST_CASE("NATS configuration errors name the key and never show a secret", "[stream][nats][config]") {
  const std::string base = "{name: s, kind: stream, system: nats";
  SECTION("core NATS without subjects") {
    auto v = validated_nats(base + "}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("test.yml:2:") && Catch::Contains("subjects"));
  }
  SECTION("a JetStream consumer with two filter subjects") {
    auto v = validated_nats(base + ", stream: ALERTS, subjects: [a, b]}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("one filter subject"));
  }
  SECTION("a stream name with a dot") {
    auto v = validated_nats(base + ", stream: a.b}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("stream name"));
  }
  SECTION("a subject with a space") {
    auto v = validated_nats(base + ", subjects: [\"a b\"]}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("white space"));
  }
  SECTION("a queue group on JetStream") {
    auto v = validated_nats(base + ", stream: ALERTS, queue_group: q}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("queue_group"));
  }
  SECTION("two kinds of credentials, the secret not repeated") {
    auto v = validated_nats(base + ", subjects: [a], token: hunter2, user: u, password: x}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("one of token") && !Catch::Contains("hunter2"));
  }
  SECTION("an NKey without its seed file") {
    auto v = validated_nats(base + ", subjects: [a], nkey: UABC}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("nkey_seed_file"));
  }
  SECTION("a seed file that does not exist") {
    auto v = validated_nats(base + ", subjects: [a], nkey: UABC, nkey_seed_file: /no/such/file.nk}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("no such file: /no/such/file.nk"));
  }
  SECTION("a valid entry gets its defaults") {
    auto v = validated_nats(base + ", stream: ALERTS}");
    REQUIRE(v);
    CHECK(v->strings("servers") == std::vector<std::string>{"nats://localhost:4222"});
    CHECK(v->str("start") == "latest");
    CHECK(v->str("format") == "json");
    CHECK(v->integer("batch_size") == 500);
    CHECK_FALSE(v->boolean("tls"));
  }
}
