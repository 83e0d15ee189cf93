#pragma once
// How much of another process's executable code is resident inside, and outside, the functions
// that cmake/startup-order.txt has the link place first. Start-up and a first event should run
// inside them; code they run outside means the list has gone stale as the code changed (each
// stray function maps 64 KiB around it), and `scripts/startup-order` makes it again.
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace chatops::bench {

struct OrderedText {
  bool known = false;  // false when nm, /proc/PID/pagemap or the list could not be read
  long inside_kib = 0, outside_kib = 0;
  std::size_t functions = 0;  // names of the list found in the executable (some name several local symbols)
};

inline OrderedText ordered_text(pid_t pid, const std::string& order_file) {
  OrderedText result;
  std::unordered_set<std::string> listed;
  std::ifstream list(order_file);
  for (std::string line; std::getline(list, line);)
    if (!line.empty() && line.front() != '#') listed.insert(line);
  const auto proc = "/proc/" + std::to_string(pid);
  char exe[4096];
  const auto length = ::readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
  if (listed.empty() || length <= 0) return result;
  const std::string executable(exe, static_cast<std::size_t>(length));

  // Where the listed functions lie: from the first to the end of the last (the link keeps them together).
  std::uintptr_t first = std::numeric_limits<std::uintptr_t>::max(), end = 0;
  std::unique_ptr<FILE, int (*)(FILE*)> nm(::popen(("nm -S --defined-only '" + executable + "' 2>/dev/null").c_str(), "r"),
                                           ::pclose);
  if (!nm) return result;
  std::unordered_set<std::string> found;
  char buffer[8192];
  while (std::fgets(buffer, sizeof buffer, nm.get())) {
    std::istringstream in(buffer);
    std::string address, size, type, name;
    if (!(in >> address >> size >> type >> name) || !listed.contains(name)) continue;
    const auto at = std::stoull(address, nullptr, 16);
    first = std::min<std::uintptr_t>(first, at);
    end = std::max<std::uintptr_t>(end, at + std::stoull(size, nullptr, 16));
    found.insert(std::move(name));
  }
  result.functions = found.size();
  if (result.functions == 0) return result;

  // The executable's code mappings; the first mapping is the file's start (a PIE's first segment
  // is at address 0), which gives the addresses nm reports.
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> code;
  std::optional<std::uintptr_t> base;
  std::ifstream maps(proc + "/maps");
  for (std::string line; std::getline(maps, line);) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, path;
    in >> range >> perms >> offset >> dev >> inode >> path;
    if (path != executable) continue;
    const auto dash = range.find('-');
    const auto low = std::stoull(range.substr(0, dash), nullptr, 16);
    if (!base) base = low - std::stoull(offset, nullptr, 16);
    if (perms.find('x') != std::string::npos) code.emplace_back(low, std::stoull(range.substr(dash + 1), nullptr, 16));
  }
  // Which of their pages are present: bit 63 of each page's entry. pread, not a stream: pagemap
  // refuses reads of other than a multiple of 8 bytes, which a stream's buffer makes.
  if (!base) return result;
  const int pagemap = ::open((proc + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) return result;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  bool read_all = true;
  for (const auto& [low, high] : code)
    for (auto at = low; at < high && read_all; at += page) {
      std::uint64_t entry = 0;
      read_all = ::pread(pagemap, &entry, sizeof entry, static_cast<off_t>(at / page * sizeof entry)) ==
                 static_cast<ssize_t>(sizeof entry);
      if (!read_all || !(entry >> 63)) continue;
      const auto address = at - *base;
      (address + page > first && address < end ? result.inside_kib : result.outside_kib) += static_cast<long>(page / 1024);
    }
  ::close(pagemap);
  result.known = read_all;
  return result;
}

}  // namespace chatops::bench
