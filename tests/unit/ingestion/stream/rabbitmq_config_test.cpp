// `kind: stream, system: rabbitmq` configuration: what start-up refuses, with the key's place.
#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "ingestion/stream/stream_kind.hpp"
#include "tests/unit/ingestion/stream/stream_entry.hpp"

using namespace chatops;
using namespace chatops::ingestion;

TEST_CASE("RabbitMQ configuration errors name the key", "[stream][rabbitmq][config]") {
  const std::string base = "{name: s, kind: stream, system: rabbitmq, queue: q";
  SECTION("a queue is required") {
    auto v = test::validated_stream_entry("{name: s, kind: stream, system: rabbitmq}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("queue"));
  }
  SECTION("routing keys without an exchange to bind to") {
    auto v = test::validated_stream_entry(base + ", declare: {routing_keys: [a.b]}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("test.yml:2:") && Catch::Contains("give exchange"));
  }
  SECTION("a CA file that does not exist") {
    auto v = test::validated_stream_entry(base + ", tls: {ca_file: /no/such/ca.pem}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("no such file: /no/such/ca.pem"));
  }
  SECTION("an exchange type AMQP does not have") {
    auto v = test::validated_stream_entry(base + ", declare: {exchange: e, exchange_type: round-robin}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("exchange_type"));
  }
  SECTION("a complete entry is valid, with defaults") {
    auto v = test::validated_stream_entry(base + ", declare: {exchange: e}}");
    INFO((v ? "" : v.error().message));
    REQUIRE(v);
    CHECK(v->str("vhost") == "/");
    CHECK(v->integer("prefetch") == 1000);
    CHECK(v->map("declare").boolean("queue"));
  }
}
