// The file watcher (`kind: file`): how fast 10,000 small JSON files dropped at once are journaled
// (issue 13: report files/s). Each repetition, interleaved so that a noisy moment hits every
// variant alike, times from the first file dropped to the last one's event:
//   - baseline: the same files dropped, then each opened, read whole and parsed by simdjson in a
//     plain loop (what any reader of the files pays at least);
//   - a file source into a store that takes every batch at once: the source's own cost (inotify,
//     snapshots, hashing, formats, events), with its peak RSS;
//   - a file source into a real journal (synchronous=full): what end to end costs.
// The files are written beforehand in a staging directory on the same file system (creating files
// is slow and noisy here, and would be what is measured) and dropped at once by rename(2), as a
// deploy tool drops a file written elsewhere: each is complete at IN_MOVED_TO (no settle wait).
//
//   file_bench [--smoke] [--files N] [--repeat R]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "bench/instant_store.hpp"
#include "bench/measure.hpp"
#include "bench/options.hpp"
#include "bench/source_run.hpp"
#include "core/config/node.hpp"
#include "ingestion/file/file_source.hpp"
#include "ingestion/journal/journal.hpp"
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
  long files = 10'000;
  int repeat = 3;
};

// A deploy manifest of about 150 bytes, different per file.
std::string manifest(long i) {
  return R"({"service": "svc-)" + std::to_string(i % 97) + R"(", "version": "1.)" + std::to_string(i % 31) + "." +
         std::to_string(i) + R"(", "environment": ")" + (i % 3 ? "production" : "staging") +
         R"(", "requested_by": "user)" + std::to_string(i % 13) + R"(", "id": )" + std::to_string(i) + "}\n";
}

std::filesystem::path staged(const std::filesystem::path& dir, long files, int round) {
  const auto staging = dir.parent_path() / (dir.filename().string() + ".staging");
  std::filesystem::create_directories(staging);
  for (long i = 0; i < files; ++i) {
    std::ofstream out(staging / ("r" + std::to_string(round) + "-" + std::to_string(i) + ".json"), std::ios::binary);
    out << manifest(i);
  }
  return staging;
}

void drop_files(const std::filesystem::path& staging, const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(staging))
    std::filesystem::rename(entry.path(), dir / entry.path().filename());
}

// The baseline: dropped, then read whole and parsed in a plain loop.
double drop_and_parse(const std::filesystem::path& dir, long files, int round) {
  std::filesystem::create_directories(dir);
  const auto staging = staged(dir, files, round);
  const auto begun = Clock::now();
  drop_files(staging, dir);
  simdjson::dom::parser parser;
  long parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    simdjson::padded_string text;
    if (simdjson::padded_string::load(entry.path().string()).get(text)) continue;
    simdjson::dom::element doc;
    if (!parser.parse(text).get(doc)) ++parsed;
  }
  if (parsed != files) throw std::runtime_error("the baseline did not parse every file");
  return seconds_since(begun);
}

config::Node file_config(const std::string& dir) {
  auto raw = config::load_string("sources:\n  - {name: bench, kind: file, paths: [\"" + dir + "/*.json\"]}\n",
                                 "bench.yml");
  if (!raw) throw std::runtime_error(raw.error().message);
  auto validated = ingestion::validate_source((*raw)["sources"].items().at(0));
  if (!validated) throw std::runtime_error(validated.error().message);
  return validated->node;
}

struct SourceRun {
  double seconds = 0;
  long peak_rss_kib = 0;
  long events = 0;
  double dropping = 0;  // of which the renames took
};

// A file source started on an empty directory; then `files` files are dropped in it and the time
// runs until the source has committed an event for each.
SourceRun source_into(ingestion::SourceStore& store, const std::filesystem::path& dir, long files, int round) {
  std::filesystem::create_directories(dir);
  const auto staging = staged(dir, files, round);
  ingestion::SourceServices services;
  auto made = ingestion::file::file_source_kind().make(file_config(dir.string()), services);
  if (!made) throw std::runtime_error(made.error().message);
  RunningSource running(std::move(*made), store, "file");
  auto& status = running.runtime().status();
  // Its first pass notes the (empty) directory; files dropped after it are news.
  running.wait_until([&] { return status.state() == ingestion::SourceState::Running; }, Clock::now(), 30s);
  std::this_thread::sleep_for(100ms);

  SourceRun run;
  const auto begun = Clock::now();
  std::jthread dropper([&] {  // joined when the wait throws, too
    drop_files(staging, dir);
    run.dropping = seconds_since(begun);
  });
  running.wait_until([&] { return static_cast<long>(status.processed.load()) >= files; }, begun, 600s,
                     [&] { run.peak_rss_kib = std::max(run.peak_rss_kib, rss_kib()); }, 2ms);
  run.seconds = seconds_since(begun);
  dropper.join();
  // One event per file: more would mean a file said twice (or half-written), so the rate is void.
  std::this_thread::sleep_for(1500ms);
  run.events = static_cast<long>(status.snapshot().processed);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  chatops::bench::CommandLine options("file_bench");
  options.flag("--smoke", o.smoke).value("--files", o.files, "N").value("--repeat", o.repeat, "R");
  if (!options.parse(argc, argv)) return 2;
  if (o.smoke) {
    o.files = 200;
    o.repeat = 1;
  }
  spdlog::set_level(spdlog::level::warn);
  bench::BenchDir dir("file-bench");
  std::printf("file_bench: %ld JSON files of about 150 bytes dropped at once, %d repetition(s)\n", o.files, o.repeat);
  std::vector<double> baseline, instant, journaled;
  long peak_rss = 0, journal_rss = 0;
  for (int r = 0; r < o.repeat; ++r) {
    const auto round = dir.path / ("round" + std::to_string(r));
    baseline.push_back(drop_and_parse(round / "plain", o.files, r));
    bench::InstantStore store;
    const auto run = source_into(store, round / "instant", o.files, r);
    instant.push_back(run.seconds);
    std::printf("  round %d: dropping %.3fs, instant store %.3fs\n", r, run.dropping, run.seconds);
    if (run.events != o.files) std::printf("MISMATCH: %ld events for %ld files (instant store)\n", run.events, o.files);
    peak_rss = std::max(peak_rss, run.peak_rss_kib);
    ingestion::JournalOptions jo;
    jo.path = (round / "journal.db").string();
    auto journal = ingestion::Journal::open(jo);
    if (!journal) throw std::runtime_error(journal.error().message);
    const auto into_journal = source_into(**journal, round / "journaled", o.files, r);
    journaled.push_back(into_journal.seconds);
    std::printf("  round %d: dropping %.3fs, journal %.3fs\n", r, into_journal.dropping, into_journal.seconds);
    if (into_journal.events != o.files)
      std::printf("MISMATCH: %ld events for %ld files (journal)\n", into_journal.events, o.files);
    journal_rss = std::max(journal_rss, into_journal.peak_rss_kib);
  }
  auto rate = [&](double seconds) { return static_cast<double>(o.files) / seconds; };
  std::printf("drop + read + parse (baseline):   %9.0f files/s\n", rate(median(baseline)));
  std::printf("file source, instant store:       %9.0f files/s   ratio to baseline %.2f; peak VmRSS %ld KiB\n",
              rate(median(instant)), median(baseline) / median(instant), peak_rss);
  std::printf("file source into the journal:     %9.0f files/s   ratio to baseline %.2f; peak VmRSS %ld KiB\n",
              rate(median(journaled)), median(baseline) / median(journaled), journal_rss);
  return 0;
}
