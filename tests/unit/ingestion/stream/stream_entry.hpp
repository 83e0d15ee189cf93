#pragma once
// One `sources:` entry of kind stream, validated as start-up does (file "test.yml", the entry on
// line 2), for the systems' configuration tests.
#include <catch2/catch.hpp>

#include <string>

#include "core/config/node.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::test {

inline Result<config::Node> validated_stream_entry(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "test.yml");
  REQUIRE(raw);
  return ingestion::stream::validate_stream_source((*raw)["sources"].items().at(0));
}

}  // namespace chatops::test
