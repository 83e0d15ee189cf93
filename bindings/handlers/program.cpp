#include "bindings/handlers/program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace chatops::bindings::handlers {

namespace {

constexpr std::size_t kMaxErrorBytes = 4096;  // of standard error kept, for the failure's reason

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

// A pipe whose end `ours` (0: read, 1: write) does not block. The program's end must block: the
// flag belongs to the open file, which dup2 shares, and a program reading a non-blocking standard
// input would fail with EAGAIN.
Result<Pipe> make_pipe(int ours) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  Pipe pipe{Fd(fds[0]), Fd(fds[1])};
  if (::fcntl(fds[ours], F_SETFL, ::fcntl(fds[ours], F_GETFL) | O_NONBLOCK) != 0)
    return fail(std::string("fcntl: ") + std::strerror(errno));
  return pipe;
}

std::string errno_text(const char* what, int error) { return std::string(what) + ": " + std::strerror(error); }

// The spawn's settings, freed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
};

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto at = text.find_last_of('\n');
  return at == std::string::npos ? text : text.substr(at + 1);
}

std::vector<std::string> output_lines(const std::string& output) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < output.size()) {
    auto end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

// Reads what `fd` has now into `into` (up to `cap` bytes in all; the rest is read and dropped when
// `drop_excess`). Returns false at end of file or on an error.
bool drain(int fd, std::string& into, std::size_t cap, bool drop_excess, bool& over_cap) {
  std::array<char, 16384> buffer;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      const auto room = cap - std::min(cap, into.size());
      into.append(buffer.data(), std::min<std::size_t>(room, static_cast<std::size_t>(n)));
      if (static_cast<std::size_t>(n) > room) {
        over_cap = true;
        if (!drop_excess) return true;
      }
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::string exit_text(int status, const std::string& errors) {
  const auto why = last_line(errors);
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 0) return "";
    return fmt::format("exited with status {}{}", WEXITSTATUS(status), why.empty() ? "" : ": " + why);
  }
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}{}", WTERMSIG(status), why.empty() ? "" : ": " + why);
  return "ended oddly";
}

}  // namespace

Result<std::string> resolve_program(const std::string& name) {
  if (name.empty()) return fail("the program's name is empty");
  std::vector<std::string> candidates;
  if (name.find('/') != std::string::npos) {
    candidates.push_back(name);
  } else {
    std::string_view path = kProgramPath;
    while (!path.empty()) {
      const auto end = path.find(':');
      candidates.push_back(std::string(path.substr(0, end)) + "/" + name);
      if (end == std::string_view::npos) break;
      path.remove_prefix(end + 1);
    }
  }
  for (const auto& candidate : candidates) {
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      if (candidate.front() == '/') return candidate;
      char absolute[PATH_MAX];
      if (::realpath(candidate.c_str(), absolute)) return std::string(absolute);
    }
  }
  if (candidates.size() == 1) return fail("not an executable file: " + name);
  return fail("no executable " + name + " in " + kProgramPath);
}

Result<ProgramResult> run_program(const ProgramSpec& spec, const std::string& input, std::stop_token stop) {
  if (spec.argv.empty()) return fail("no program to run");
  auto in = make_pipe(1);
  auto out = make_pipe(0);
  auto err = make_pipe(0);
  if (!in) return std::unexpected(in.error());
  if (!out) return std::unexpected(out.error());
  if (!err) return std::unexpected(err.error());

  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, in->read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, out->write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err->write.get(), STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  // A group of its own (killed as one), signals as a fresh process has them: the bot ignores
  // SIGPIPE, and an ignored signal would stay ignored across exec.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setsigmask(&setup.attributes, &none);
  posix_spawnattr_setsigdefault(&setup.attributes, &all);

  std::vector<std::string> environment{std::string("PATH=") + kProgramPath, "LANG=C.UTF-8"};
  for (const auto& [key, value] : spec.env) environment.push_back(key + "=" + value);
  std::vector<char*> envp, argv;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  if (const int error = ::posix_spawn(&pid, args[0].c_str(), &setup.actions, &setup.attributes, argv.data(), envp.data()))
    return fail(errno_text(("cannot run " + args[0]).c_str(), error));
  in->read.reset();
  out->write.reset();
  err->write.reset();
  // Readable once the program has exited. The system call itself: glibc 2.36's <sys/pidfd.h> lacks
  // extern "C" for C++.
  Fd exited(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  ProgramResult result;
  std::string output, errors;
  std::size_t written = 0;
  bool output_open = true, errors_open = true, over_cap = false, ignored = false, gone = false;
  if (input.empty()) in->write.reset();
  while (!gone || output_open || errors_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.failure = fmt::format("stopped after the {} ms timeout", spec.timeout.count());
      break;
    }
    if (stop.stop_requested()) {
      result.failure = "stopped: the bot is shutting down";
      break;
    }
    std::array<pollfd, 4> watched{};
    watched[0] = {output_open ? out->read.get() : -1, POLLIN, 0};
    watched[1] = {errors_open ? err->read.get() : -1, POLLIN, 0};
    watched[2] = {in->write.get(), POLLOUT, 0};
    watched[3] = {gone ? -1 : exited.get(), POLLIN, 0};
    const int ready = ::poll(watched.data(), watched.size(), static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
    if (ready < 0 && errno != EINTR) {
      result.failure = errno_text("poll", errno);
      break;
    }
    if (watched[0].revents) output_open = drain(out->read.get(), output, spec.max_output, false, over_cap);
    if (over_cap) {
      result.failure = fmt::format("stopped: its output passed {} bytes", spec.max_output);
      break;
    }
    if (watched[1].revents) errors_open = drain(err->read.get(), errors, kMaxErrorBytes, true, ignored);
    if (watched[2].revents) {
      const ssize_t n = ::write(in->write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in->write.reset();  // EPIPE: not read
    }
    if (watched[3].revents && !gone) {
      // Whatever it left running in its group goes with it; their pipes then close.
      ::kill(-pid, SIGKILL);
      gone = true;
    }
  }
  ::kill(-pid, SIGKILL);  // the group: still running at the timeout or the cap, or left over
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.failure.empty()) result.failure = exit_text(status, errors);
  result.lines = output_lines(output);
  return result;
}

}  // namespace chatops::bindings::handlers
