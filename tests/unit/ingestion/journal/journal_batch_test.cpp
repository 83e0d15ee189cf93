// Batches with cursors, dedupe scoped by source, asynchronous completions, component state.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <pthread.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace {

EventBatch batch_of(std::string source, std::vector<std::string> dedupe_keys, std::optional<std::string> cursor) {
  EventBatch batch{source, {}, std::move(cursor)};
  for (auto& key : dedupe_keys) {
    auto e = make_event("t/" + key, key);
    e.source = source;
    batch.events.push_back(std::move(e));
  }
  return batch;
}

// Makes every insert of an event with this topic fail inside the writer's transaction, as a full
// disk or an I/O error would.
void poison_topic(const std::string& path, const std::string& topic) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE, 30000);  // waits while the writer holds the lock
  db.exec("CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.topic = '" + topic +
          "' BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END");
}

}  // namespace

TEST_CASE("a dedupe key only makes duplicates of its own source's events", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  auto first = journal->submit_and_wait(batch_of("alerts", {"k-42"}, std::nullopt));
  REQUIRE(first.outcomes == std::vector{Submission::Accepted});
  // Another source using the same key (e.g. an unauthenticated generic source) cannot silence it.
  REQUIRE(journal->submit_and_wait(batch_of("generic", {"k-42"}, std::nullopt)).outcomes ==
          std::vector{Submission::Accepted});
  REQUIRE(journal->submit_and_wait(batch_of("alerts", {"k-42"}, std::nullopt)).outcomes ==
          std::vector{Submission::Duplicate});
  // Within one batch the second occurrence is the duplicate.
  auto mixed = journal->submit_and_wait(batch_of("deploys", {"a", "b", "a"}, std::nullopt));
  REQUIRE(mixed.outcomes == std::vector{Submission::Accepted, Submission::Accepted, Submission::Duplicate});
  REQUIRE(mixed.ids[0] > 0);
  REQUIRE(mixed.ids[1] > mixed.ids[0]);
  REQUIRE(mixed.ids[2] == 0);
}

TEST_CASE("a batch's cursor is saved with its events and only with them", "[journal]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  REQUIRE(journal->cursor("poller").value() == std::nullopt);

  auto committed = journal->submit_and_wait(batch_of("poller", {"row-1", "row-2"}, "42"));
  REQUIRE(committed.committed());
  REQUIRE(journal->cursor("poller").value() == "42");

  // A cursor may move without events (nothing new upstream, or all duplicates).
  REQUIRE(journal->submit_and_wait(batch_of("poller", {}, "43")).committed());
  REQUIRE(journal->cursor("poller").value() == "43");
  REQUIRE(journal->submit_and_wait(batch_of("poller", {"row-1"}, "44")).outcomes == std::vector{Submission::Duplicate});
  REQUIRE(journal->cursor("poller").value() == "44");

  // A batch the journal cannot store moves nothing: neither events nor the cursor.
  poison_topic(path, "t/row-9");
  const auto backlog = journal->backlog().value();
  auto refused = journal->submit_and_wait(batch_of("poller", {"row-8", "row-9"}, "45"));
  REQUIRE_FALSE(refused.committed());
  REQUIRE(refused.outcomes == std::vector{Submission::Refused, Submission::Refused});
  REQUIRE_THAT(refused.error, Catch::Contains("poisoned by the test"));
  REQUIRE(journal->cursor("poller").value() == "44");
  REQUIRE(journal->backlog().value() == backlog);
  REQUIRE(journal->stats().failed == 2);

  // And the cursor survives a restart.
  journal.reset();
  journal = open_journal(path);
  REQUIRE(journal->cursor("poller").value() == "44");
  REQUIRE(journal->cursor("other").value() == std::nullopt);
}

TEST_CASE("a batch's state changes are saved with its events and only with them", "[journal]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  auto batch = batch_of("poller", {"item-1"}, std::nullopt);
  batch.state = {{"item-1", "hash-a"}, {"item-2", "hash-b"}};
  REQUIRE(journal->submit_and_wait(std::move(batch)).committed());
  const auto scope = source_state_scope("poller");
  REQUIRE(journal->list_state(scope).value() ==
          std::vector<std::pair<std::string, std::string>>{{"item-1", "hash-a"}, {"item-2", "hash-b"}});
  auto change = batch_of("poller", {}, std::nullopt);
  change.state = {{"item-1", "hash-c"}, {"item-2", std::nullopt}};  // changed, and gone
  REQUIRE(journal->submit_and_wait(std::move(change)).committed());
  REQUIRE(journal->list_state(scope).value() == std::vector<std::pair<std::string, std::string>>{{"item-1", "hash-c"}});

  poison_topic(path, "t/item-9");
  auto refused = batch_of("poller", {"item-9"}, std::nullopt);
  refused.state = {{"item-9", "hash-z"}, {"item-1", std::nullopt}};
  REQUIRE_FALSE(journal->submit_and_wait(std::move(refused)).committed());
  REQUIRE(journal->list_state(scope).value() == std::vector<std::pair<std::string, std::string>>{{"item-1", "hash-c"}});
}

TEST_CASE("submit returns before the commit, the completion runs on the syncer after it", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  WriterHold hold(*journal);

  std::promise<std::pair<BatchResult, std::string>> answered;
  auto answer = answered.get_future();
  journal->submit(batch_of("test", {"x"}, std::nullopt), [&](const BatchResult& r) {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    answered.set_value({r, name});
  });
  // Returned at once, although the writer cannot commit yet.
  REQUIRE(answer.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  REQUIRE(journal->stats().queued == 1);
  hold.release();
  auto [result, thread] = answer.get();
  REQUIRE(result.outcomes == std::vector{Submission::Accepted});
  REQUIRE(thread == "journal-sync");  // answered once synced
}

TEST_CASE("closing the journal answers every batch already submitted", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  WriterHold hold(*journal);

  std::atomic<int> accepted{0}, answered{0};
  for (int i = 0; i < 20; ++i)
    journal->submit(batch_of("test", {"k" + std::to_string(i)}, std::nullopt), [&](const BatchResult& r) {
      accepted += static_cast<int>(r.count(Submission::Accepted));
      ++answered;
    });
  std::thread closer([&] { journal.reset(); });
  hold.release();
  closer.join();
  REQUIRE(answered == 20);
  REQUIRE(accepted == 20);
}

TEST_CASE("an event that cannot be said is ended with its reason", "[journal]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  auto bad = append(*journal, make_event("bad"));
  auto good = append(*journal, make_event("good"));
  REQUIRE(journal->mark_failed(bad.id, "template: boom").has_value());
  auto pending = journal->pending_events(0, 10).value();
  REQUIRE(pending.size() == 1);
  REQUIRE(pending[0].id == good.id);
  SQLite::Database db(path);
  SQLite::Statement q(db, "SELECT failed_reason, done_ms IS NOT NULL FROM events WHERE id = ?");
  q.bind(1, bad.id);
  REQUIRE(q.executeStep());
  REQUIRE(q.getColumn(0).getString() == "template: boom");
  REQUIRE(q.getColumn(1).getInt() == 1);
}

TEST_CASE("component state is kept by scope and key, and expires", "[journal]") {
  TempDir dir;
  FakeClock clock;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path, clock.fn());
  REQUIRE(journal->get_state("sts", "irc.example.org").value() == std::nullopt);
  REQUIRE(journal->put_state("sts", "irc.example.org", "port=6697", clock.now() + std::chrono::hours(1)).has_value());
  REQUIRE(journal->put_state("sts", "irc.other.net", "port=6697").has_value());
  REQUIRE(journal->put_state("api/releases", "irc.example.org", "seen").has_value());  // another scope
  REQUIRE(journal->get_state("sts", "irc.example.org").value() == "port=6697");
  REQUIRE(journal->list_state("sts").value() ==
          std::vector<std::pair<std::string, std::string>>{{"irc.example.org", "port=6697"}, {"irc.other.net", "port=6697"}});

  REQUIRE(journal->put_state("sts", "irc.other.net", "port=7000").has_value());  // replaced
  REQUIRE(journal->get_state("sts", "irc.other.net").value() == "port=7000");
  REQUIRE(journal->delete_state("sts", "irc.other.net").has_value());
  REQUIRE(journal->get_state("sts", "irc.other.net").value() == std::nullopt);

  clock.advance(std::chrono::hours(1));
  REQUIRE(journal->get_state("sts", "irc.example.org").value() == std::nullopt);  // expired
  REQUIRE(journal->list_state("sts").value().empty());
  auto pruned = journal->prune(clock.now()).value();
  REQUIRE(pruned.state == 1);
  journal.reset();
  journal = open_journal(path, clock.fn());
  REQUIRE(journal->get_state("api/releases", "irc.example.org").value() == "seen");  // survives restarts
}

TEST_CASE("a batch after a refused one of its chain is refused unwritten while another chain goes on",
          "[journal]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path);
  poison_topic(path, "t/bad");
  auto chained = [](std::vector<std::string> keys, const std::shared_ptr<BatchChain>& chain) {
    auto batch = batch_of("stream", std::move(keys), std::nullopt);
    batch.chain = chain;
    return batch;
  };
  auto chain = std::make_shared<BatchChain>();
  // Submitted one after the other without waiting, as a stream does: the second may share the
  // first's transaction or come after it; either way it is refused.
  std::promise<BatchResult> first_answer, second_answer;
  journal->submit(chained({"bad"}, chain), [&](const BatchResult& r) { first_answer.set_value(r); });
  journal->submit(chained({"s-1"}, chain), [&](const BatchResult& r) { second_answer.set_value(r); });
  const auto first = first_answer.get_future().get(), second = second_answer.get_future().get();
  REQUIRE_THAT(first.error, Catch::Contains("poisoned by the test"));
  REQUIRE_FALSE(second.committed());
  CHECK(chain->broken);
  // Once refused, the chain's later batches are refused without a transaction.
  const auto commits = journal->stats().commits;
  const auto third = journal->submit_and_wait(chained({"s-2"}, chain));
  REQUIRE_THAT(third.error, Catch::Contains("submitted before this one was refused"));
  CHECK(third.outcomes == std::vector{Submission::Refused});
  CHECK(journal->stats().commits == commits);
  // Another chain (the source's next, after it handed its batches back), or no chain, is not held back.
  auto next_chain = std::make_shared<BatchChain>();
  REQUIRE(journal->submit_and_wait(chained({"s-1", "s-2"}, next_chain)).outcomes ==
          std::vector{Submission::Accepted, Submission::Accepted});
  REQUIRE(journal->submit_and_wait(batch_of("stream", {"s-3"}, std::nullopt)).committed());
  CHECK_FALSE(next_chain->broken);
  CHECK(journal->backlog().value() == 3);
}
