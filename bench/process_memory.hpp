#pragma once
// Where another process's resident memory goes, from /proc/PID/smaps: per file mapped (the
// executable, each shared library, SQLite's -shm), the heap, thread stacks and other anonymous
// memory, each with its resident, private dirty and anonymous kibibytes.
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/measure.hpp"

namespace chatops::bench {

struct MemoryUse {
  long rss_kib = 0, pss_kib = 0, private_dirty_kib = 0, anon_kib = 0;
};

struct ProcessMemory {
  long hwm_kib = 0;  // VmHWM
  MemoryUse total;
  std::map<std::string, MemoryUse> by_mapping;  // file name, "[heap]", "thread stacks", "[anon]"…
  int threads = 0;
};

inline ProcessMemory process_memory(pid_t pid) {
  ProcessMemory m;
  const auto proc = "/proc/" + std::to_string(pid);
  std::ifstream smaps(proc + "/smaps");
  MemoryUse* current = nullptr;
  for (std::string line; std::getline(smaps, line);) {
    std::istringstream in(line);
    std::string first;
    in >> first;
    if (first.empty()) continue;
    if (first.back() != ':') {  // a mapping's header: range perms offset dev inode [name]
      std::string perms, offset, dev, inode, name;
      in >> perms >> offset >> dev >> inode;
      std::getline(in >> std::ws, name);
      const auto dash = first.find('-');
      const auto size = std::stoul(first.substr(dash + 1), nullptr, 16) - std::stoul(first.substr(0, dash), nullptr, 16);
      if (name.empty()) {
        // glibc gives each thread an 8 MiB stack (the default ulimit) with a guard page below it.
        name = size == 8u << 20 && perms == "rw-p" ? "thread stacks" : "[anon]";
      } else if (name.front() == '/') {
        name = name.substr(name.rfind('/') + 1);
      }
      current = &m.by_mapping[name];
      continue;
    }
    long kib = 0;
    in >> kib;
    auto add = [&](long MemoryUse::*field) {
      current->*field += kib;
      m.total.*field += kib;
    };
    if (!current) continue;
    if (first == "Rss:") add(&MemoryUse::rss_kib);
    else if (first == "Pss:") add(&MemoryUse::pss_kib);
    else if (first == "Private_Dirty:") add(&MemoryUse::private_dirty_kib);
    else if (first == "Anonymous:") add(&MemoryUse::anon_kib);
  }
  m.hwm_kib = status_value(proc, "VmHWM:");
  m.threads = static_cast<int>(status_value(proc, "Threads:"));
  return m;
}

// The total, then the mappings with the most resident memory (`top` of them) and the rest summed.
inline void print_process_memory(const ProcessMemory& m, std::size_t top) {
  std::printf("  %-34s %9s %9s %9s %9s\n", "mapping", "RSS KiB", "PSS KiB", "priv.dirty", "anon KiB");
  std::vector<std::pair<std::string, MemoryUse>> rows(m.by_mapping.begin(), m.by_mapping.end());
  std::ranges::sort(rows, [](const auto& a, const auto& b) { return a.second.rss_kib > b.second.rss_kib; });
  MemoryUse rest;
  std::size_t rest_count = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [name, use] = rows[i];
    if (i < top) {
      std::printf("  %-34s %9ld %9ld %9ld %9ld\n", name.c_str(), use.rss_kib, use.pss_kib, use.private_dirty_kib,
                  use.anon_kib);
    } else if (use.rss_kib > 0) {
      rest.rss_kib += use.rss_kib;
      rest.pss_kib += use.pss_kib;
      rest.private_dirty_kib += use.private_dirty_kib;
      rest.anon_kib += use.anon_kib;
      ++rest_count;
    }
  }
  std::printf("  %-34s %9ld %9ld %9ld %9ld\n", ("the " + std::to_string(rest_count) + " others").c_str(), rest.rss_kib,
              rest.pss_kib, rest.private_dirty_kib, rest.anon_kib);
  std::printf("  %-34s %9ld %9ld %9ld %9ld   (%d threads, VmHWM %ld KiB)\n", "total", m.total.rss_kib, m.total.pss_kib,
              m.total.private_dirty_kib, m.total.anon_kib, m.threads, m.hwm_kib);
}

}  // namespace chatops::bench
