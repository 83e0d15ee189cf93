#include "ingestion/source_registry.hpp"

#include <algorithm>

#include "ingestion/api/api_source.hpp"
#include "ingestion/db/db_source.hpp"
#include "ingestion/file/file_source.hpp"
#include "ingestion/metric/metric_source.hpp"
#include "ingestion/log/log_source.hpp"
#include "ingestion/stream/stream_kind.hpp"
#include "ingestion/webhook/webhook_source.hpp"

namespace chatops::ingestion {

config::Schema common_source_schema() {
  config::Schema s("source", "Keys every entry of `sources:` has; the rest depends on its kind.");
  s.field("name", config::Kind::String, "Unique name of the source; events carry it, binds can filter on it.")
      .required();
  s.field("kind", config::Kind::String, "What kind of source this is.").required();
  return s;
}

const std::vector<std::string_view>& source_families() {
  static const std::vector<std::string_view> families = {"webhook", "api", "file", "db", "stream", "log", "metric"};
  return families;
}

const std::vector<SourceKind>& source_kinds() {
  // One line per source kind.
  static const std::vector<SourceKind> kinds = {
      webhook::webhook_source_kind(),
      api::api_source_kind(),
      db::db_source_kind(),
      file::file_source_kind(),
      metric::metric_source_kind(),
      log::log_source_kind(),
      stream::stream_source_kind(),
  };
  return kinds;
}

Result<ValidatedSource> validate_source(const config::Node& entry, const std::vector<SourceKind>& kinds) {
  auto common = config::validate(common_source_schema().open(), entry);
  if (!common) return std::unexpected(common.error());
  const auto kind_name = common->str("kind");
  const SourceKind* kind = nullptr;
  for (const auto& k : kinds)
    if (k.name == kind_name) kind = &k;
  if (!kind) {
    std::string known;
    for (const auto& k : kinds) known += (known.empty() ? "" : ", ") + k.name;
    return std::unexpected(entry["kind"].error("unknown source kind '" + kind_name + "' (known: " + known + ")"));
  }
  if (std::ranges::find(source_families(), kind->family) == source_families().end())
    return std::unexpected(entry["kind"].error("source kind '" + kind_name + "' declares the family '" + kind->family +
                                               "', which no bind type takes"));
  auto validated = kind->validate(entry);
  if (!validated) return std::unexpected(validated.error());
  return ValidatedSource{kind, std::move(*validated)};
}

}  // namespace chatops::ingestion
