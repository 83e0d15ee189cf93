#pragma once
// Shared by the journal tests: a temporary directory, a settable clock, event construction.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>

#include "ingestion/journal/journal.hpp"

namespace chatops::ingestion::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "chatops-journal-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A clock the test moves by hand; starts at 2026-01-01T00:00:00Z.
class FakeClock {
 public:
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  Journal::Clock fn() {
    return [this] { return now(); };
  }

 private:
  std::atomic<std::int64_t> ms_{1767225600000};
};

inline IngestionEvent make_event(std::string topic, std::string dedupe_key = {}) {
  IngestionEvent e;
  e.source = "test";
  e.family = "webhook";
  e.topic = std::move(topic);
  e.dedupe_key = std::move(dedupe_key);
  e.fields = {{"n", 1}};
  return e;
}

// A JSON string of 8000 random letters: payloads are journaled compressed, and these barely
// compress (6 bits a byte), so each takes ~6 KB of the journal.
inline std::string barely_compressible_payload(std::mt19937& random) {
  std::string text(8000, ' ');
  for (char& c : text) c = static_cast<char>('0' + random() % 64);
  return "\"" + text + "\"";
}

// A whole walk of Journal::prune_dedupe_keys, `max_keys` a step: how many keys it deleted.
inline std::int64_t prune_all_dedupe_keys(Journal& journal, std::chrono::system_clock::time_point now,
                                          std::size_t max_keys = 1000) {
  std::int64_t deleted = 0;
  for (;;) {
    auto step = journal.prune_dedupe_keys(now, max_keys).value();
    deleted += step.deleted;
    if (step.finished) return deleted;
  }
}

// One event submitted and waited for, with the id it was given.
struct Receipt {
  Submission result = Submission::Refused;
  std::int64_t id = 0;
};
inline Receipt append(Journal& journal, IngestionEvent event) {
  EventBatch batch{event.source, {}, std::nullopt};
  batch.events.push_back(std::move(event));
  auto r = journal.submit_and_wait(std::move(batch));
  return {r.outcomes.front(), r.ids.front()};
}

// Holds the journal's writer thread after it has committed one submission (an event of topic
// "hold"), in the journal's on_new_events (which this replaces), until release() or destruction,
// as a slow disk would hold it: submissions pile up meanwhile. Constructed once the writer is held.
class WriterHold {
 public:
  explicit WriterHold(Journal& journal) : state_(std::make_shared<State>()) {
    journal.set_on_new_events([state = state_](std::int64_t) {
      std::unique_lock lock(state->mutex);
      state->entered = true;
      state->changed.notify_all();
      state->changed.wait(lock, [&] { return state->released; });
    });
    EventBatch batch{"test", {}, std::nullopt};
    batch.events.push_back(make_event("hold"));
    journal.submit(std::move(batch), [](const BatchResult&) {});
    std::unique_lock lock(state_->mutex);
    state_->changed.wait(lock, [this] { return state_->entered; });
  }
  ~WriterHold() { release(); }
  WriterHold(const WriterHold&) = delete;
  WriterHold& operator=(const WriterHold&) = delete;
  void release() {
    std::lock_guard lock(state_->mutex);
    state_->released = true;
    state_->changed.notify_all();
  }

 private:
  struct State {  // shared with the callback, which may still be leaving when this is gone
    std::mutex mutex;
    std::condition_variable changed;
    bool entered = false, released = false;
  };
  std::shared_ptr<State> state_;
};

inline std::unique_ptr<Journal> open_journal(const std::string& path, Journal::Clock clock = std::chrono::system_clock::now,
                                             std::size_t batch_max = 512) {
  JournalOptions o;
  o.path = path;
  o.batch_max = batch_max;
  auto j = Journal::open(o, std::move(clock));
  if (!j) throw std::runtime_error(j.error().message);
  return std::move(*j);
}

}  // namespace chatops::ingestion::testing
