#include "bindings/handlers/program_pool.hpp"

namespace chatops::bindings::handlers {

ProgramPool::~ProgramPool() {
  for (auto& worker : workers_) worker.request_stop();
  workers_.clear();  // joins; a running program is stopped within 100 ms
}

bool ProgramPool::submit(ProgramSpec spec, std::string input, Done done) {
  std::lock_guard lock(mutex_);
  if (queue_.size() >= options_.max_waiting) return false;
  queue_.push_back({std::move(spec), std::move(input), std::move(done)});
  if (workers_.size() < options_.max_running && running_ + queue_.size() > workers_.size())
    workers_.emplace_back([this](std::stop_token stop) { work(stop); });
  wake_.notify_one();
  return true;
}

void ProgramPool::work(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (!wake_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    most_running_ = std::max(most_running_, ++running_);
    lock.unlock();
    job.done(run_program(job.spec, job.input, stop));
    lock.lock();
    --running_;
  }
}

std::size_t ProgramPool::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

std::size_t ProgramPool::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t ProgramPool::most_running() const {
  std::lock_guard lock(mutex_);
  return most_running_;
}

}  // namespace chatops::bindings::handlers
