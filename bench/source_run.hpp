#pragma once
// What the source benchmarks share: a made source started on its own runtime (stopped at the
// end), and the wait until it is done, which gives up when the source fails or stalls.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench/measure.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source.hpp"

namespace chatops::bench {

// The source runs from the constructor to the destructor.
class RunningSource {
 public:
  RunningSource(std::unique_ptr<ingestion::IngestionSource> source, ingestion::SourceStore& store,
                const std::string& family)
      : source_(std::move(source)), runtime_("bench", family, store, nullptr) {
    runtime_.open();
    if (!source_->start(runtime_)) throw std::runtime_error("the source did not start");
  }
  RunningSource(const RunningSource&) = delete;
  RunningSource& operator=(const RunningSource&) = delete;
  ~RunningSource() {
    source_->stop();
    runtime_.close();
  }

  ingestion::SourceRuntime& runtime() { return runtime_; }

  // Looks at `done()` (and calls `sample()`) every `every` until it holds; throws, with the
  // source's last error, when the source has failed or `limit` has passed since `begun`.
  template <class Done, class Sample>
  void wait_until(Done done, Clock::time_point begun, std::chrono::seconds limit, Sample sample,
                  std::chrono::milliseconds every = std::chrono::milliseconds(1)) {
    for (;;) {
      sample();
      if (done()) return;
      const auto status = runtime_.status().snapshot();
      if (status.state == ingestion::SourceState::Failed || seconds_since(begun) > limit.count())
        throw std::runtime_error("the source failed or stalled: " + status.last_error);
      std::this_thread::sleep_for(every);
    }
  }
  template <class Done>
  void wait_until(Done done, Clock::time_point begun, std::chrono::seconds limit) {
    wait_until(done, begun, limit, [] {});
  }

 private:
  std::unique_ptr<ingestion::IngestionSource> source_;
  ingestion::SourceRuntime runtime_;
};

}  // namespace chatops::bench
