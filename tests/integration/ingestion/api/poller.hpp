// Shared by the API poller's integration tests: one `kind: api` source, built from YAML as the bot
// builds it, on a real journal in a temp dir, polling the test's own API.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ingestion/api/api_source.hpp"
#include "tests/integration/support/test_api.hpp"
#include "tests/unit/ingestion/runtime/source_under_test.hpp"

namespace chatops::test {

inline const ingestion::SourceKind& api_kind() {
  static const auto kind = ingestion::api::api_source_kind();
  return kind;
}

class Poller : public SourceUnderTest {
 public:
  // `entry` is the source's YAML flow map without its braces' name and kind.
  explicit Poller(std::string entry, std::string name = "apisrc")
      : SourceUnderTest(api_kind(), "api", std::move(entry), std::move(name), std::chrono::seconds(30)) {}
};

// The names ("item <n>") of events, in journal order.
inline std::vector<std::string> names(const std::vector<ingestion::IngestionEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.fields.value("name", ""));
  return out;
}

}  // namespace chatops::test
