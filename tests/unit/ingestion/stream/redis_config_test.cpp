// `kind: stream, system: redis` configuration: Streams or Pub/Sub, one of them per source.
#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "ingestion/stream/stream_kind.hpp"
#include "tests/unit/ingestion/stream/stream_entry.hpp"

using namespace chatops;
using namespace chatops::ingestion;

TEST_CASE("Redis sources read streams or subscribe to channels and patterns, not both", "[stream][redis][config]") {
  const std::string base = "{name: s, kind: stream, system: redis";
  CHECK(test::validated_stream_entry(base + ", streams: [jobs]}"));
  CHECK(test::validated_stream_entry(base + ", channels: [deploys]}"));
  CHECK(test::validated_stream_entry(base + ", patterns: [\"alerts.*\"], format: text}"));
  auto neither = test::validated_stream_entry(base + "}");
  REQUIRE_FALSE(neither);
  CHECK_THAT(neither.error().message, Catch::Contains("give streams"));
  auto both = test::validated_stream_entry(base + ", streams: [jobs], channels: [deploys]}");
  REQUIRE_FALSE(both);
  CHECK_THAT(both.error().message, Catch::Contains("test.yml:2:") && Catch::Contains("make two sources"));
}
