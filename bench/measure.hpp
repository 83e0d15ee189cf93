#pragma once
// What every benchmark measures with: elapsed seconds, the median of repetitions, the process's
// resident memory, and a scratch directory removed at the end.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatops::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::ranges::sort(v);
  return v[v.size() / 2];
}

// The number on a line of a process's status (`proc` is "/proc/self" or "/proc/<pid>"): "VmRSS:"
// and "VmHWM:" in KiB, "Threads:" a count; 0 if missing.
inline long status_value(const std::string& proc, std::string_view field) {
  std::ifstream status(proc + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with(field)) return std::atol(line.c_str() + field.size());
  return 0;
}

// What a process's threads have used so far, by thread name (threads of one name summed): CPU
// seconds (user + system) and voluntary context switches (each a sleep: a wait for a lock, a
// condition or I/O). `proc` as for status_value.
struct ThreadUse {
  double cpu_seconds = 0;
  long voluntary_switches = 0;
};
inline std::map<std::string, ThreadUse> thread_use(const std::string& proc) {
  std::map<std::string, ThreadUse> use;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(proc + "/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    const std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    // After the name: state (field 3) ... utime (14), stime (15).
    std::vector<std::string> fields;
    std::string field;
    for (char c : text.substr(close + 2)) {
      if (c != ' ') field += c;
      else fields.push_back(std::exchange(field, {}));
    }
    if (fields.size() < 13) continue;
    auto& u = use[text.substr(open + 1, close - open - 1)];
    u.cpu_seconds += (std::stod(fields[11]) + std::stod(fields[12])) / tick;
    u.voluntary_switches += status_value(task.path().string(), "voluntary_ctxt_switches:");
  }
  return use;
}

// A line of this process's status in KiB ("VmRSS:", "VmHWM:").
inline long status_kib(std::string_view field) { return status_value("/proc/self", field); }

// This process's VmRSS.
inline long rss_kib() { return status_kib("VmRSS:"); }

// A fresh directory under the system's temporary one (named after `what`), removed with its contents.
struct BenchDir {
  std::filesystem::path path;
  explicit BenchDir(const std::string& what) {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("chatops-" + what + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace chatops::bench
