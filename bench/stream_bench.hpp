#pragma once
// What the stream benches (nats, kafka, redis) share: their options, a `kind: stream` source made
// from one `sources:` entry and timed from start() until it has acknowledged N messages (into a
// store that takes every batch at once, or into a real journal), the process's peak RSS per
// variant, and the CPU time of each of the process's threads (where the time goes).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/instant_store.hpp"
#include "bench/measure.hpp"
#include "bench/options.hpp"
#include "bench/source_run.hpp"
#include "core/config/node.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source_registry.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::bench {

struct StreamBenchOptions {
  bool smoke = false;
  int messages = 100'000;
  int repeat = 5;
  int batch = 500;
};

// nullopt when the arguments are not understood (said on stderr).
inline std::optional<StreamBenchOptions> parse_stream_bench(const std::string& program, int argc, char** argv) {
  StreamBenchOptions o;
  CommandLine options(program);
  options.flag("--smoke", o.smoke)
      .value("--messages", o.messages, "N")
      .value("--repeat", o.repeat, "R")
      .value("--batch", o.batch, "B");
  if (!options.parse(argc, argv)) return std::nullopt;
  if (o.smoke) {
    o.messages = 2000;
    o.repeat = 1;
  }
  return o;
}

// A validated `sources:` entry (YAML flow map) of kind stream.
inline config::Node stream_source_config(const std::string& entry) {
  auto raw = config::load_string("sources:\n  - " + entry + "\n", "bench.yml");
  if (!raw) throw std::runtime_error(raw.error().message);
  auto validated = ingestion::validate_source((*raw)["sources"].items().at(0));
  if (!validated) throw std::runtime_error(validated.error().message);
  return validated->node;
}

// CPU seconds (user + system) of this process's threads, by thread name. A thread a library starts
// without naming it (librdkafka's, hiredis has none) inherits the name of the thread that started it:
// those are summed as "<name>+", the first thread of a name (the lowest id) keeps the name.
// Threads that ended are gone from the count: sample while the threads of interest still run.
inline std::map<std::string, double> thread_cpu() {
  std::map<int, std::pair<std::string, double>> threads;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    // Fields after the name: state(3) … utime(14) stime(15).
    std::istringstream rest(text.substr(close + 2));
    std::vector<std::string> f((std::istream_iterator<std::string>(rest)), {});
    if (f.size() < 13) continue;
    threads[std::stoi(task.path().filename().string())] = {text.substr(open + 1, close - open - 1),
                                                           (std::stod(f[11]) + std::stod(f[12])) / tick};
  }
  std::map<std::string, double> cpu;
  for (const auto& [tid, thread] : threads) {
    const auto& [name, seconds] = thread;
    cpu[cpu.contains(name) ? name + "+" : name] += seconds;
  }
  return cpu;
}

// What one timed run took: wall-clock seconds, and the CPU seconds each thread of the process
// took meanwhile (sampled before the source stops, while its threads still exist).
struct Consumed {
  double seconds = 0;
  double first = 0;  // until the first message was consumed (connecting, joining a group)
  std::map<std::string, double> cpu;
};

// Seconds from start() until the source (entry) has acknowledged `messages` messages into `store`.
inline Consumed consume_into(ingestion::SourceStore& store, const std::string& entry, int messages) {
  using namespace std::chrono_literals;
  ingestion::SourceServices services;
  auto source = ingestion::stream::stream_source_kind().make(stream_source_config(entry), services);
  if (!source) throw std::runtime_error(source.error().message);
  const auto cpu_before = thread_cpu();
  const auto begun = Clock::now();
  Consumed took;
  {
    RunningSource running(std::move(*source), store, "stream");
    auto& status = running.runtime().status();
    running.wait_until([&] { return status.committed.load() >= static_cast<std::uint64_t>(messages); }, begun, 600s,
                       [&] {
                         if (!took.first && status.consumed.load() > 0) took.first = seconds_since(begun);
                       });
    took.seconds = seconds_since(begun);
    took.cpu = thread_cpu();  // before the source stops, while its threads still exist
  }
  for (auto& [name, s] : took.cpu)
    if (const auto b = cpu_before.find(name); b != cpu_before.end()) s -= b->second;
  return took;
}

// The same into a real journal (synchronous=full, as the bot's) in a fresh file under `dir`, removed after.
inline Consumed journaled(const std::filesystem::path& dir, const std::string& entry, int messages) {
  static int journals = 0;
  const auto path = dir / ("journal-" + std::to_string(++journals) + ".db");
  ingestion::JournalOptions jo;
  jo.path = path.string();
  auto journal = ingestion::Journal::open(jo);
  if (!journal) throw std::runtime_error(journal.error().message);
  const auto took = consume_into(**journal, entry, messages);
  journal->reset();
  for (const auto& suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return took;
}

// The process's peak RSS (VmHWM) since the last reset_peak_rss().
inline void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }
inline long peak_rss_kib() { return status_kib("VmHWM:"); }

// The source's variants over the rounds: into a store that takes every batch at once, into a real
// journal (its peak RSS, its CPU by thread summed over the rounds), and into a real journal on
// tmpfs (/dev/shm), where fdatasync costs nothing: the difference is the disk's share.
struct SourceRounds {
  std::vector<double> instant, journal, instant_first, journal_first, in_memory;
  std::map<std::string, double> journal_cpu;
  long journal_peak_kib = 0;
  long rss_before_kib = rss_kib();  // before any source ran
  const std::filesystem::path memory_dir = "/dev/shm/chatops-stream-bench-" + std::to_string(::getpid());

  SourceRounds() { std::filesystem::create_directories(memory_dir); }
  ~SourceRounds() {
    std::error_code ignored;
    std::filesystem::remove_all(memory_dir, ignored);
  }
  SourceRounds(const SourceRounds&) = delete;
  SourceRounds& operator=(const SourceRounds&) = delete;

  // One round of both; entry() gives the `sources:` entry of a fresh consumer each time.
  template <class Entry>
  void run(const std::filesystem::path& dir, Entry entry, int messages) {
    InstantStore store;
    const auto alone = consume_into(store, entry(), messages);
    instant.push_back(alone.seconds);
    instant_first.push_back(alone.first);
    reset_peak_rss();
    const auto journaled_run = journaled(dir, entry(), messages);
    journal_peak_kib = std::max(journal_peak_kib, peak_rss_kib());
    journal.push_back(journaled_run.seconds);
    journal_first.push_back(journaled_run.first);
    for (const auto& [name, s] : journaled_run.cpu) journal_cpu[name] += s;
    in_memory.push_back(journaled(memory_dir, entry(), messages).seconds);
  }
};

// Prints a variant's line: median time, rate and the ratio to the baseline's median.
inline void print_variant(const char* label, const std::vector<double>& times, double baseline, int messages,
                          long peak_kib = 0) {
  const double t = median(times);
  std::printf("  %-52s %8.3f s  %10.0f msg/s   ratio %.2f", label, t, messages / t, baseline / t);
  if (peak_kib) std::printf("   peak RSS %ld MiB", peak_kib / 1024);
  std::printf("   (rounds:");
  for (const double r : times) std::printf(" %.2f", baseline / r);
  std::printf(")\n");
}


// Prints CPU seconds by thread (summed over runs) per message, largest first.
inline void print_thread_cpu(const std::map<std::string, double>& cpu, double messages) {
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [name, s] : cpu)
    if (s * 1e6 / messages >= 0.05) rows.emplace_back(s, name);
  std::ranges::sort(rows, std::greater<>());
  for (const auto& [d, name] : rows) std::printf("    %-20s %8.2f µs/message\n", name.c_str(), d * 1e6 / messages);
}

// The report of a stream bench: the baseline (median of `bare`), both source variants, memory, CPU.
inline void print_stream_results(const char* baseline_label, const std::vector<double>& bare, const SourceRounds& r,
                                 int messages) {
  const double baseline = median(bare);
  std::printf("  %-52s %8.3f s  %10.0f msg/s\n", baseline_label, baseline, messages / baseline);
  print_variant("source → instant sink", r.instant, baseline, messages);
  print_variant("source → journal (synchronous=full)", r.journal, baseline, messages, r.journal_peak_kib);
  print_variant("source → journal on tmpfs (fdatasync free)", r.in_memory, baseline, messages);
  std::printf("  until the first message was consumed (connecting, joining): %.3f s (instant), %.3f s (journal)\n",
              median(r.instant_first), median(r.journal_first));
  std::printf("  VmRSS before the first source ran: %ld MiB (the journal runs' peak above includes it)\n",
              r.rss_before_kib / 1024);
  std::printf("  CPU by thread, source → journal (all rounds):\n");
  print_thread_cpu(r.journal_cpu, static_cast<double>(messages) * static_cast<double>(r.journal.size()));
  std::printf("  target: source → journal ≥ 0.5 × baseline\n");
}

}  // namespace chatops::bench
