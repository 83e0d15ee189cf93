// Commits led by the thread that submitted (an event loop: core/after_ready.hpp) and by the writer
// thread: one committer at a time, every batch committed once, what arrives during a commit in the
// next one, and closing while a loop commits.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <asio.hpp>

#include "core/after_ready.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;
using namespace std::chrono_literals;

namespace {

// An event loop on its own thread that takes after_ready work, as an HTTP loop does.
struct LeadTestLoop {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread;
  explicit LeadTestLoop(std::string name = "lead-loop") {
    thread = std::thread([this, name] {
      pthread_setname_np(pthread_self(), name.c_str());
      chatops::after_ready::set_for_this_thread([this](std::function<void()> w) { asio::post(io, std::move(w)); });
      io.run();
    });
  }
  ~LeadTestLoop() {
    work.reset();
    thread.join();
  }
  void post(std::function<void()> f) { asio::post(io, std::move(f)); }
};

std::string lead_test_thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

EventBatch lead_test_batch(const std::string& key) {
  EventBatch batch{"test", {}, std::nullopt};
  batch.events.push_back(make_event("t/" + key, key));
  return batch;
}

// One batch's answer: the result and the thread that committed it.
struct LeadTestAnswer {
  std::promise<std::pair<BatchResult, std::string>> promise;
  std::future<std::pair<BatchResult, std::string>> future = promise.get_future();
  Completion completion() {
    return [this](const BatchResult& r) { promise.set_value({r, lead_test_thread_name()}); };
  }
};

// Holds the database's write lock from another connection: a commit waits (busy timeout) until
// it is released.
struct LeadTestWriteLock {
  SQLite::Database db;
  explicit LeadTestWriteLock(const std::string& path) : db(path, SQLite::OPEN_READWRITE, 30000) {
    db.exec("BEGIN IMMEDIATE");
  }
  void release() { db.exec("COMMIT"); }
};

// Loops lead however long commits take (on a loaded test machine, fsyncs may take milliseconds).
std::unique_ptr<Journal> lead_test_journal(const std::string& path) {
  JournalOptions o;
  o.path = path;
  o.lead_below = std::chrono::hours(1);
  auto j = Journal::open(o);
  if (!j) throw std::runtime_error(j.error().message);
  return std::move(*j);
}

template <class Pred>
void lead_test_wait(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!pred()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(1ms);
  }
}

}  // namespace

TEST_CASE("batches submitted from event loops and plain threads are each committed once", "[journal][lead]") {
  TempDir dir;
  auto journal = lead_test_journal(dir.file("j.db"));
  constexpr int kLoops = 4, kBursts = 20, kPerBurst = 5, kThreads = 2, kPerThread = 100;
  std::mutex m;
  std::map<std::string, int> answers;  // by dedupe key: how many times answered
  std::vector<std::int64_t> ids;
  std::atomic<int> refused{0};
  auto record = [&](const std::string& key) {
    return [&, key](const BatchResult& r) {
      std::lock_guard lock(m);
      ++answers[key];
      if (r.outcomes.front() != Submission::Accepted) ++refused;
      ids.push_back(r.ids.front());
    };
  };
  {
    std::vector<std::unique_ptr<LeadTestLoop>> loops;
    for (int l = 0; l < kLoops; ++l) loops.push_back(std::make_unique<LeadTestLoop>());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const auto key = "thread" + std::to_string(t) + "-" + std::to_string(i);
          record(key)(journal->submit_and_wait(lead_test_batch(key)));
        }
      });
    // Each loop submits bursts, as an HTTP loop does with the requests ready at once.
    for (int b = 0; b < kBursts; ++b)
      for (int l = 0; l < kLoops; ++l)
        loops[l]->post([&, l, b] {
          for (int i = 0; i < kPerBurst; ++i) {
            const auto key = "loop" + std::to_string(l) + "-" + std::to_string(b) + "-" + std::to_string(i);
            journal->submit(lead_test_batch(key), record(key));
          }
        });
    for (auto& t : threads) t.join();
    constexpr std::size_t kTotal = kLoops * kBursts * kPerBurst + kThreads * kPerThread;
    lead_test_wait([&] {
      std::lock_guard lock(m);
      return answers.size() == kTotal;
    });
  }
  std::lock_guard lock(m);
  for (const auto& [key, count] : answers) REQUIRE(count == 1);
  REQUIRE(refused == 0);
  std::sort(ids.begin(), ids.end());
  REQUIRE(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  REQUIRE(journal->backlog().value() == static_cast<std::int64_t>(ids.size()));
  const auto stats = journal->stats();
  REQUIRE(stats.accepted == ids.size());
  REQUIRE(stats.led_commits <= stats.commits);  // which ones the loops led depends on the timing
}

TEST_CASE("a loop that submits commits on its own thread, after the submissions ready with it", "[journal][lead]") {
  TempDir dir;
  auto journal = lead_test_journal(dir.file("j.db"));
  LeadTestLoop loop("http-like-loop");
  std::vector<std::unique_ptr<LeadTestAnswer>> answers;
  for (int i = 0; i < 3; ++i) answers.push_back(std::make_unique<LeadTestAnswer>());
  loop.post([&] {
    for (int i = 0; i < 3; ++i) journal->submit(lead_test_batch("k" + std::to_string(i)), answers[i]->completion());
  });
  for (auto& a : answers) {
    auto [result, thread] = a->future.get();
    REQUIRE(result.committed());
    REQUIRE(thread == "http-like-loop");
  }
  REQUIRE(journal->stats().commits == 1);  // the three shared one commit
  REQUIRE(journal->stats().led_commits == 1);
}

TEST_CASE("a batch submitted while a loop commits is committed in the next commit", "[journal][lead]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = lead_test_journal(path);
  LeadTestLoop loop;
  LeadTestWriteLock write_lock(path);
  LeadTestAnswer led, follower;
  std::atomic<bool> submitted{false};
  loop.post([&] {
    journal->submit(lead_test_batch("led"), led.completion());
    submitted = true;
  });
  // Taken by the loop, which now waits for the lock.
  lead_test_wait([&] { return submitted && journal->stats().queued == 0; });
  journal->submit(lead_test_batch("follower"), follower.completion());
  REQUIRE(journal->stats().queued == 1);  // not in the commit under way
  write_lock.release();
  auto [led_result, led_thread] = led.future.get();
  auto [follower_result, follower_thread] = follower.future.get();
  REQUIRE(led_result.committed());
  REQUIRE(follower_result.committed());
  REQUIRE(led_thread == "lead-loop");
  REQUIRE(follower_thread == "journal-writer");
  REQUIRE(follower_result.ids.front() > led_result.ids.front());
  const auto stats = journal->stats();
  REQUIRE(stats.commits == 2);
  REQUIRE(stats.led_commits == 1);
}

TEST_CASE("closing the journal while a loop commits waits for that commit and answers every batch", "[journal][lead]") {
  TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = lead_test_journal(path);
  LeadTestLoop loop;
  LeadTestWriteLock write_lock(path);
  LeadTestAnswer led, follower;
  std::atomic<bool> submitted{false};
  loop.post([&] {
    journal->submit(lead_test_batch("led"), led.completion());
    submitted = true;
  });
  // Taken by the loop, which now waits for the lock.
  lead_test_wait([&] { return submitted && journal->stats().queued == 0; });
  journal->submit(lead_test_batch("follower"), follower.completion());
  auto closed = std::async(std::launch::async, [&] { journal.reset(); });
  REQUIRE(closed.wait_for(50ms) == std::future_status::timeout);  // waits for the loop's commit
  write_lock.release();
  closed.get();
  REQUIRE(led.future.get().first.committed());
  REQUIRE(follower.future.get().first.committed());
}

TEST_CASE("a commit posted on a loop that stops before running it is made by the writer", "[journal][lead]") {
  TempDir dir;
  auto journal = lead_test_journal(dir.file("j.db"));
  LeadTestAnswer answer;
  {
    asio::io_context never_run;
    chatops::after_ready::set_for_this_thread([&](std::function<void()> w) { asio::post(never_run, std::move(w)); });
    journal->submit(lead_test_batch("dropped"), answer.completion());
    chatops::after_ready::set_for_this_thread(nullptr);
  }  // the posted commit is destroyed unrun
  auto [result, thread] = answer.future.get();
  REQUIRE(result.committed());
  REQUIRE(thread == "journal-writer");
  REQUIRE(journal->stats().led_commits == 0);
}

TEST_CASE("a loop that waits for its own submission is answered by the writer", "[journal][lead]") {
  TempDir dir;
  auto journal = lead_test_journal(dir.file("j.db"));
  LeadTestLoop loop;
  std::promise<Submission> answer;
  loop.post([&] { answer.set_value(journal->submit_one(make_event("waited"))); });
  auto result = answer.get_future();
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  REQUIRE(result.get() == Submission::Accepted);
  REQUIRE(journal->check_writable().has_value());
  std::promise<bool> probed;
  loop.post([&] { probed.set_value(journal->check_writable().has_value()); });
  REQUIRE(probed.get_future().get());
}
