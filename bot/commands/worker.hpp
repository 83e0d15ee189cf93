#pragma once
// The thread commands hand their slow work to (Reply::later: a call to Alertmanager that may take
// its whole timeout), so that the io thread keeps speaking and answering meanwhile. One thread,
// so the work runs in order and what it uses (the Alertmanager client) has one owner; each
// answer is posted back to the io thread, which owns IRC.
#include <thread>

#include <asio.hpp>

#include "bot/commands/command.hpp"

namespace chatops::bot {

class CommandWorker {
 public:
  explicit CommandWorker(asio::io_context& io_thread);
  // Drops the work not started yet and waits for the one under way (bounded by its own timeout).
  ~CommandWorker();

  // CommandTable's Offload.
  void run(SlowWork work, std::function<void(Reply)> done);

 private:
  asio::io_context& io_thread_;
  asio::io_context own_;
  asio::executor_work_guard<asio::io_context::executor_type> keep_{own_.get_executor()};
  std::thread thread_;
};

}  // namespace chatops::bot
