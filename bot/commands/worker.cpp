#include "bot/commands/worker.hpp"

#include <pthread.h>

namespace chatops::bot {

CommandWorker::CommandWorker(asio::io_context& io_thread) : io_thread_(io_thread) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commands");
    own_.run();
  });
}

CommandWorker::~CommandWorker() {
  own_.stop();
  thread_.join();
}

void CommandWorker::run(SlowWork work, std::function<void(Reply)> done) {
  asio::post(own_, [this, work = std::move(work), done = std::move(done)]() mutable {
    auto reply = work();
    asio::post(io_thread_, [done = std::move(done), reply = std::move(reply)]() mutable { done(std::move(reply)); });
  });
}

}  // namespace chatops::bot
