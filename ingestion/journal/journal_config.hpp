#pragma once
// The `storage:` section of config.yml.
#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "ingestion/journal/journal.hpp"

namespace chatops::ingestion {

config::Schema storage_schema();
// `storage` must have been validated against storage_schema().
JournalOptions journal_options(const config::Node& storage);

}  // namespace chatops::ingestion
