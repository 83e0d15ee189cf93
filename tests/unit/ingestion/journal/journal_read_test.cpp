#include <catch2/catch.hpp>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;
using namespace std::chrono_literals;

namespace {

std::vector<std::int64_t> ids(const std::vector<IngestionEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.id);
  return out;
}

std::int64_t append_id(Journal& j, IngestionEvent e) {
  auto r = append(j, std::move(e));
  REQUIRE(r.result == Submission::Accepted);
  return r.id;
}

}  // namespace

TEST_CASE("the dispatcher flow: pending, sent or digested, done", "[journal]") {
  TempDir dir;
  FakeClock clock;
  auto journal = open_journal(dir.file("j.db"), clock.fn());
  auto e1 = append_id(*journal, make_event("github/push"));
  auto e2 = append_id(*journal, make_event("github/ping"));
  auto e3 = append_id(*journal, make_event("alertmanager/firing"));

  REQUIRE(ids(journal->pending_events(0, 10).value()) == std::vector{e1, e2, e3});
  REQUIRE(ids(journal->pending_events(e1, 1).value()) == std::vector{e2});

  REQUIRE(journal->deliveries(e1).value().empty());  // nothing said yet
  clock.advance(5s);
  REQUIRE(journal->mark_sent(e1, "bind0:#ops", 2));
  REQUIRE(journal->mark_digested(e1, "bind1:#dev"));
  REQUIRE(journal->mark_done(e1));
  REQUIRE(journal->mark_done(e1));  // idempotent
  auto d = journal->deliveries(e1).value();
  REQUIRE(d.size() == 2);
  REQUIRE(d[0].handler_key == "bind0:#ops");
  REQUIRE(d[0].state == DeliveryState::Sent);
  REQUIRE(d[0].lines == 2);
  REQUIRE(d[0].sent_ms == clock.now().time_since_epoch() / 1ms);
  REQUIRE(d[1].state == DeliveryState::Digested);
  REQUIRE(journal->mark_sent(e1, "bind0:#ops", 3));  // marked again: replaced, not added
  REQUIRE(journal->deliveries(e1).value().size() == 2);

  REQUIRE(journal->mark_done(e2));  // no bind matched

  REQUIRE(ids(journal->pending_events(0, 10).value()) == std::vector{e3});
  REQUIRE(journal->backlog().value() == 1);
  REQUIRE(journal->oldest_pending_age().value() == 5s);

  REQUIRE_FALSE(journal->mark_done(999));
  REQUIRE_FALSE(journal->mark_sent(999, "bind0:#ops"));  // no such event
  REQUIRE(journal->check_writable());  // and the failures left no transaction open

  REQUIRE(ids(journal->history(10).value()) == std::vector{e2, e1});
  REQUIRE(ids(journal->history(1).value()) == std::vector{e2});
  REQUIRE(ids(journal->history(10, "GITHUB/pu*").value()) == std::vector{e1});
  REQUIRE(ids(journal->history(10, "github/p?ng").value()) == std::vector{e2});
  REQUIRE(journal->history(10, "github_push").value().empty());  // _ is literal, not LIKE's wildcard
}

TEST_CASE("after a crash, undone events are pending again and sent outputs are not resent", "[journal]") {
  TempDir dir;
  std::int64_t e1 = 0, e2 = 0;
  {
    auto journal = open_journal(dir.file("j.db"));
    e1 = append_id(*journal, make_event("a"));
    e2 = append_id(*journal, make_event("b"));
    REQUIRE(journal->mark_sent(e1, "k1"));
  }  // closed without marking anything done
  auto journal = open_journal(dir.file("j.db"));
  REQUIRE(ids(journal->pending_events(0, 10).value()) == std::vector{e1, e2});
  // The dispatcher replays: the bind table gives the same outputs (k1, k2); k1 was said already.
  auto d = journal->deliveries(e1).value();
  REQUIRE(d.size() == 1);
  REQUIRE(d[0].handler_key == "k1");
  REQUIRE(d[0].state == DeliveryState::Sent);
  REQUIRE(append_id(*journal, make_event("c")) > e2);
}

TEST_CASE("an accepted event survives SIGKILL", "[journal]") {
  TempDir dir;
  auto path = dir.file("j.db");
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch assertions here: the child only reports through its exit.
    JournalOptions o;
    o.path = path;
    auto journal = Journal::open(o);
    if (!journal) _exit(2);
    for (int i = 0; i < 50; ++i)
      if ((*journal)->submit_one(make_event("k", "key-" + std::to_string(i))) != Submission::Accepted) _exit(3);
    if (!(*journal)->mark_sent(1, "k1")) _exit(4);
    kill(getpid(), SIGKILL);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto journal = open_journal(path);
  REQUIRE(journal->pending_events(0, 100).value().size() == 50);
  REQUIRE(journal->deliveries(1).value().at(0).state == DeliveryState::Sent);
  REQUIRE(journal->submit_one(make_event("k", "key-7")) == Submission::Duplicate);  // dedupe survived too
}

TEST_CASE("a batch groups reader writes and rolls back when not committed", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  auto e1 = append_id(*journal, make_event("a"));
  {
    Journal::Batch batch(*journal);
    REQUIRE(journal->mark_sent(e1, "k1"));
    // The writer thread waits for the batch's lock, then commits.
    // (Catch's assertions are not thread-safe: the thread only records its result.)
    Submission during = Submission::Refused;
    std::thread submitter([&] { during = journal->submit_one(make_event("during")); });
    REQUIRE(journal->mark_sent(e1, "k2"));
    REQUIRE(batch.commit());
    submitter.join();
    REQUIRE(during == Submission::Accepted);
  }
  {
    Journal::Batch batch(*journal);
    REQUIRE(journal->mark_sent(e1, "k3"));
  }  // rolled back
  auto d = journal->deliveries(e1).value();
  REQUIRE(d.size() == 2);  // k3's mark was rolled back
  REQUIRE(d[0].state == DeliveryState::Sent);
  REQUIRE(d[1].state == DeliveryState::Sent);
  REQUIRE(journal->backlog().value() == 2);
}

TEST_CASE("prune removes done events after the retention and dedupe keys after the window", "[journal]") {
  TempDir dir;
  FakeClock clock;
  auto journal = open_journal(dir.file("j.db"), clock.fn());
  auto done = append_id(*journal, make_event("a", "key-1"));
  auto pending = append_id(*journal, make_event("b", "key-2"));
  REQUIRE(journal->mark_sent(done, "k"));
  REQUIRE(journal->mark_done(done));

  auto start = clock.now();
  REQUIRE(journal->prune(start + 24h - 1ms).value().events == 0);
  REQUIRE(prune_all_dedupe_keys(*journal, start + 24h - 1ms) == 0);
  REQUIRE(journal->prune(start + 24h + 1ms).value().events == 0);
  REQUIRE(prune_all_dedupe_keys(*journal, start + 24h + 1ms) == 2);
  auto n = journal->prune(start + 7 * 24h + 1ms).value();
  REQUIRE(n.events == 1);
  REQUIRE(journal->history(10).value().empty());
  REQUIRE(journal->deliveries(done).value().empty());  // went with the event
  REQUIRE(ids(journal->pending_events(0, 10).value()) == std::vector{pending});  // never pruned
  REQUIRE(append_id(*journal, make_event("c")) > pending);  // ids never reused
}

TEST_CASE("dedupe keys are pruned a step at a time through a large table, recent and reclaimed keys kept", "[journal]") {
  TempDir dir;
  FakeClock clock;
  const auto path = dir.file("j.db");
  auto journal = open_journal(path, clock.fn());
  constexpr int kKeys = 6000;  // per age, across three sources
  auto submit_keys = [&](const std::string& prefix) {
    for (const std::string source : {"a", "b", "c"}) {
      EventBatch batch{source, {}, std::nullopt};
      for (int i = 0; i < kKeys / 3; ++i) {
        auto e = make_event("t", prefix + std::to_string(i));
        e.source = source;
        batch.events.push_back(std::move(e));
      }
      for (const auto outcome : journal->submit_and_wait(std::move(batch)).outcomes) REQUIRE(outcome == Submission::Accepted);
    }
  };
  const auto start = clock.now();
  submit_keys("old-");
  clock.advance(12h);
  submit_keys("new-");
  clock.advance(12h + 1ms);  // the old keys are past the window now, the new ones not
  auto reclaimed = make_event("t", "old-7");
  reclaimed.source = "b";
  REQUIRE(append(*journal, reclaimed).result == Submission::Accepted);  // its key claimed again

  int steps = 0;
  std::int64_t deleted = 0;
  for (bool finished = false; !finished; ++steps) {
    auto step = journal->prune_dedupe_keys(start + 24h + 1ms, 1000).value();
    deleted += step.deleted;
    finished = step.finished;
    if (steps == 3) {  // a key claimed while the walk goes on, ahead of where it is
      auto late = make_event("t", "zz-late");
      late.source = "c";
      REQUIRE(append(*journal, late).result == Submission::Accepted);
    }
  }
  CHECK(steps == 2 * kKeys / 1000 + 1);  // 1,000 keys a step, then one with the late key alone
  CHECK(deleted == kKeys - 1);
  CHECK(SQLite::Database(path).execAndGet("SELECT count(*) FROM dedupe").getInt() == kKeys + 2);
  CHECK(append(*journal, reclaimed).result == Submission::Duplicate);
  auto recent = make_event("t", "new-1999");
  recent.source = "c";
  CHECK(append(*journal, recent).result == Submission::Duplicate);
  // The next walk starts over from the first key.
  CHECK(prune_all_dedupe_keys(*journal, clock.now() + 24h + 1ms) == kKeys + 2);
}
