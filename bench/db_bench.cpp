// The PostgreSQL poller (`kind: db`) reading N new rows, against psql copying the same rows out,
// in the same run. A real PostgreSQL (tests/integration/support/postgresql) holds a table of N rows
// (id, level, message, created timestamptz). Each repetition, interleaved so that a noisy moment
// hits every variant alike, times:
//   - baseline: `psql -c "COPY (query) TO STDOUT"` into a file (the server's own psql, not
//     Debian's Perl wrapper), from exec to exit;
//   - the poller into a sink that takes every batch at once: a db source with start: beginning,
//     from start() until the sink holds the last row's mark (connect, query page after page, type
//     the values, build the events): the poller's own cost;
//   - the engine alone (fetching and typing every page): what of it is reading;
//   - the poller into a real journal (synchronous=full, a fresh file): end to end.
// Target (issue 11): the poller ≥ 0.5 × psql's rate.
//
//   db_bench [--smoke] [--rows N] [--repeat R] [--max-rows M]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/config/node.hpp"
#include "ingestion/db/db_source.hpp"
#include "bench/instant_store.hpp"
#include "bench/measure.hpp"
#include "bench/options.hpp"
#include "bench/source_run.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "tests/integration/support/postgresql.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;
using bench::Clock;
using bench::RunningSource;
using bench::median;
using bench::seconds_since;

namespace {

struct Options {
  bool smoke = false;
  long rows = 100'000;
  int repeat = 5;
  std::vector<long> max_rows = {1000, 10000};
};

const std::string kQuery = "SELECT id, level, message, created FROM alerts WHERE id > :last ORDER BY id LIMIT :limit";

double psql_copy(const Postgresql& pg, const TempDir& dir, long rows) {
  const std::string copy =
      "COPY (SELECT id, level, message, created FROM alerts WHERE id > 0 ORDER BY id LIMIT " + std::to_string(rows) +
      ") TO STDOUT";
  const auto begun = Clock::now();
  Process psql(ProcessOptions{.argv = {(pg.bin_dir() / "psql").string(), "-X", "-q", "-h", "127.0.0.1", "-p",
                                       std::to_string(pg.port()), "-U",
                                       Postgresql::user, "-d", Postgresql::database, "-c", copy},
                              .env = {{"PGPASSWORD", Postgresql::password}},
                              .log_dir = dir.path(),
                              .name = "psql",
                              .cwd = {},
                              .run_as = {}});
  if (!psql.wait_exit(120s) || describe_status(psql.wait_status()) != "exited 0")
    throw std::runtime_error("psql failed: " + psql.output());
  return seconds_since(begun);
}

config::Node source_config(const Postgresql& pg, long max_rows) {
  const std::string yaml = "sources:\n  - {name: bench, kind: db, engine: postgresql, host: 127.0.0.1, port: " +
                           std::to_string(pg.port()) + ", user: " + Postgresql::user + ", password: " +
                           Postgresql::password + ", database: " + Postgresql::database + ", query: \"" + kQuery +
                           "\", tracking_column: id, start: beginning, interval: 1h, timeout: 10m, max_rows: " +
                           std::to_string(max_rows) + "}\n";
  auto raw = config::load_string(yaml, "bench.yml");
  if (!raw) throw std::runtime_error(raw.error().message);
  auto validated = ingestion::validate_source((*raw)["sources"].items().at(0));
  if (!validated) throw std::runtime_error(validated.error().message);
  return validated->node;
}

// From start() until the store holds the last row's mark.
double poll_into(ingestion::SourceStore& store, const Postgresql& pg, long rows, long max_rows) {
  ingestion::SourceServices services;
  auto source = ingestion::db::db_source_kind().make(source_config(pg, max_rows), services);
  if (!source) throw std::runtime_error(source.error().message);
  const std::string done = "integer:" + std::to_string(rows);
  const auto begun = Clock::now();
  RunningSource running(std::move(*source), store, "db");
  running.wait_until([&] { return store.cursor("bench").value().value_or("") == done; }, begun, 600s);
  return seconds_since(begun);
}

double journaled(const Postgresql& pg, const TempDir& dir, long rows, long max_rows) {
  const auto path = dir.path() / ("journal-" + std::to_string(Clock::now().time_since_epoch().count()) + ".db");
  ingestion::JournalOptions jo;
  jo.path = path.string();
  auto journal = ingestion::Journal::open(jo);
  if (!journal) throw std::runtime_error(journal.error().message);
  const double took = poll_into(**journal, pg, rows, max_rows);
  journal->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  return took;
}

// The engine alone: every page fetched and typed, nothing else.
double reading(const Postgresql& pg, long max_rows) {
  ingestion::db::ConnectOptions c;
  c.query = kQuery;
  c.statement_timeout = 10min;
  c.host = "127.0.0.1";
  c.port = pg.port();
  c.user = Postgresql::user;
  c.password = Postgresql::password;
  c.database = Postgresql::database;
  auto engine = ingestion::db::make_engine("postgresql", c);
  if (!engine) throw std::runtime_error(engine.error().message);
  const auto begun = Clock::now();
  const auto deadline = begun + 10min;
  if (!(*engine)->open(deadline)) throw std::runtime_error("cannot open");
  ingestion::db::Cell last{ingestion::db::Type::Integer, "0"};
  for (;;) {
    auto rows = (*engine)->fetch(last, max_rows, deadline);
    if (!rows) throw std::runtime_error(rows.error().message);
    if (rows->empty()) break;
    last = rows->back().front();
    if (static_cast<long>(rows->size()) < max_rows) break;
  }
  return seconds_since(begun);
}

// nullopt when the arguments are not understood (said on stderr).
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  chatops::bench::CommandLine options("db_bench");
  options.flag("--smoke", o.smoke)
      .value("--rows", o.rows, "N")
      .value("--repeat", o.repeat, "R")
      .value("--max-rows", o.max_rows, "M[,M...]");
  if (!options.parse(argc, argv)) return std::nullopt;
  if (o.smoke) {
    o.rows = 2000;
    o.repeat = 1;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const auto parsed = parse(argc, argv);
  if (!parsed) return 2;
  const Options& o = *parsed;
  spdlog::set_level(spdlog::level::warn);
  Postgresql pg;
  TempDir dir("chatops-db-bench");
  pg.execute("CREATE TABLE alerts (id bigserial PRIMARY KEY, level text, message text, created timestamptz);"
             "INSERT INTO alerts (level, message, created) SELECT 'warning', 'disk almost full on host-' || i, "
             "now() + i * interval '1 millisecond' FROM generate_series(1, " +
             std::to_string(o.rows) + ") i");
  pg.execute("VACUUM ANALYZE alerts");
  std::printf("db_bench: %ld rows of (bigint, text, text, timestamptz), %d repetition(s), median\n", o.rows, o.repeat);
  std::vector<double> copy;
  std::vector<std::vector<double>> polled(o.max_rows.size()), instant(o.max_rows.size()), read(o.max_rows.size());
  for (int r = 0; r < o.repeat; ++r) {  // interleaved, so that a noisy moment hits every variant alike
    copy.push_back(psql_copy(pg, dir, o.rows));
    for (std::size_t m = 0; m < o.max_rows.size(); ++m) {
      polled[m].push_back(journaled(pg, dir, o.rows, o.max_rows[m]));
      bench::InstantStore store;
      instant[m].push_back(poll_into(store, pg, o.rows, o.max_rows[m]));
      read[m].push_back(reading(pg, o.max_rows[m]));
    }
  }
  const double baseline = median(copy);
  const double n = static_cast<double>(o.rows);
  std::printf("  %-52s %8.3f s  %10.0f rows/s\n", "baseline: psql COPY (query) TO STDOUT", baseline, n / baseline);
  for (std::size_t m = 0; m < o.max_rows.size(); ++m) {
    const std::string cap = ", max_rows " + std::to_string(o.max_rows[m]);
    auto line = [&](const std::string& label, double t) {
      std::printf("  %-52s %8.3f s  %10.0f rows/s   ratio %.2f\n", label.c_str(), t, n / t, baseline / t);
    };
    line("poller → instant sink" + cap, median(instant[m]));
    line("  of which reading (engine alone)" + cap, median(read[m]));
    line("poller → journal (synchronous=full)" + cap, median(polled[m]));
  }
  std::printf("  target: poller ≥ 0.5 × baseline\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "db_bench: %s\n", e.what());
  return 1;
}
