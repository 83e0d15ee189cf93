#include "ingestion/runtime/polling.hpp"

#include <pthread.h>

#include <random>

#include <spdlog/spdlog.h>

namespace chatops::ingestion {

void add_poll_fields(config::Schema& s, const std::string& default_interval) {
  s.field("interval", config::Kind::Duration, "Time between two runs.").fallback(default_interval).range(0.01, 86400 * 7);
  s.field("jitter", config::Kind::Number,
          "Randomised fraction of each interval (each wait is drawn from [interval × (1 − jitter), interval]), so that "
          "pollers started together do not ask in lockstep.")
      .fallback("0.1")
      .range(0, 1);
  s.field("timeout", config::Kind::Duration, "Longest a run may take (connecting, asking, reading).")
      .fallback("30s")
      .range(0.1, 3600);
  config::Schema backoff("backoff", "After a failed run: the next try waits initial, doubling up to max.");
  backoff.field("initial", config::Kind::Duration, "First wait after a failure.").fallback("1s").range(0.01, 3600);
  backoff.field("max", config::Kind::Duration, "Longest wait between tries.").fallback("5m").range(0.01, 86400);
  s.field("backoff", config::Kind::Map, "Retries after a failure.").schema(backoff).fallback("{}");
}

PollOptions poll_options(const config::Node& node) {
  PollOptions o;
  o.interval = node.duration("interval");
  o.jitter = node.number("jitter");
  o.timeout = node.duration("timeout");
  const auto backoff = node.map("backoff");
  o.backoff_initial = backoff.duration("initial");
  o.backoff_max = std::max(backoff.duration("max"), o.backoff_initial);
  return o;
}

PollingSource::PollingSource(PollOptions options)
    : options_(options),
      backoff_(options.backoff_initial, options.backoff_max, 2.0, 0.2, std::random_device{}()) {}

PollingSource::~PollingSource() {
  // Derived destructors stop first; this one only checks that they did.
  if (thread_.joinable()) {
    spdlog::critical("a polling source was destroyed while running");
    std::terminate();
  }
}

SourceResult<> PollingSource::start(SourceRuntime& runtime) {
  runtime_ = &runtime;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  backoff_.reset();
  thread_ = std::thread([this] { run(); });
  return {};
}

void PollingSource::stop() {
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

bool PollingSource::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool PollingSource::wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

std::chrono::milliseconds PollingSource::next_interval() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const double low = 1.0 - options_.jitter;
  const double factor = low + (1.0 - low) * std::uniform_real_distribution<double>(0, 1)(random);
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(options_.interval.count()) * factor));
}

void PollingSource::run() {
  const std::string thread_name = ("poll-" + runtime_->name()).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  auto& status = runtime_->status();
  bool open = false;
  while (!stopping()) {
    if (runtime_->paused()) {
      wait(SourceRuntime::kPausedCheck);  // nothing is asked upstream while paused
      continue;
    }
    SourceResult<> outcome;
    if (!open) {
      outcome = this->open();
      open = outcome.has_value();
    }
    if (open) {
      const auto begun = std::chrono::steady_clock::now();
      outcome = poll(begun + options_.timeout);
      if (outcome && std::chrono::steady_clock::now() - begun > options_.timeout + std::chrono::seconds(1))
        spdlog::warn("source {}: a run took {} ms, over its timeout of {} ms", runtime_->name(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begun)
                         .count(),
                     options_.timeout.count());
    }
    if (stopping()) break;
    if (outcome) {
      if (status.state() != SourceState::Running)
        spdlog::info("source {}: running", runtime_->name());
      status.set_state(SourceState::Running);
      backoff_.reset();
      wait(next_interval());
      continue;
    }
    if (open) {
      close();
      open = false;
    }
    if (outcome.error().kind == ErrorKind::Configuration) {
      spdlog::error("source {}: {} (a configuration problem: not retried)", runtime_->name(), outcome.error().message);
      status.fail(outcome.error(), SourceState::Failed);
      return;
    }
    // Upstream's own word on when to ask again beats the backoff (which stays where it was).
    const auto delay = outcome.error().retry_after.value_or(backoff_.next());
    spdlog::warn("source {}: {}; retrying in {} ms", runtime_->name(), outcome.error().message, delay.count());
    status.fail(outcome.error(), SourceState::Retrying);
    wait(delay);
  }
  if (open) close();
}

}  // namespace chatops::ingestion
