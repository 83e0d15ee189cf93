#include "tests/integration/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace chatops::test {
namespace fs = std::filesystem;

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// argv[0] resolved against PATH before fork (the child must not allocate).
std::string resolve(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  // Daemons live in sbin, which a non-root PATH often lacks.
  for (const char* dir2 : {"/usr/sbin", "/sbin"}) {
    fs::path candidate = fs::path(dir2) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw std::runtime_error("program not found in PATH: " + program);
}

std::vector<std::string> merged_env(const std::vector<std::pair<std::string, std::string>>& add) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [key, value] : add)
      if (entry.starts_with(key + "=")) replaced = true;
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [key, value] : add) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Everything between fork and exec: async-signal-safe calls only.
[[noreturn]] void child(const char* path, char** argv, char** envp, int out, int err,
                        const char* cwd, const std::optional<RunAs>& run_as, int report,
                        pid_t parent) {
  auto die = [report](int code) {
    int e = errno;
    [[maybe_unused]] auto n = ::write(report, &e, sizeof e);
    _exit(code);
  };
  ::setpgid(0, 0);
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);  // test threads may block signals
  if (::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) die(126);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  // Keep the test's sockets (listeners, clients) out of the server.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 1024; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (cwd[0] && ::chdir(cwd) != 0) die(126);
  if (run_as && ::geteuid() == 0) {
    gid_t gid = run_as->gid;
    if (::setgroups(1, &gid) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(run_as->uid, run_as->uid, run_as->uid) != 0)
      die(126);
  }
  // After the uid change: changing credentials clears the parent-death signal.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) _exit(125);  // the test already died
  ::execve(path, argv, envp);
  die(127);
  _exit(127);  // not reached (die exits); tells the compiler
}

}  // namespace

namespace {

// True when nothing holds 127.0.0.1:port, for TCP nor UDP (some sources listen on both).
bool port_bindable(int port) {
  for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    const sockaddr_in addr = loopback(port);
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (!ok) return false;
  }
  return true;
}

// The lowest port the kernel picks for outgoing connections and bind(0) (32768 by default).
int ephemeral_low() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  range >> low;
  return low;
}

}  // namespace

// Ports come from the 12,000 below the kernel's ephemeral range: a port in that range, picked by
// bind(0) and closed, could be taken by anyone's outgoing connection before the server the test
// starts binds it (address in use). Test processes running side by side (ctest -j, other
// worktrees) reserve theirs with a lock file that stays locked while the process lives (flock is
// released when it exits, even killed), so two of them never hand out the same port.
int free_port() {
  static std::mutex mutex;
  static std::set<int> handed_out;
  static std::mt19937 random(std::random_device{}());
  std::lock_guard lock(mutex);
  const int high = ephemeral_low() - 1;
  std::uniform_int_distribution<int> pick(std::max(1024, high - 12000), high);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = pick(random);
    if (handed_out.contains(port)) continue;
    const auto lock_file = "/tmp/chatops-test-port-" + std::to_string(port) + ".lock";
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !port_bindable(port)) {
      ::close(fd);
      continue;
    }
    handed_out.insert(port);  // its lock file stays open (and locked) until the process ends
    return port;
  }
  throw std::runtime_error("free_port: no free port after 1000 attempts");
}

bool wait_for_port(int port, Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

bool running_as_root() { return ::geteuid() == 0; }

std::optional<RunAs> lookup_user(const std::string& name) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
    return std::nullopt;
  return RunAs{found->pw_uid, found->pw_gid};
}

TempDir::TempDir(std::string_view prefix) {
  std::string templ = "/tmp/" + std::string(prefix) + "-XXXXXX";
  if (!::mkdtemp(templ.data())) fail("mkdtemp " + templ);
  path_ = templ;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir::~TempDir() {
  if (path_.empty()) return;
  if (std::getenv("CHATOPS_KEEP_TEST_DIRS")) {
    std::cerr << "kept test dir: " << path_.string() << '\n';
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(std::string_view name, std::string_view content) const {
  fs::path file = path_ / name;
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
  return file;
}

void TempDir::share() const {
  ::chmod(path_.c_str(), 0755);
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool wait_for_file(const fs::path& file, const std::regex& re, Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    if (std::regex_search(read_file(file), re)) return true;
    std::this_thread::sleep_for(25ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

Process::Process(ProcessOptions options) {
  if (options.argv.empty()) throw std::runtime_error("Process: empty argv");
  // Each spawn of the same name gets new log files, so a restart's wait_for_log sees only its own.
  static std::atomic<int> serial{0};
  std::string stem = options.name + "-" + std::to_string(++serial);
  out_path_ = options.log_dir / (stem + ".out");
  err_path_ = options.log_dir / (stem + ".err");
  int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) fail("open log files in " + options.log_dir.string());

  std::string path = resolve(options.argv[0]);
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = merged_env(options.env);
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);
  std::string cwd = (options.cwd.empty() ? options.log_dir : options.cwd).string();

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) fail("pipe2");
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) fail("fork");
  if (pid_ == 0)
    child(path.c_str(), argv.data(), envp.data(), out, err, cwd.c_str(), options.run_as, report[1],
          parent);
  ::close(report[1]);
  ::close(out);
  ::close(err);
  int child_errno = 0;
  ssize_t n;
  do n = ::read(report[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n > 0) {
    reap(true);
    errno = child_errno;
    fail("cannot start " + path);
  }
}

Process::~Process() { stop(); }

void Process::reap(bool block) {
  if (pid_ <= 0 || status_) return;
  int status = 0;
  pid_t r;
  do r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) status_ = status;
}

bool Process::running() {
  reap(false);
  return pid_ > 0 && !status_;
}

std::optional<int> Process::wait_status() {
  reap(false);
  return status_;
}

bool Process::wait_exit(Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::optional<int> Process::stop(Duration grace) {
  if (running()) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(grace)) kill9();
  }
  return status_;
}

void Process::kill9() {
  if (pid_ <= 0) return;
  if (!status_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
  }
  reap(true);
}

void Process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

bool Process::freeze(Duration timeout) {
  signal(SIGSTOP);
  const auto all_stopped = [this] {
    std::error_code ec;
    std::size_t threads = 0;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid_) + "/task", ec)) {
      // /proc/<pid>/task/<tid>/stat: "tid (name) S ...", the state after the name's ')'.
      const auto stat = read_file(task.path() / "stat");
      const auto after = stat.rfind(')');
      if (after == std::string::npos || after + 2 >= stat.size() || (stat[after + 2] != 'T' && stat[after + 2] != 't'))
        return false;
      ++threads;
    }
    return !ec && threads > 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!all_stopped()) {
    if (!running() || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::string Process::output() const { return read_file(out_path_) + read_file(err_path_); }

bool Process::wait_for_log(std::string_view text, Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (output().find(text) != std::string::npos) return true;
    if (!running() || std::chrono::steady_clock::now() >= deadline)
      return output().find(text) != std::string::npos;
    std::this_thread::sleep_for(25ms);
  }
}

bool Process::wait_for_log(const std::regex& re, Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (std::regex_search(output(), re)) return true;
    if (!running() || std::chrono::steady_clock::now() >= deadline)
      return std::regex_search(output(), re);
    std::this_thread::sleep_for(25ms);
  }
}

Finished run_to_end(ProcessOptions options, Duration timeout) {
  Process process(std::move(options));
  const bool exited = process.wait_exit(timeout);
  if (!exited) process.kill9();
  const std::optional<int> status = process.wait_status();
  Finished finished;
  if (exited && status && WIFEXITED(*status)) finished.exit_code = WEXITSTATUS(*status);
  finished.out = read_file(process.stdout_path());
  finished.err = read_file(process.stderr_path());
  return finished;
}

std::string describe_status(std::optional<int> status) {
  if (!status) return "still running";
  if (WIFEXITED(*status)) return "exited " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return "killed by signal " + std::to_string(WTERMSIG(*status));
  return "status " + std::to_string(*status);
}

}  // namespace chatops::test
