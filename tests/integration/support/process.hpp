// Test-process plumbing: free ports, temporary directories and child processes that the
// test itself starts and stops (RAII). Used by every server launcher in this folder.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatops::test {

using namespace std::chrono_literals;
using Duration = std::chrono::milliseconds;

// The IPv4 address 127.0.0.1:port (port 0: any), for bind() and connect().
sockaddr_in loopback(int port);

// A port on 127.0.0.1 (TCP and UDP) free for the test to give a server: below the kernel's
// ephemeral range, so no outgoing connection takes it meanwhile, and reserved against other test
// processes for this one's life. Never returns the same port twice within one test process.
int free_port();

// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, Duration timeout = 30s);

// True when the test runs as root (servers then need --runasroot or a dropped user).
bool running_as_root();

// A user to run a child as (only applied when the test runs as root).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
};
// The uid/gid of a system user such as "irc", or nullopt when it does not exist.
std::optional<RunAs> lookup_user(const std::string& name);

// A fresh directory under /tmp (mkdtemp), removed recursively on destruction unless the
// environment variable CHATOPS_KEEP_TEST_DIRS is set (then its path is printed to stderr).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "chatops-test");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }
  // Writes (replaces) a file below the directory and returns its path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;
  // Makes the directory traversable and its files readable by other users (mode 0755): servers
  // that drop privileges (ngircd as root becomes "nobody") must still read their config.
  void share() const;

 private:
  std::filesystem::path path_;
};

// Whole content of a file ("" when missing).
std::string read_file(const std::filesystem::path& file);

// Polls a file until it matches (regex_search) or the timeout passes.
bool wait_for_file(const std::filesystem::path& file, const std::regex& re, Duration timeout);

struct ProcessOptions {
  std::vector<std::string> argv{};                           // argv[0] is looked up in PATH
  std::vector<std::pair<std::string, std::string>> env{};    // added to (or replacing in) environ
  std::filesystem::path log_dir{};                           // where <name>-<n>.out/.err go
  std::string name = "process";                            // log file prefix
  std::filesystem::path cwd{};                               // default: log_dir
  std::optional<RunAs> run_as{};                             // setresgid/setresuid, root only
};

// A child process: exec'd directly (no shell), stdout/stderr to files, core dumps disabled,
// its own process group, killed with SIGKILL if the test process dies (PR_SET_PDEATHSIG,
// bound to the creating thread: create it from a thread that outlives it).
// The destructor stops it.
class Process {
 public:
  explicit Process(ProcessOptions options);   // spawns; throws std::runtime_error on failure
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Raw wait status once the process has exited (WIFEXITED/WIFSIGNALED apply).
  std::optional<int> wait_status();
  // Blocks up to timeout for the exit; true if it exited.
  bool wait_exit(Duration timeout);
  // SIGTERM, wait up to grace, then SIGKILL to its process group. Returns the wait status.
  std::optional<int> stop(Duration grace = 5s);
  void kill9();                  // SIGKILL to the process group and reap
  void signal(int sig);          // any signal to the process only
  // SIGSTOP, then waits until every thread of it has stopped: a stop is asynchronous, and until
  // the thread that takes the signal is scheduled (late on a loaded machine), the others still
  // run, and answer. False when not all stopped within the timeout.
  bool freeze(Duration timeout = 10s);
  void thaw() { signal(SIGCONT); }

  const std::filesystem::path& stdout_path() const { return out_path_; }
  const std::filesystem::path& stderr_path() const { return err_path_; }
  std::string output() const;    // stdout followed by stderr, as written so far
  // Waits until stdout or stderr contains the text / matches the regex; false on timeout or
  // when the process exits first.
  bool wait_for_log(std::string_view text, Duration timeout = 30s);
  bool wait_for_log(const std::regex& re, Duration timeout = 30s);

 private:
  void reap(bool block);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
};

// How a command run to its end finished, and what it printed.
struct Finished {
  std::optional<int> exit_code;  // nullopt: killed (by a signal, or after the timeout)
  std::string out;
  std::string err;
};

// Runs a command to its end; it is killed after `timeout`. Its output files go to options.log_dir.
Finished run_to_end(ProcessOptions options, Duration timeout = 60s);

// "exited 0", "killed by signal 11", ... for messages.
std::string describe_status(std::optional<int> status);

}  // namespace chatops::test
