// `kind: stream, system: rabbitmq` configuration: what start-up refuses, with the key's place.
#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "ingestion/stream/stream_kind.hpp"

using namespace chatops;
using namespace chatops::ingestion;

namespace {

Result<config::Node> validated_rabbitmq(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "test.yml");
  REQUIRE(raw);
  return stream::validate_stream_source((*raw)["sources"].items().at(0));
}

}  // namespace

TEST_CASE("RabbitMQ configuration errors name the key", "[stream][rabbitmq][config]") {
  const std::string base = "{name: s, kind: stream, system: rabbitmq, queue: q";
  SECTION("a queue is required") {
    auto v = validated_rabbitmq("{name: s, kind: stream, system: rabbitmq}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("queue"));
  }
  SECTION("routing keys without an exchange to bind to") {
    auto v = validated_rabbitmq(base + ", declare: {routing_keys: [a.b]}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("test.yml:2:") && Catch::Contains("give exchange"));
  }
  SECTION("a CA file that does not exist") {
    auto v = validated_rabbitmq(base + ", tls: {ca_file: /no/such/ca.pem}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("no such file: /no/such/ca.pem"));
  }
  SECTION("an exchange type AMQP does not have") {
    auto v = validated_rabbitmq(base + ", declare: {exchange: e, exchange_type: round-robin}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("exchange_type"));
  }
  SECTION("a complete entry is valid, with defaults") {
    auto v = validated_rabbitmq(base + ", declare: {exchange: e}}");
    INFO((v ? "" : v.error().message));
    REQUIRE(v);
    CHECK(v->str("vhost") == "/");
    CHECK(v->integer("prefetch") == 1000);
    CHECK(v->map("declare").boolean("queue"));
  }
}
