#pragma once
// What sources need of the journal: a sink for their batches (with cursors), the cursor they left
// off at, and small state kept between runs. The journal implements it; tests use a real journal.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "ingestion/sink.hpp"

namespace chatops::ingestion {

class SourceStore : public EventSink {
 public:
  // The cursor last committed with a batch of `source` (nullopt before the first).
  virtual Result<std::optional<std::string>> cursor(std::string_view source) = 0;
  // Durable values by scope and key; expired ones read as absent.
  virtual Result<void> put_state(std::string_view scope, std::string_view key, std::string_view value,
                                 std::optional<std::chrono::system_clock::time_point> expires = std::nullopt) = 0;
  virtual Result<std::optional<std::string>> get_state(std::string_view scope, std::string_view key) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> list_state(std::string_view scope) = 0;
  virtual Result<void> delete_state(std::string_view scope, std::string_view key) = 0;
};

// A store whose events go elsewhere (the Kafka journal's producer, its speaker's per-source
// split) and whose cursors and state are another store's.
class ForwardingStore : public SourceStore {
 public:
  explicit ForwardingStore(SourceStore& state) : state_(state) {}
  Result<std::optional<std::string>> cursor(std::string_view source) override { return state_.cursor(source); }
  Result<void> put_state(std::string_view scope, std::string_view key, std::string_view value,
                         std::optional<std::chrono::system_clock::time_point> expires = std::nullopt) override {
    return state_.put_state(scope, key, value, expires);
  }
  Result<std::optional<std::string>> get_state(std::string_view scope, std::string_view key) override {
    return state_.get_state(scope, key);
  }
  Result<std::vector<std::pair<std::string, std::string>>> list_state(std::string_view scope) override {
    return state_.list_state(scope);
  }
  Result<void> delete_state(std::string_view scope, std::string_view key) override {
    return state_.delete_state(scope, key);
  }

 private:
  SourceStore& state_;
};

}  // namespace chatops::ingestion
