// `kind: stream, system: redis` configuration: Streams or Pub/Sub, one of them per source.
#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "ingestion/stream/stream_kind.hpp"

using namespace chatops;
using namespace chatops::ingestion;

namespace {

Result<config::Node> validated_redis(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "test.yml");
  REQUIRE(raw);
  return stream::validate_stream_source((*raw)["sources"].items().at(0));
}

}  // namespace

TEST_CASE("Redis sources read streams or subscribe to channels and patterns, not both", "[stream][redis][config]") {
  const std::string base = "{name: s, kind: stream, system: redis";
  CHECK(validated_redis(base + ", streams: [jobs]}"));
  CHECK(validated_redis(base + ", channels: [deploys]}"));
  CHECK(validated_redis(base + ", patterns: [\"alerts.*\"], format: text}"));
  auto neither = validated_redis(base + "}");
  REQUIRE_FALSE(neither);
  CHECK_THAT(neither.error().message, Catch::Contains("give streams"));
  auto both = validated_redis(base + ", streams: [jobs], channels: [deploys]}");
  REQUIRE_FALSE(both);
  CHECK_THAT(both.error().message, Catch::Contains("test.yml:2:") && Catch::Contains("make two sources"));
}
