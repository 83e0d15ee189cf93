// What the log says of a source's events once the journal has answered.
#include <catch2/catch.hpp>

#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "ingestion/runtime/source_runtime.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

namespace {

// The default logger writes "<level> <message>" lines into `text` while it lives.
struct CapturedLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  CapturedLog() {
    auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous); }
};

}  // namespace

TEST_CASE("the log names the source of every accepted event, and of a batch the journal refused", "[runtime][log]") {
  using namespace chatops::ingestion;
  testing::TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = testing::open_journal(path);
  SourceRuntime runtime("deploys", "webhook", *journal, nullptr);
  runtime.open();
  CapturedLog log;

  auto first = runtime.submit_and_wait({testing::make_event("deploy/finished", "d-1"), testing::make_event("deploy/started")});
  REQUIRE(first.committed());
  CHECK(log.text.str() == "info source deploys: accepted deploy/finished as journal id " + std::to_string(first.ids[0]) +
                              ", dedupe key d-1\n"
                              "info source deploys: accepted deploy/started as journal id " +
                              std::to_string(first.ids[1]) + ", dedupe key (none)\n");

  log.text.str("");
  REQUIRE(runtime.submit_and_wait({testing::make_event("deploy/finished", "d-1")}).outcomes[0] == Submission::Duplicate);
  CHECK(log.text.str().empty());  // a repeat is not a new event

  SQLite::Database(path, SQLite::OPEN_READWRITE, 30000)  // waits while the writer holds the lock
      .exec("CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  REQUIRE_FALSE(runtime.submit_and_wait({testing::make_event("deploy/finished", "d-2")}).committed());
  CHECK_THAT(log.text.str(), Catch::Contains("warning source deploys: 1 events refused by the journal: "));
  CHECK_THAT(log.text.str(), Catch::Contains("disk full"));
  runtime.close();
}
