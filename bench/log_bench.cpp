// The log tailer (`kind: log`) against the system's own tools on the same file, in the same run.
// A file of N syslog-like lines (about 120 bytes each) is written once; each repetition,
// interleaved so that a noisy moment hits every variant alike, times:
//   - baseline: `cat file > /dev/null`, from exec to exit;
//   - the tailer alone: every whole line read into memory (the reading and splitting);
//   - a log source into a store that takes every batch at once (scan, read, the plain format's
//     events, the checkpoint of each batch): the source's own cost, with its peak RSS;
//   - baseline: `grep -c -E -f patterns file` with 100 patterns;
//   - the tailer with the same 100 patterns as `match:` (one RE2::Set): lines matched per second.
// Then once, a log source into a real journal (synchronous=full): what end to end costs.
// Targets (issue 13): the 100 patterns at ≥ 0.5 × grep's lines/s; the source's RSS ≤ 32 MiB.
//
//   log_bench [--smoke] [--lines N] [--repeat R] [--journal-lines N]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/config/node.hpp"
#include "bench/instant_store.hpp"
#include "bench/measure.hpp"
#include "bench/options.hpp"
#include "bench/source_run.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/log/checkpoint.hpp"
#include "ingestion/log/line_filter.hpp"
#include "ingestion/log/log_source.hpp"
#include "ingestion/log/tailer.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source_registry.hpp"

using namespace chatops;
using namespace std::chrono_literals;
using bench::Clock;
using bench::RunningSource;
using bench::median;
using bench::seconds_since;
using bench::rss_kib;

namespace {

struct Options {
  bool smoke = false;
  long lines = 2'000'000;
  int repeat = 3;
  long journal_lines = 200'000;
};

void write_log(const std::string& path, long lines) {
  std::ofstream out(path, std::ios::binary);
  char line[256];
  for (long i = 0; i < lines; ++i) {
    const int n = std::snprintf(line, sizeof line,
                                "2026-11-30T12:%02ld:%02ld.%06ld+00:00 web-%ld app[%ld]: request id=%ld user=u%ld "
                                "status=%d took=%ldms path=/api/v1/items/%ld\n",
                                (i / 60000) % 60, (i / 1000) % 60, i % 1000000, i % 7, 1000 + i % 13, i, i % 10007,
                                i % 50 == 0 ? 503 : 200, i % 977, i % 4099);
    out.write(line, n);
  }
}

// 100 patterns both grep -E and RE2 read alike: users, slow requests, server errors on a path.
std::vector<std::string> hundred_patterns() {
  std::vector<std::string> p;
  for (int i = 0; i < 97; ++i) p.push_back("user=u" + std::to_string(9000 + i * 11) + " status");
  p.push_back("status=503 took=9[0-9]{2}ms");
  p.push_back("app\\[1012\\]: request id=[0-9]*77 ");
  p.push_back("path=/api/v1/items/40[0-9]{2}$");
  return p;
}

double run_command(const std::string& command) {
  const auto begun = Clock::now();
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  return seconds_since(begun);
}

long grep_count(const std::string& patterns, const std::string& file) {
  const std::string command = "grep -c -E -f " + patterns + " " + file;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run grep");
  long count = 0;
  if (std::fscanf(p, "%ld", &count) != 1) count = -1;
  ::pclose(p);
  return count;
}

ingestion::log::TailOptions tail_options(const std::string& file) {
  return {.patterns = {file}, .start_at_end = false, .max_line_bytes = 64 * 1024, .rotate_wait = 5s};
}

// Every line read, nothing done with it; returns the lines read.
long tail_only(const std::string& file) {
  ingestion::log::Tailer t(tail_options(file), std::nullopt);
  t.scan();
  std::vector<ingestion::log::Line> lines;
  long total = 0;
  for (bool more = true; more;) {
    lines.clear();
    more = t.read(lines, {});
    total += static_cast<long>(lines.size());
  }
  return total;
}

// Every line read and matched against the set; returns the lines matched.
long tail_matching(const std::string& file, const ingestion::log::LineFilter& filter) {
  ingestion::log::Tailer t(tail_options(file), std::nullopt);
  t.scan();
  std::vector<ingestion::log::Line> lines;
  long matched = 0;
  for (bool more = true; more;) {
    lines.clear();
    more = t.read(lines, {});
    for (const auto& l : lines) matched += filter.topic_of(l.text).has_value();
  }
  return matched;
}

config::Node log_config(const std::string& yaml) {
  auto raw = config::load_string(yaml, "bench.yml");
  if (!raw) throw std::runtime_error(raw.error().message);
  auto validated = ingestion::validate_source((*raw)["sources"].items().at(0));
  if (!validated) throw std::runtime_error(validated.error().message);
  return validated->node;
}

struct SourceRun {
  double seconds = 0;
  long peak_rss_kib = 0;
};

// From start() until the store's checkpoint is at the file's end; VmRSS sampled meanwhile.
SourceRun source_into(ingestion::SourceStore& store, const std::string& file) {
  const auto size = std::filesystem::file_size(file);
  ingestion::SourceServices services;
  auto made = ingestion::log::log_source_kind().make(
      log_config("sources:\n  - {name: bench, kind: log, paths: [" + file + "], start_at: beginning}\n"), services);
  if (!made) throw std::runtime_error(made.error().message);
  SourceRun run;
  const auto begun = Clock::now();
  RunningSource running(std::move(*made), store, "log");
  const auto at_end = [&] {
    const auto cursor = store.cursor("bench").value();
    if (!cursor) return false;
    const auto files = ingestion::log::decode_checkpoints(*cursor);
    return files && !files->empty() && files->front().offset == size;
  };
  running.wait_until(at_end, begun, 900s, [&] { run.peak_rss_kib = std::max(run.peak_rss_kib, rss_kib()); }, 2ms);
  run.seconds = seconds_since(begun);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  chatops::bench::CommandLine options("log_bench");
  options.flag("--smoke", o.smoke)
      .value("--lines", o.lines, "N")
      .value("--repeat", o.repeat, "R")
      .value("--journal-lines", o.journal_lines, "N");
  if (!options.parse(argc, argv)) return 2;
  if (o.smoke) {
    o.lines = 20'000;
    o.repeat = 1;
    o.journal_lines = 5'000;
  }
  spdlog::set_level(spdlog::level::warn);
  bench::BenchDir dir("log-bench");
  const auto file = (dir.path / "app.log").string();
  write_log(file, o.lines);
  const auto bytes = std::filesystem::file_size(file);
  const auto patterns_file = (dir.path / "patterns").string();
  std::string match_yaml = "{";
  {
    std::ofstream pf(patterns_file);
    int n = 0;
    for (const auto& p : hundred_patterns()) {
      pf << p << "\n";
      match_yaml += (n ? ", " : "") + std::string("p") + std::to_string(n) + ": '" + p + "'";
      ++n;
    }
  }
  match_yaml += "}";
  auto filter = ingestion::log::LineFilter::from_config(
      log_config("sources:\n  - {name: bench, kind: log, paths: [x], match: " + match_yaml + "}\n"));
  if (!filter) throw std::runtime_error(filter.error().message);

  std::printf("log_bench: %ld lines, %.1f MiB, %d repetition(s)\n", o.lines, bytes / 1048576.0, o.repeat);
  std::vector<double> cat, tail, source, grep, matching;
  long peak_rss = 0, grep_lines = 0, matched = 0;
  for (int r = 0; r < o.repeat; ++r) {
    cat.push_back(run_command("cat " + file + " > /dev/null"));
    auto begun = Clock::now();
    if (tail_only(file) != o.lines) throw std::runtime_error("the tailer did not read every line");
    tail.push_back(seconds_since(begun));
    bench::InstantStore store;
    const auto run = source_into(store, file);
    source.push_back(run.seconds);
    peak_rss = std::max(peak_rss, run.peak_rss_kib);
    begun = Clock::now();
    grep_lines = grep_count(patterns_file, file);
    grep.push_back(seconds_since(begun));
    begun = Clock::now();
    matched = tail_matching(file, *filter);
    matching.push_back(seconds_since(begun));
  }
  auto rate = [&](double seconds) { return static_cast<double>(o.lines) / seconds; };
  std::printf("cat > /dev/null:                  %10.0f lines/s (%.0f MiB/s)\n", rate(median(cat)),
              bytes / 1048576.0 / median(cat));
  std::printf("tailer alone:                     %10.0f lines/s   ratio to cat %.2f\n", rate(median(tail)),
              median(cat) / median(tail));
  std::printf("log source, instant store:        %10.0f lines/s   ratio to cat %.2f; peak VmRSS %ld KiB\n",
              rate(median(source)), median(cat) / median(source), peak_rss);
  std::printf("grep -c -E -f (100 patterns):     %10.0f lines/s   (%ld lines matched)\n", rate(median(grep)),
              grep_lines);
  std::printf("tailer + 100 patterns (RE2::Set): %10.0f lines/s   ratio to grep %.2f (%ld lines matched)%s\n",
              rate(median(matching)), median(grep) / median(matching), matched,
              matched == grep_lines ? "" : "  MISMATCH with grep");

  // End to end, once, on the first journal_lines lines.
  const auto small = (dir.path / "small.log").string();
  write_log(small, std::min(o.journal_lines, o.lines));
  ingestion::JournalOptions jo;
  jo.path = (dir.path / "journal.db").string();
  auto journal = ingestion::Journal::open(jo);
  if (!journal) throw std::runtime_error(journal.error().message);
  const auto run = source_into(**journal, small);
  std::printf("log source into the journal:      %10.0f lines/s   (%ld lines; peak VmRSS %ld KiB)\n",
              static_cast<double>(std::min(o.journal_lines, o.lines)) / run.seconds,
              std::min(o.journal_lines, o.lines), run.peak_rss_kib);
  std::printf("targets: 100 patterns >= 0.5 x grep: %s; RSS <= 32 MiB: %s\n",
              median(grep) / median(matching) >= 0.5 ? "met" : "NOT met", peak_rss <= 32 * 1024 ? "met" : "NOT met");
  return matched == grep_lines ? 0 : 1;
}
