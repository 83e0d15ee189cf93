#include "ingestion/runtime/stream.hpp"

#include <pthread.h>

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
    while (connected && !stopping()) {
      if (runtime_->paused()) {
        wait(SourceRuntime::kPausedCheck);  // nothing is consumed while paused; upstream keeps it
        continue;
      }
      auto received = receive(std::chrono::steady_clock::now() + options_.receive_wait);
      if (!received) {
        outcome = std::unexpected(received.error());
        break;
      }
      if (received->events.empty() && !received->cursor && received->state.empty()) continue;
      const auto count = received->events.size();
      status.consumed += count;
      std::vector<IngestionEvent> events;
      if (keeps_events()) events = received->events;
      else events.swap(received->events);  // the journal takes them; the batch keeps none
      const auto result = runtime_->submit_and_wait(std::move(events), received->cursor, received->state);
      if (!result.committed()) {
        // Not durable: nothing is acknowledged; upstream keeps it (or gets it back) for later.
        status.failed += count;
        refused(*received);
        outcome = std::unexpected(SourceError::transient("the journal refused a batch: " + result.error));
        break;
      }
      status.processed += result.count(Submission::Accepted);
      status.skipped += result.count(Submission::Duplicate);
      if (auto acked = acknowledge(*received); !acked) {
        outcome = std::unexpected(acked.error());
        break;
      }
      status.committed += count;
    }
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

}  // namespace chatops::ingestion
