#include "ingestion/runtime/stream.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <random>

#include <spdlog/spdlog.h>

namespace chatops::ingestion {

StreamSource::StreamSource(StreamOptions options)
    : options_(options), backoff_(options.backoff_initial, options.backoff_max, 2.0, 0.2, std::random_device{}()) {}

StreamSource::~StreamSource() {
  if (thread_.joinable()) {
    spdlog::critical("a stream source was destroyed while running");
    std::terminate();
  }
}

SourceResult<> StreamSource::start(SourceRuntime& runtime) {
  runtime_ = &runtime;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  backoff_.reset();
  thread_ = std::thread([this] { run(); });
  return {};
}

void StreamSource::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  interrupt();
  thread_.join();
  runtime_->status().set_state(SourceState::Stopped);
}

bool StreamSource::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool StreamSource::wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

namespace {
bool nothing_in(const Received& r) {
  return r.events.empty() && !r.cursor && r.state.empty() && !r.upstream.has_value();
}
}  // namespace

// A batch submitted to the journal, its answer still to be acted upon.
struct StreamSource::InFlight {
  struct Answer {
    BatchResult result;
    std::chrono::steady_clock::time_point at;  // when the journal answered
  };
  // What the journal said so far; shared with its callbacks, which may run after the batch is
  // given up (the source reconnecting).
  struct Progress {
    std::mutex mutex;
    std::condition_variable changed;
    bool written = false;
    std::optional<Answer> answer;
  };
  Received batch;
  std::size_t count = 0;
  std::chrono::steady_clock::time_point submitted;
  std::shared_ptr<Progress> progress = std::make_shared<Progress>();

  // Waits until the batch is committed (true) or answered without that (false: refused, or a
  // store with no such stage).
  bool wait_written() const {
    std::unique_lock lock(progress->mutex);
    progress->changed.wait(lock, [&] { return progress->written || progress->answer; });
    return progress->written;
  }
  Answer wait_answer() const {
    std::unique_lock lock(progress->mutex);
    progress->changed.wait(lock, [&] { return progress->answer.has_value(); });
    return *progress->answer;
  }
};

void StreamSource::run() {
  const std::string thread_name = ("stream-" + runtime_->name()).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  auto& status = runtime_->status();
  bool connected = false;
  while (!stopping()) {
    SourceResult<> outcome;
    if (!connected) {
      outcome = connect();
      connected = outcome.has_value();
      if (connected) {
        status.set_state(SourceState::Running);
        backoff_.reset();
        spdlog::info("source {}: connected", runtime_->name());
      }
    }
    if (connected) outcome = consume();
    if (stopping()) break;
    if (connected) {
      disconnect();
      connected = false;
    }
    if (outcome.error().kind == ErrorKind::Configuration) {
      spdlog::error("source {}: {} (a configuration problem: not retried)", runtime_->name(), outcome.error().message);
      status.fail(outcome.error(), SourceState::Failed);
      return;
    }
    const auto delay = backoff_.next();
    spdlog::warn("source {}: {}; reconnecting in {} ms", runtime_->name(), outcome.error().message, delay.count());
    status.fail(outcome.error(), SourceState::Retrying);
    wait(delay);
  }
  if (connected) disconnect();
}

SourceResult<> StreamSource::consume() {
  std::optional<InFlight> in_flight;
  // Settles the batch in flight, if any; the batch after it (`next`: submitted, or received only)
  // goes back when it failed.
  auto settle_in_flight = [&](Received* next) -> SourceResult<> {
    if (!in_flight) return {};
    auto settled = settle(*in_flight);
    in_flight.reset();
    if (!settled && next && !nothing_in(*next)) refused(*next);
    return settled;
  };
  while (!stopping()) {
    if (runtime_->paused()) {
      if (auto settled = settle_in_flight(nullptr); !settled) return settled;
      wait(SourceRuntime::kPausedCheck);  // nothing is consumed while paused; upstream keeps it
      continue;
    }
    auto received = receive(receive_deadline(in_flight ? &*in_flight : nullptr));
    // The next batch goes to the journal as soon as the one in flight is committed, to be
    // committed while that one syncs; not before: were that commit to fail, the next batch could
    // be journaled ahead of the failed one's events sent again.
    std::optional<InFlight> next;
    if (received && !nothing_in(*received) && in_flight && in_flight->wait_written())
      next = submit(std::move(*received));
    if (auto settled = settle_in_flight(next ? &next->batch : received ? &*received : nullptr); !settled)
      return settled;
    if (!received) return std::unexpected(received.error());
    if (next) in_flight = std::move(next);
    else if (!nothing_in(*received)) in_flight = submit(std::move(*received));
    else continue;
    if (!pipelined())
      if (auto settled = settle_in_flight(nullptr); !settled) return settled;
  }
  return settle_in_flight(nullptr);  // acknowledged if committed: upstream need not send it again
}

StreamSource::InFlight StreamSource::submit(Received batch) {
  InFlight f;
  f.count = batch.events.size();
  f.submitted = std::chrono::steady_clock::now();
  runtime_->status().consumed += f.count;
  if (batch.events.empty() && !batch.cursor && batch.state.empty()) {
    // Nothing to journal: acknowledged in its turn.
    std::lock_guard lock(f.progress->mutex);
    f.progress->answer = InFlight::Answer{BatchResult{}, f.submitted};
  } else {
    std::vector<IngestionEvent> events;
    if (keeps_events()) events = batch.events;
    else events.swap(batch.events);  // the journal takes them; the batch keeps none
    runtime_->submit(
        std::move(events), batch.cursor,
        [progress = f.progress](const BatchResult& r) {
          std::lock_guard lock(progress->mutex);
          progress->answer = InFlight::Answer{r, std::chrono::steady_clock::now()};
          progress->changed.notify_all();
        },
        batch.state,
        [progress = f.progress] {
          std::lock_guard lock(progress->mutex);
          progress->written = true;
          progress->changed.notify_all();
        });
  }
  f.batch = std::move(batch);
  return f;
}

SourceResult<> StreamSource::settle(InFlight& f) {
  auto& status = runtime_->status();
  const auto [result, answered] = f.wait_answer();
  if (answered != f.submitted) last_commit_ = answered - f.submitted;  // not for a batch with nothing to journal
  if (!result.committed()) {
    // Not durable: nothing is acknowledged; upstream keeps it (or gets it back) for later.
    status.failed += f.count;
    refused(f.batch);
    return std::unexpected(SourceError::transient("the journal refused a batch: " + result.error));
  }
  status.processed += result.count(Submission::Accepted);
  status.skipped += result.count(Submission::Duplicate);
  if (auto acked = acknowledge(f.batch); !acked) return acked;
  status.committed += f.count;
  return {};
}

std::chrono::steady_clock::time_point StreamSource::receive_deadline(const InFlight* batch) const {
  const auto now = std::chrono::steady_clock::now();
  if (!batch) return now + options_.receive_wait;
  const auto left = batch->submitted + last_commit_ - now;
  return now + std::clamp<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(1), options_.receive_wait);
}

}  // namespace chatops::ingestion
