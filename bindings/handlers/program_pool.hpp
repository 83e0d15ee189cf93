#pragma once
// Where program handlers run: off the io thread, at most `max_running` at once, at most
// `max_waiting` queued behind them (more are refused at once, so that a flood of triggers cannot
// pile up processes or memory). Workers start with the first program; the destructor stops the
// programs still running (as their timeout would) and joins the workers.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bindings/handlers/program.hpp"

namespace chatops::bindings::handlers {

struct ProgramPoolOptions {
  std::size_t max_running = 4;
  std::size_t max_waiting = 64;
};

class ProgramPool {
 public:
  // Told on the worker's thread when the program has ended (or could not start).
  using Done = std::function<void(Result<ProgramResult>)>;

  explicit ProgramPool(ProgramPoolOptions options) : options_(options) {}
  ~ProgramPool();
  ProgramPool(const ProgramPool&) = delete;
  ProgramPool& operator=(const ProgramPool&) = delete;

  // False when `max_waiting` programs are queued already: nothing runs, `done` is not called.
  bool submit(ProgramSpec spec, std::string input, Done done);
  std::size_t running() const;
  std::size_t waiting() const;
  // The most programs that ran at once so far.
  std::size_t most_running() const;

 private:
  struct Job {
    ProgramSpec spec;
    std::string input;
    Done done;
  };
  void work(std::stop_token stop);

  ProgramPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Job> queue_;
  std::size_t running_ = 0, most_running_ = 0;
  std::vector<std::jthread> workers_;  // last: joined first
};

}  // namespace chatops::bindings::handlers
