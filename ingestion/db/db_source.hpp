#pragma once
// `kind: db` sources: a query polled at intervals on SQLite, PostgreSQL or MariaDB. Each run
// reads the rows after the high-water mark (the tracking column's last value said, bound to
// :last), at most max_rows at a time (bound to :limit), and submits them as events (topic
// db/<source>, the row's columns as typed fields) together with the new mark, in one journal
// transaction: a row is said once, across restarts and kill -9. A full page is followed at once
// by the next one.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/node.hpp"
#include "ingestion/db/engine.hpp"
#include "ingestion/db/fields_writer.hpp"
#include "ingestion/runtime/polling.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::db {

struct DbOptions {
  std::string tracking_column;
  std::optional<std::string> key_column, severity_column;
  bool start_now = true;  // start: now — the rows already there are not said
  Cell initial;           // the mark before the first row
  std::int64_t max_rows = 1000;
  std::size_t max_value_size = 64 * 1024;
  std::string template_text;  // "" : one made from the columns
};

class DbSource final : public PollingSource {
 public:
  DbSource(PollOptions poll, DbOptions options, std::unique_ptr<Engine> engine);
  ~DbSource() override;

 private:
  SourceResult<> open() override;
  SourceResult<> poll(std::chrono::steady_clock::time_point deadline) override;
  void interrupt() override;
  void close() override;

  // Where the journal says the source is; nullopt before its first commit.
  SourceResult<std::optional<Cell>> committed_mark();
  // start: now — reads up to the current end without saying anything, then commits the mark.
  SourceResult<bool> skip_existing(Deadline deadline);
  // Reads and says one page after `mark_`; true when a full page suggests more.
  SourceResult<bool> say_page(Deadline deadline);
  IngestionEvent event_of(const Row& row) const;

  const DbOptions o_;
  std::unique_ptr<Engine> engine_;
  // From the prepared query's columns.
  std::size_t tracking_ = 0;
  std::optional<std::size_t> key_, severity_;
  std::string topic_, template_;
  FieldsWriter fields_;
  // The mark committed last (nullopt until known), and how far skip_existing() has read.
  std::optional<Cell> mark_;
  std::optional<Cell> skipped_to_;
  SourceMetrics::Counter queries_, rows_;
};

config::Schema db_source_schema();
// The keys of one engine (sqlite; postgresql and mariadb, with their default port).
config::Schema db_engine_schema(std::string_view engine);
Result<config::Node> validate_db_source(const config::Node& raw);
Result<std::unique_ptr<IngestionSource>> make_db_source(const config::Node& validated);
// The registry entry (source_registry.cpp).
SourceKind db_source_kind();

}  // namespace chatops::ingestion::db
