#include <catch2/catch.hpp>

#include <random>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

TEST_CASE("a commit larger than the page cache is journaled whole", "[journal]") {
  // 200 events of ~6 KB in one commit: about 1.2 MB of WAL frames (more than the page cache holds,
  // so pages spill to the WAL before the commit).
  TempDir dir;
  std::mt19937 random(7);
  std::vector<std::string> payloads;
  {
    auto journal = open_journal(dir.file("j.db"));
    EventBatch batch{"test", {}, std::nullopt};
    for (int i = 0; i < 200; ++i) {
      auto e = make_event("big", "key-" + std::to_string(i));
      payloads.push_back(barely_compressible_payload(random));
      e.raw = payloads.back();
      batch.events.push_back(std::move(e));
    }
    const auto result = journal->submit_and_wait(std::move(batch));
    REQUIRE(result.committed());
    for (const auto outcome : result.outcomes) REQUIRE(outcome == Submission::Accepted);
  }
  auto journal = open_journal(dir.file("j.db"));  // read back from the file, not from memory
  const auto events = journal->pending_events(0, 500).value();
  REQUIRE(events.size() == 200);
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(payload_text(events[i]) == payloads[i]);
  SQLite::Database db(dir.file("j.db"));
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
}
