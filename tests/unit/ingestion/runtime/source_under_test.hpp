// One source of any kind, built from YAML as the bot builds it, on a real journal in a temp dir,
// started, stopped and restarted by a test (the API and metric integration tests' fixtures).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/ingestion/runtime/compliance.hpp"

namespace chatops::test {

class SourceUnderTest {
 public:
  // `entry` is the source's YAML flow map without its braces, name and kind; `wait` the default
  // deadline of the waits below.
  SourceUnderTest(const ingestion::SourceKind& kind, const std::string& kind_name, std::string entry,
                  std::string name, std::chrono::milliseconds wait)
      : subject_{.kind = kind, .config_yaml = "{name: " + name + ", kind: " + kind_name + ", " + std::move(entry) + "}"},
        journal_(ingestion::testing::open_journal(dir_.file("j.db"))),
        name_(std::move(name)),
        wait_(wait) {
    start();
  }

  void start() {
    running_ = std::make_unique<compliance::Running>(subject_, *journal_, name_);
    running_->start();
  }
  std::chrono::milliseconds stop() { return running_->stop(); }
  void restart() {
    running_.reset();
    start();
  }

  std::vector<ingestion::IngestionEvent> events() const { return journal_->pending_events(0, 1000000).value(); }
  bool wait_events(std::size_t n) const { return wait_events(n, wait_); }
  bool wait_events(std::size_t n, std::chrono::milliseconds timeout) const {
    return compliance::eventually([&] { return events().size() >= n; }, timeout);
  }
  std::vector<std::pair<std::string, std::string>> state() const {
    return journal_->list_state("source/" + name_).value();
  }
  ingestion::IngestionStatus status() const { return running_->runtime.status().snapshot(); }
  ingestion::SourceRuntime& runtime() { return running_->runtime; }
  bool wait_state(ingestion::SourceState s) const { return wait_state(s, wait_); }
  bool wait_state(ingestion::SourceState s, std::chrono::milliseconds timeout) const {
    return compliance::eventually([&] { return status().state == s; }, timeout);
  }
  ingestion::Journal& journal() { return *journal_; }

 private:
  compliance::Subject subject_;
  ingestion::testing::TempDir dir_;
  std::unique_ptr<ingestion::Journal> journal_;
  std::string name_;
  std::chrono::milliseconds wait_;
  std::unique_ptr<compliance::Running> running_;
};

}  // namespace chatops::test
