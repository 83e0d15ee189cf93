#include "ingestion/db/engine.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "core/modules/module_loader.hpp"
#include "ingestion/db/sqlite.hpp"

namespace chatops::ingestion::db {

Engine::Engine() : wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
}

Engine::~Engine() { ::close(wake_fd_); }

void Engine::rearm() {
  interrupted_.store(false);
  std::uint64_t drained;
  while (::read(wake_fd_, &drained, sizeof drained) > 0) {
  }
}

void Engine::raise_interrupt() {
  interrupted_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

Engine::Wait Engine::wait_socket(int fd, bool for_write, Deadline deadline) const {
  for (;;) {
    if (interrupted()) return Wait::Interrupted;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Wait::TimedOut;
    pollfd fds[2] = {{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0}, {wake_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left.count() + 1, 60'000)));
    if (n < 0 && errno != EINTR) return Wait::Ready;  // let the library meet the error itself
    if (fds[1].revents) return Wait::Interrupted;
    if (n > 0 && fds[0].revents) return Wait::Ready;
  }
}

namespace {

struct EngineEntry {
  std::string_view name;
  Dialect dialect;
  // Null for an engine in its own module (chatops-<name>.so), loaded when a source needs it.
  std::unique_ptr<Engine> (*make)(ConnectOptions, RewrittenQuery) = nullptr;
};

const std::vector<EngineEntry>& engines() {
  static const std::vector<EngineEntry> all = {
      {"sqlite", Dialect::SQLite, make_sqlite_engine},
#ifdef CHATOPS_WITH_POSTGRESQL
      {"postgresql", Dialect::PostgreSQL},
#endif
#ifdef CHATOPS_WITH_MARIADB
      {"mariadb", Dialect::MariaDB},
#endif
  };
  return all;
}

}  // namespace

std::vector<std::string> engine_names() {
  std::vector<std::string> names;
  for (const auto& e : engines()) names.emplace_back(e.name);
  return names;
}

Result<std::unique_ptr<Engine>> make_engine(std::string_view name, ConnectOptions options) {
  for (const auto& e : engines()) {
    if (e.name != name) continue;
    auto query = rewrite_placeholders(options.query, e.dialect);
    if (!query) return std::unexpected(query.error());
    if (e.make) return e.make(std::move(options), std::move(*query));
    auto module = modules::load<EngineModule>(e.name);
    if (!module) return std::unexpected(module.error());
    return (*module)->make(std::move(options), std::move(*query));
  }
  std::string known;
  for (const auto& n : engine_names()) known += (known.empty() ? "" : ", ") + n;
  return fail("unknown engine \"" + std::string(name) + "\" (this build has " + known + ")");
}

}  // namespace chatops::ingestion::db
