#pragma once
// Shared by the db source tests (SQLite here, PostgreSQL and MariaDB in tests/integration): a
// journal, db sources built from a config entry and started on it, a table of alerts of their own.
#include <functional>
#include <thread>
#include <memory>
#include <string>

#include "ingestion/db/db_source.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

namespace chatops::test::dbtest {

struct Fixture {
  ingestion::SourceKind kind = ingestion::db::db_source_kind();
  ingestion::testing::TempDir journal_dir;
  std::unique_ptr<ingestion::Journal> journal = ingestion::testing::open_journal(journal_dir.file("j.db"));
  std::unique_ptr<compliance::Subject> subject;

  // A source named `name` from one `sources:` entry, started.
  std::unique_ptr<compliance::Running> run(const std::string& config_yaml, const std::string& name = "s") {
    subject = std::make_unique<compliance::Subject>(compliance::Subject{.kind = kind, .config_yaml = config_yaml});
    auto r = std::make_unique<compliance::Running>(*subject, *journal, name);
    r->start();
    return r;
  }
};

inline ingestion::SourceState state_of(compliance::Running& r) { return r.runtime.status().state(); }
inline std::string error_of(compliance::Running& r) { return r.runtime.status().snapshot().last_error; }

// A table of alerts (id, level, message) of its own, so that tests sharing a server do not share
// rows. `execute` runs SQL on the server; `id_type` is the engine's auto-increment key.
struct Alerts {
  std::function<void(const std::string&)> execute;
  std::string table;
  int next = 0;
  Alerts(std::function<void(const std::string&)> run_sql, const std::string& id_type) : execute(std::move(run_sql)) {
    static int serial = 0;
    table = "alerts_" + std::to_string(++serial);
    execute("CREATE TABLE " + table + " (id " + id_type + " PRIMARY KEY, level TEXT, message TEXT)");
  }
  void insert(int n) {
    std::string values;
    for (int i = 0; i < n; ++i)
      values += std::string(i ? "," : "") + "('warning', 'alert " + std::to_string(++next) + "')";
    execute("INSERT INTO " + table + " (level, message) VALUES " + values);
  }
  std::string query() const {
    return "SELECT id, level, message FROM " + table + " WHERE id > :last ORDER BY id LIMIT :limit";
  }
};

// One `sources:` entry: the engine's connection keys, the query tracking `id`, quick polls.
inline std::string source_entry(const std::string& connection, const std::string& query, const std::string& extra = "",
                                const std::string& name = "s") {
  return "{name: " + name + ", kind: db, " + connection + ", query: \"" + query +
         "\", tracking_column: id, interval: 50ms, backoff: {initial: 50ms, max: 200ms}" + extra + "}";
}

// The compliance harness on `alerts` through a source with these connection keys.
inline void run_compliance(Alerts& alerts, const std::string& connection) {
  const auto kind = ingestion::db::db_source_kind();
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = source_entry(connection, alerts.query(), ", start: beginning", "compliance"),
      .upstream = {.produce = [&](int n) { alerts.insert(n); }},
      .topic_prefix = "db/",
  };
  compliance::run_compliance(subject);
}

// A source from `config` ends Failed with a configuration error saying `says`; returns its error.
inline std::string fails_with(Fixture& f, const std::string& config, const std::string& says) {
  auto r = f.run(config);
  REQUIRE(compliance::eventually([&] { return state_of(*r) == ingestion::SourceState::Failed; }, std::chrono::seconds(30)));
  CHECK(r->runtime.status().snapshot().error_kind == ingestion::ErrorKind::Configuration);
  CHECK_THAT(error_of(*r), Catch::Contains(says));
  return error_of(*r);
}

// Rows said, the server stopped (the source retries), started again: the rows written since are
// said, and none twice.
inline void reconnects_after_restart(Fixture& f, Alerts& alerts, const std::string& config,
                                     const std::function<void()>& stop_server, const std::function<void()>& start_server) {
  using compliance::eventually;
  using compliance::journaled;
  using namespace std::chrono_literals;
  auto r = f.run(config);
  alerts.insert(3);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 3; }, 30s));
  stop_server();
  REQUIRE(eventually([&] { return state_of(*r) == ingestion::SourceState::Retrying; }, 30s));
  CHECK(r->runtime.status().snapshot().error_kind == ingestion::ErrorKind::Transient);
  start_server();
  alerts.insert(2);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 5; }, 30s));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  CHECK(journaled(*f.journal).size() == 5);
  // The run that journaled them says Running once it has returned, a moment after the commit.
  CHECK(eventually([&] { return state_of(*r) == ingestion::SourceState::Running; }, 30s));
}

}  // namespace chatops::test::dbtest
