#include "ingestion/runtime/stream.hpp"

#include <pthread.h>

#include <algorithm>
#include <deque>
#include <future>
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
  Received batch;
  std::size_t count = 0;
  std::chrono::steady_clock::time_point submitted;
  // Shared with the completion, which may run after the batch is given up (the source reconnecting).
  std::shared_ptr<std::promise<Answer>> promise = std::make_shared<std::promise<Answer>>();
  std::future<Answer> answer = promise->get_future();

  bool answered() const { return answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }
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
  // Submitted batches not yet acknowledged, oldest first.
  std::deque<InFlight> in_flight;
  // With a store that keeps a chain in order, the next batch is submitted without waiting for the
  // answers about those before it; else only once they are settled: were one of them refused, the
  // next could be journaled ahead of its events sent again.
  const auto chain = runtime_->keeps_chains() ? std::make_shared<BatchChain>() : nullptr;
  // Settles the oldest; when it failed, those after it go back too, in order, and so does
  // `unsubmitted` (received, not yet submitted), if any.
  auto settle_oldest = [&](Received* unsubmitted) -> SourceResult<> {
    auto settled = settle(in_flight.front());
    in_flight.pop_front();
    if (!settled) {
      for (auto& later : in_flight) refused(later.batch);
      in_flight.clear();
      if (unsubmitted && !nothing_in(*unsubmitted)) refused(*unsubmitted);
    }
    return settled;
  };
  auto settle_all = [&](Received* unsubmitted) -> SourceResult<> {
    while (!in_flight.empty())
      if (auto settled = settle_oldest(unsubmitted); !settled) return settled;
    return {};
  };
  while (!stopping()) {
    if (runtime_->paused()) {
      if (auto settled = settle_all(nullptr); !settled) return settled;
      wait(SourceRuntime::kPausedCheck);  // nothing is consumed while paused; upstream keeps it
      continue;
    }
    // Acknowledged as soon as answered; the next receive waits while kMostInFlight are out.
    while (!in_flight.empty() && (in_flight.front().answered() || in_flight.size() >= kMostInFlight))
      if (auto settled = settle_oldest(nullptr); !settled) return settled;
    auto received = receive(receive_deadline(in_flight.empty() ? nullptr : &in_flight.front()));
    if (!received) {
      if (auto settled = settle_all(nullptr); !settled) return settled;  // acknowledged if committed
      return std::unexpected(received.error());
    }
    if (!nothing_in(*received)) {
      if (!chain)
        if (auto settled = settle_all(&*received); !settled) return settled;
      in_flight.push_back(submit(std::move(*received), chain));
    }
    if (!pipelined())
      if (auto settled = settle_all(nullptr); !settled) return settled;
  }
  return settle_all(nullptr);  // acknowledged if committed: upstream need not send it again
}

StreamSource::InFlight StreamSource::submit(Received batch, const std::shared_ptr<BatchChain>& chain) {
  InFlight f;
  f.count = batch.events.size();
  f.submitted = std::chrono::steady_clock::now();
  runtime_->status().consumed += f.count;
  if (batch.events.empty() && !batch.cursor && batch.state.empty()) {
    f.promise->set_value({BatchResult{}, f.submitted});  // nothing to journal: acknowledged in its turn
  } else {
    std::vector<IngestionEvent> events;
    if (keeps_events()) events = batch.events;
    else events.swap(batch.events);  // the journal takes them; the batch keeps none
    runtime_->submit(
        std::move(events), batch.cursor,
        [promise = f.promise](const BatchResult& r) { promise->set_value({r, std::chrono::steady_clock::now()}); },
        batch.state, chain);
  }
  f.batch = std::move(batch);
  return f;
}

SourceResult<> StreamSource::settle(InFlight& f) {
  auto& status = runtime_->status();
  const auto [result, answered] = f.answer.get();
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
