#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

template <class Pred>
void wait_until(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!pred()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST_CASE("concurrent submissions are all accepted with unique increasing ids", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  std::atomic<std::int64_t> notified{0};
  journal->set_on_new_events([&](std::int64_t max_id) { notified = std::max(notified.load(), max_id); });

  constexpr int kThreads = 8, kPerThread = 100;
  std::vector<std::vector<Receipt>> receipts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) receipts[t].push_back(append(*journal, make_event("t/" + std::to_string(t))));
    });
  for (auto& t : threads) t.join();

  std::vector<std::int64_t> ids;
  for (const auto& per_thread : receipts) {
    for (std::size_t i = 0; i < per_thread.size(); ++i) {
      REQUIRE(per_thread[i].result == Submission::Accepted);
      if (i > 0) REQUIRE(per_thread[i].id > per_thread[i - 1].id);  // one submitter's order is kept
      ids.push_back(per_thread[i].id);
    }
  }
  std::sort(ids.begin(), ids.end());
  REQUIRE(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  wait_until([&] { return notified == ids.back(); });  // called after the submitters are answered

  auto stats = journal->stats();
  REQUIRE(stats.accepted == kThreads * kPerThread);
  REQUIRE(stats.commits < static_cast<std::uint64_t>(kThreads * kPerThread));
  REQUIRE(journal->backlog().value() == kThreads * kPerThread);
  auto pending = journal->pending_events(0, 10000).value();
  REQUIRE(pending.size() == ids.size());
  REQUIRE(pending.front().id == ids.front());
}

TEST_CASE("submissions waiting together are committed together, at most batch_max at a time", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"), std::chrono::system_clock::now, 10);
  WriterHold hold(*journal);

  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 35; ++t)
    threads.emplace_back([&] { accepted += journal->submit_one(make_event("piled")) == Submission::Accepted; });
  wait_until([&] { return journal->stats().queued == 35; });
  hold.release();
  for (auto& t : threads) t.join();

  REQUIRE(accepted == 35);
  REQUIRE(journal->stats().commits == 1 + 4);  // 35 in batches of 10, 10, 10, 5
}

TEST_CASE("a dedupe key seen within the window makes a duplicate", "[journal]") {
  TempDir dir;
  FakeClock clock;
  auto journal = open_journal(dir.file("j.db"), clock.fn());

  REQUIRE(journal->submit_one(make_event("a", "key-1")) == Submission::Accepted);
  REQUIRE(journal->submit_one(make_event("a", "key-1")) == Submission::Duplicate);
  REQUIRE(journal->submit_one(make_event("a", "key-2")) == Submission::Accepted);
  REQUIRE(journal->submit_one(make_event("a")) == Submission::Accepted);  // no key: never a duplicate
  REQUIRE(journal->submit_one(make_event("a")) == Submission::Accepted);

  clock.advance(std::chrono::hours(23));
  REQUIRE(journal->submit_one(make_event("a", "key-1")) == Submission::Duplicate);
  clock.advance(std::chrono::hours(1));  // the window (24h) has passed since key-1 was first seen
  REQUIRE(journal->submit_one(make_event("a", "key-1")) == Submission::Accepted);
  REQUIRE(journal->submit_one(make_event("a", "key-1")) == Submission::Duplicate);

  auto stats = journal->stats();
  REQUIRE(stats.accepted == 5);
  REQUIRE(stats.duplicates == 3);
  REQUIRE(journal->backlog().value() == 5);  // duplicates are not stored
}

TEST_CASE("in a batch with duplicates and events without a key, each key names its own event", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  REQUIRE(append(*journal, make_event("a", "old")).result == Submission::Accepted);
  EventBatch batch{"test", {}, std::nullopt};
  for (const std::string key : {"k1", "", "old", "k2", "k1", "", "k3"}) batch.events.push_back(make_event("a", key));
  const auto r = journal->submit_and_wait(std::move(batch));
  using enum Submission;
  REQUIRE(r.outcomes == std::vector{Accepted, Accepted, Duplicate, Accepted, Duplicate, Accepted, Accepted});
  const std::vector<std::int64_t> accepted{r.ids[0], r.ids[1], r.ids[3], r.ids[5], r.ids[6]};
  CHECK(accepted == std::vector<std::int64_t>{2, 3, 4, 5, 6});
  CHECK(journal->find_event("test", "k1").value()->first == r.ids[0]);
  CHECK(journal->find_event("test", "k2").value()->first == r.ids[3]);
  CHECK(journal->find_event("test", "k3").value()->first == r.ids[6]);
  CHECK(journal->find_event("test", "old").value()->first == 1);
  const auto events = journal->pending_events(0, 10).value();
  std::vector<std::int64_t> pending;
  for (const auto& e : events) pending.push_back(e.id);
  CHECK(pending == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("a batch of many statements' rows: each key once, within and across statements and batches", "[journal]") {
  TempDir dir;
  FakeClock clock;
  auto journal = open_journal(dir.file("j.db"), clock.fn());
  REQUIRE(append(*journal, make_event("a", "k-5")).result == Submission::Accepted);  // id 1
  REQUIRE(append(*journal, make_event("a", "stale")).result == Submission::Accepted);  // id 2
  clock.advance(std::chrono::hours(25));  // "stale" is past its window, k-5 is seen again below
  REQUIRE(append(*journal, make_event("a", "k-5")).result == Submission::Accepted);  // id 3
  // 75 events (rows are written 32 at a time): k-0 … k-69, then again k-3 (in the first 32 rows,
  // as k-3 itself), k-40 (in another 32 than its first), k-5 (an earlier batch's), "stale" (seen
  // only before the window: taken over) and one without a key.
  EventBatch batch{"test", {}, std::nullopt};
  for (int i = 0; i < 70; ++i) batch.events.push_back(make_event("a", "k-" + std::to_string(i)));
  batch.events.insert(batch.events.begin() + 10, make_event("a", "k-3"));
  for (const std::string key : {"k-40", "k-5", "stale", ""}) batch.events.push_back(make_event("a", key));
  const auto r = journal->submit_and_wait(std::move(batch));
  REQUIRE(r.outcomes.size() == 75);
  std::vector<std::size_t> duplicates;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < r.outcomes.size(); ++i) {
    if (r.outcomes[i] == Submission::Duplicate) {
      duplicates.push_back(i);
      CHECK(r.ids[i] == 0);
    } else {
      ids.push_back(r.ids[i]);
    }
  }
  // k-5 (the batch's first, position 5: an earlier batch's key), the second k-3 (position 10),
  // k-40 (position 71), k-5 again (72).
  CHECK(duplicates == std::vector<std::size_t>{5, 10, 71, 72});
  std::vector<std::int64_t> consecutive(ids.size());
  std::iota(consecutive.begin(), consecutive.end(), 4);
  CHECK(ids == consecutive);  // no id skipped for a duplicate
  CHECK(journal->find_event("test", "stale").value()->first == ids[ids.size() - 2]);
  CHECK(journal->find_event("test", "k-40").value()->first == r.ids[41]);
  CHECK(journal->find_event("test", "k-69").value()->first == r.ids[70]);
  CHECK(journal->backlog().value() == 3 + static_cast<std::int64_t>(ids.size()));
  // And each of them is a duplicate in a later batch.
  EventBatch again{"test", {}, std::nullopt};
  for (int i = 0; i < 70; i += 7) again.events.push_back(make_event("a", "k-" + std::to_string(i)));
  for (const auto outcome : journal->submit_and_wait(std::move(again)).outcomes) CHECK(outcome == Submission::Duplicate);
}

TEST_CASE("ids never go back, even once the newest events are pruned and the journal reopened", "[journal]") {
  TempDir dir;
  FakeClock clock;
  std::int64_t last = 0;
  {
    auto journal = open_journal(dir.file("j.db"), clock.fn());
    for (int i = 0; i < 3; ++i) last = append(*journal, make_event("a", "key-" + std::to_string(i))).id;
    for (std::int64_t id = 1; id <= last; ++id) REQUIRE(journal->mark_done(id));
    REQUIRE(journal->prune(clock.now() + std::chrono::days(8)).value().events == 3);
    REQUIRE(prune_all_dedupe_keys(*journal, clock.now() + std::chrono::days(8)) == 3);
    CHECK(append(*journal, make_event("a", "key-0")).id == last + 1);  // its key was pruned too
  }
  auto reopened = open_journal(dir.file("j.db"), clock.fn());
  CHECK(append(*reopened, make_event("a", "key-9")).id == last + 2);
}

TEST_CASE("a dedupe key names the event that claimed it, until another takes it over after the window", "[journal]") {
  TempDir dir;
  FakeClock clock;
  auto journal = open_journal(dir.file("j.db"), clock.fn());

  const auto first = append(*journal, make_event("a", "key-1"));
  REQUIRE(first.result == Submission::Accepted);
  append(*journal, make_event("a", "key-2"));
  REQUIRE(append(*journal, make_event("a", "key-1")).result == Submission::Duplicate);
  auto found = journal->find_event("test", "key-1").value();
  REQUIRE(found);
  CHECK(found->first == first.id);
  CHECK_FALSE(found->second);  // not done yet
  CHECK_FALSE(journal->find_event("other", "key-1").value());  // keys belong to their source
  CHECK_FALSE(journal->find_event("test", "key-3").value());

  REQUIRE(journal->mark_done(first.id));
  CHECK(journal->find_event("test", "key-1").value()->second);

  clock.advance(std::chrono::hours(25));  // past the window: a new event takes the key over
  const auto second = append(*journal, make_event("a", "key-1"));
  REQUIRE(second.result == Submission::Accepted);
  found = journal->find_event("test", "key-1").value();
  REQUIRE(found);
  CHECK(found->first == second.id);
  CHECK_FALSE(found->second);

  // Handing pending events back frees their keys (and only theirs): a repeat is accepted again.
  REQUIRE(journal->hand_back_pending("test").value() == 2);  // key-2's and the second key-1's
  CHECK(append(*journal, make_event("a", "key-1")).result == Submission::Accepted);
  CHECK(append(*journal, make_event("a", "key-2")).result == Submission::Accepted);
}

TEST_CASE("concurrent submissions of one key give one Accepted", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  WriterHold hold(*journal);

  std::vector<std::thread> threads;
  std::atomic<int> accepted{0}, duplicate{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      auto r = journal->submit_one(make_event("same", "delivery-42"));
      (r == Submission::Accepted ? accepted : duplicate)++;
    });
  wait_until([&] { return journal->stats().queued == 8; });  // all in the same next batch
  hold.release();
  for (auto& t : threads) t.join();
  REQUIRE(accepted == 1);
  REQUIRE(duplicate == 7);

  // Without the gate: spread over several batches, still one.
  threads.clear();
  accepted = duplicate = 0;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i)
        (journal->submit_one(make_event("same", "key-" + std::to_string(i))) == Submission::Accepted ? accepted
                                                                                                  : duplicate)++;
    });
  for (auto& t : threads) t.join();
  REQUIRE(accepted == 20);
  REQUIRE(duplicate == 7 * 20);
}

TEST_CASE("events round-trip through the journal, untrusted bytes included", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  auto e = make_event("github/push", "gh-1");
  e.severity = Severity::Warning;
  e.fields = {{"repo", "octo/hello"}, {"bad", std::string("\xff\xfe", 2)}};
  e.raw = R"({"x": 1})";
  e.default_template = "[{{repo}}] push";
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  auto receipt = append(*journal, e);
  REQUIRE(receipt.result == Submission::Accepted);

  auto got = journal->pending_events(0, 10).value();
  REQUIRE(got.size() == 1);
  REQUIRE(got[0].id == receipt.id);
  REQUIRE(got[0].source == "test");
  REQUIRE(got[0].family == "webhook");
  REQUIRE(got[0].topic == "github/push");
  REQUIRE(got[0].severity == Severity::Warning);
  REQUIRE(got[0].dedupe_key == "gh-1");
  REQUIRE(got[0].time == e.time);
  REQUIRE(got[0].default_template == "[{{repo}}] push");
  REQUIRE(got[0].fields["repo"] == "octo/hello");
  REQUIRE(payload_text(got[0]) == R"({"x": 1})");  // the payload's text, as received
  REQUIRE_FALSE(got[0].fields.contains("raw"));  // parsed only by the binds that read it
  REQUIRE(got[0].fields["bad"] == "\xEF\xBF\xBD\xEF\xBF\xBD");  // replaced, not rejected
}

TEST_CASE("check_writable goes through the writer", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  REQUIRE(journal->check_writable().has_value());
  REQUIRE(journal->stats().commits == 0);  // a probe is not a commit of events
}

TEST_CASE("submitters sending again as soon as they are answered are each committed once, commits gathering them",
          "[journal]") {
  // As HTTP clients do: each waits for its answer, then sends the next. Every key is sent by every
  // submitter, so a commit that gathers them one after another must still accept each key once.
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  constexpr int kSubmitters = 4, kKeys = 150;
  std::atomic<int> accepted{0}, duplicate{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSubmitters; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kKeys; ++i) {
        const auto r = journal->submit_one(make_event("wave", "key-" + std::to_string(i)));
        (r == Submission::Accepted ? accepted : duplicate)++;
      }
    });
  for (auto& t : threads) t.join();

  REQUIRE(accepted == kKeys);
  REQUIRE(duplicate == (kSubmitters - 1) * kKeys);
  auto pending = journal->pending_events(0, 10000).value();
  REQUIRE(pending.size() == kKeys);
  std::vector<std::string> keys;
  for (const auto& e : pending) keys.push_back(e.dedupe_key);
  std::sort(keys.begin(), keys.end());
  REQUIRE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  REQUIRE(journal->stats().commits < static_cast<std::uint64_t>(kSubmitters * kKeys));  // some gathered
}
