#pragma once
// kind → how to validate and build a source of that kind. Adding a source kind touches its own
// folder and one line in source_registry.cpp.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/node.hpp"
#include "core/metrics.hpp"
#include "ingestion/source.hpp"

namespace chatops::http {
class Server;
}

namespace chatops::ingestion {

// Shared services a source may need, owned by the application.
struct SourceServices {
  http::Server* http = nullptr;  // the listener (webhooks); null when not serving HTTP
};

// The source families: the ingestion bind types an event goes to.
const std::vector<std::string_view>& source_families();

struct SourceKind {
  std::string name;    // the `kind:` value
  std::string family;  // one of source_families(): what its events are, for the bind table
  std::string doc;
  // Checks one `sources:` entry (common keys and the kind's own) and returns it with defaults.
  std::function<Result<config::Node>(const config::Node& raw)> validate;
  std::function<Result<std::unique_ptr<IngestionSource>>(const config::Node& validated, SourceServices&)> make;
  // The schemas behind validate, for the configuration reference.
  std::function<std::vector<config::Schema>()> schemas;
};

const std::vector<SourceKind>& source_kinds();

// The keys every source has.
config::Schema common_source_schema();

struct ValidatedSource {
  const SourceKind* kind;
  config::Node node;  // validated against the kind's keys, defaults filled in
};
// Checks one `sources:` entry: the common keys, a known kind, then the kind's own keys.
Result<ValidatedSource> validate_source(const config::Node& entry,
                                       const std::vector<SourceKind>& kinds = source_kinds());

}  // namespace chatops::ingestion
