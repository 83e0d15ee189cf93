#pragma once
// A log source's rate cap: at most `lines` events in a window of `per`, which begins with the
// first event after the previous one ended. Beyond the cap, lines are counted per pattern and
// file instead of said, and when the window ends each count becomes one digest event
// ("… 3,000 more lines matched ERROR in app.log"). The counts travel in the source's checkpoint,
// so a restart neither loses nor repeats them.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/node.hpp"
#include "ingestion/event.hpp"

namespace chatops::ingestion::log {

struct RateCapOptions {
  std::size_t lines = 100;
  std::chrono::milliseconds per{std::chrono::minutes(1)};
};

// From a validated log source's `rate_cap:` (nullopt when absent).
std::optional<RateCapOptions> rate_cap_options(const config::Node& validated);

class RateCap {
 public:
  // Wall-clock time: the window is saved with the checkpoint and outlives a restart.
  using Clock = std::chrono::system_clock;
  explicit RateCap(RateCapOptions options) : o_(options) {}

  // Whether the event of a line `pattern` matched in `file` is said; if not, it is counted.
  bool admit(const std::string& pattern, const std::string& file, const IngestionEvent& event, Clock::time_point now);
  // The digest events of a window that has ended by `now` (topic `topic_prefix` + pattern).
  std::vector<IngestionEvent> due(Clock::time_point now, const std::string& topic_prefix);
  // When the window with lines counted ends.
  std::optional<Clock::time_point> next_deadline() const;

  // The window and its counts, for the checkpoint; and back.
  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  struct Count {
    std::uint64_t lines = 0;
    Severity severity = Severity::Info;  // the highest among them
    std::string latest;                  // the last line counted
  };
  RateCapOptions o_;
  std::optional<Clock::time_point> window_;  // its start
  std::size_t said_ = 0;                     // in this window
  std::map<std::pair<std::string, std::string>, Count> counts_;  // by pattern, file
};

// "… 3,000 more lines matched ERROR in app.log" ("line": the source has no match: patterns;
// `file` "tcp://10.0.0.5": "… from 10.0.0.5").
std::string digest_text(std::uint64_t count, const std::string& pattern, const std::string& file);

}  // namespace chatops::ingestion::log
