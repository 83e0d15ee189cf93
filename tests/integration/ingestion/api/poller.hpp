// Shared by the API poller's integration tests: one `kind: api` source, built from YAML as the bot
// builds it, on a real journal in a temp dir, polling the test's own API.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ingestion/api/api_source.hpp"
#include "tests/integration/support/test_api.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

namespace chatops::test {

inline const ingestion::SourceKind& api_kind() {
  static const auto kind = ingestion::api::api_source_kind();
  return kind;
}

class Poller {
 public:
  // `entry` is the source's YAML flow map without its braces' name and kind.
  explicit Poller(std::string entry, std::string name = "apisrc")
      : subject_{.kind = api_kind(), .config_yaml = "{name: " + name + ", kind: api, " + std::move(entry) + "}"},
        journal_(ingestion::testing::open_journal(dir_.file("j.db"))),
        name_(std::move(name)) {
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
  bool wait_events(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return compliance::eventually([&] { return events().size() >= n; }, timeout);
  }
  ingestion::IngestionStatus status() const { return running_->runtime.status().snapshot(); }
  ingestion::SourceRuntime& runtime() { return running_->runtime; }
  bool wait_state(ingestion::SourceState s, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return compliance::eventually([&] { return status().state == s; }, timeout);
  }
  ingestion::Journal& journal() { return *journal_; }

 private:
  compliance::Subject subject_;
  ingestion::testing::TempDir dir_;
  std::unique_ptr<ingestion::Journal> journal_;
  std::string name_;
  std::unique_ptr<compliance::Running> running_;
};

// The names ("item <n>") of events, in journal order.
inline std::vector<std::string> names(const std::vector<ingestion::IngestionEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.fields.value("name", ""));
  return out;
}

}  // namespace chatops::test
