#pragma once
// Runs a chatops::irc::Client on its own io thread for an integration test, with blocking
// helpers for the test thread (the client itself is only touched on the io thread).
#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>

#include "bot/irc/client.hpp"

namespace chatops::test {

inline irc::ClientConfig bot_config(std::string host, int port, bool tls, std::vector<std::string> channels) {
  irc::ClientConfig c;
  c.servers = {{std::move(host), static_cast<std::uint16_t>(port), tls}};
  c.nick = "opsbot";
  c.username = "opsbot";
  c.realname = "chatops integration test";
  for (auto& ch : channels) c.channels.push_back({std::move(ch), ""});
  c.connect_timeout = std::chrono::seconds(5);
  c.reconnect_initial = std::chrono::milliseconds(200);
  c.reconnect_max = std::chrono::seconds(1);
  return c;
}

// Registered and in `channel`, as a status snapshot says.
inline bool registered_in(const irc::ClientStatus& s, const std::string& channel) {
  return s.state == irc::ClientState::Registered && std::ranges::find(s.joined, channel) != s.joined.end();
}

class BotRunner {
 public:
  // `sts`: kept by the caller, so that a later BotRunner (a restart) sees the same policies.
  explicit BotRunner(irc::ClientConfig config, irc::StsPolicyStore* sts = nullptr)
      : client_(io_, std::move(config), sts) {
    client_.on_joined = [this](const std::string& channel) { record("joined " + channel); };
    client_.on_join_failed = [this](const std::string& channel, const std::string& why) {
      record("join failed " + channel + ": " + why);
    };
    client_.on_disconnected = [this](const std::string& why) { record("disconnected: " + why); };
    client_.on_registered = [this] { record("registered"); };
    client_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~BotRunner() {
    std::promise<void> stopped;
    asio::post(io_, [&] { client_.stop("test over", [&] { stopped.set_value(); }); });
    stopped.get_future().wait_for(std::chrono::seconds(5));
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Runs fn on the io thread and waits for it.
  template <class F>
  auto on_io(F fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // say() from the io thread; the future resolves with on_done's value.
  std::future<bool> say(std::string target, std::string text) {
    auto done = std::make_shared<std::promise<bool>>();
    auto future = done->get_future();
    asio::post(io_, [this, target = std::move(target), text = std::move(text), done] {
      client_.say(target, text, [done](bool ok) { done->set_value(ok); });
    });
    return future;
  }

  irc::ClientStatus status() const { return client_.status(); }

  // Waits until status() satisfies pred.
  bool wait(const std::function<bool(const irc::ClientStatus&)>& pred,
            std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(client_.status())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred(client_.status());
  }

  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

  bool saw_event(const std::string& prefix) const {
    for (const auto& e : events())
      if (e.starts_with(prefix)) return true;
    return false;
  }

  irc::Client& client() { return client_; }

 private:
  void record(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{asio::make_work_guard(io_)};
  irc::Client client_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

}  // namespace chatops::test
