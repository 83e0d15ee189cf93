// `kind: stream, system: kafka` configuration: librdkafka checks the properties at start-up, the
// source's own properties are refused, secrets never appear in messages, defaults.
#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "ingestion/stream/kafka_source.hpp"
#include "ingestion/stream/stream_kind.hpp"
#include "tests/unit/ingestion/stream/stream_entry.hpp"

using namespace chatops;
using namespace chatops::ingestion;

TEST_CASE("Kafka configuration errors name the key and never show a secret", "[stream][kafka][config]") {
  const std::string base = "{name: s, kind: stream, system: kafka, brokers: \"127.0.0.1:9\", topics: [a]";
  SECTION("an unknown librdkafka property") {
    auto v = test::validated_stream_entry(base + ", properties: {no.such.property: 1}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("test.yml:2:") && Catch::Contains("no.such.property"));
  }
  SECTION("a property the source sets itself") {
    auto v = test::validated_stream_entry(base + ", properties: {enable.auto.commit: \"true\"}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("set by the source itself"));
  }
  SECTION("a bad value of a secret property is not repeated") {
    auto v = test::validated_stream_entry(base + ", properties: {ssl.key.password: [hunter2]}}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, !Catch::Contains("hunter2"));
  }
  SECTION("an unknown system") {
    auto v = test::validated_stream_entry("{name: s, kind: stream, system: kinesis}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("unknown system \"kinesis\""));
  }
  SECTION("topics are required") {
    auto v = test::validated_stream_entry("{name: s, kind: stream, system: kafka, brokers: \"127.0.0.1:9\"}");
    REQUIRE_FALSE(v);
    CHECK_THAT(v.error().message, Catch::Contains("topics"));
  }
  SECTION("a valid entry gets its defaults") {
    auto v = test::validated_stream_entry(base + ", properties: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: PLAIN, "
                              "sasl.username: bot, sasl.password: x}}");
    REQUIRE(v);
    CHECK(v->str("start") == "latest");
    CHECK(v->str("format") == "json");
    CHECK(v->integer("batch_size") == 500);
  }
}

TEST_CASE("Kafka: librdkafka properties holding secrets are recognised by name", "[stream][kafka][config]") {
  for (const char* name : {"sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.client.secret",
                           "ssl.key.pem", "sasl.oauthbearer.config"})
    CHECK(stream::secret_property(name));
  for (const char* name : {"sasl.username", "security.protocol", "ssl.ca.location"}) CHECK_FALSE(stream::secret_property(name));
}
