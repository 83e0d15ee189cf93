// The API poller's item differ against parsing alone: a 10,000-item listing (GitHub-release-shaped
// items) compared with what was seen, against simdjson parsing the same document into its DOM
// (a reused parser: its best case), measured in the same run. Target (issue 11): the differ at
// ≥ 0.5 of parse-only throughput.
//
//   api_bench [--smoke]
//
// Cases, each on the same document:
//   parse       simdjson DOM parse alone (the baseline)
//   unchanged   every item seen before and the same: the steady state of a poll
//   1% changed  100 items changed (emit: new_and_changed): their text copied out to be said
//   baseline    a first run: all 10,000 items new, remembered (state changes built), none said
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "ingestion/api/differ.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::api;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kItems = 10000;

std::string release(int id, const std::string& tag_suffix) {
  const auto n = std::to_string(id);
  return R"({"url":"https://api.github.com/repos/octo/hello/releases/)" + n +
         R"(","html_url":"https://github.com/octo/hello/releases/tag/v1.)" + n + tag_suffix + R"(","id":)" + n +
         R"(,"author":{"login":"octocat","id":583231,"type":"User","site_admin":false},"node_id":"RE_kwDOAB)" + n +
         R"(","tag_name":"v1.)" + n + tag_suffix + R"(","target_commitish":"main","name":"Release 1.)" + n +
         R"(","draft":false,"prerelease":false,"created_at":"2025-05-02T09:12:44Z","published_at":"2025-05-02T09:20:03Z",)"
         R"("assets":[],"body":"## What's Changed\r\n* Retry uploads by @octocat in https://github.com/octo/hello/pull/)" +
         n + R"(\r\n"})";
}

// The listing; `changed` items (every 100th) get another tag.
std::string listing(bool changed) {
  std::string doc = "[";
  for (int i = kItems; i >= 1; --i) {
    if (i != kItems) doc += ',';
    doc += release(i, changed && i % 100 == 0 ? "-r" : "");
  }
  return doc + "]";
}

struct Sample {
  double seconds = 0;
  std::size_t runs = 0;
  double per_run() const { return seconds / static_cast<double>(runs); }
};

template <class F>
Sample measure(F&& run, std::chrono::duration<double> min_time) {
  Sample s;
  const auto start = Clock::now();
  do {
    run();
    ++s.runs;
  } while (Clock::now() - start < min_time);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return s;
}

DiffOptions options(EmitMode emit, bool announce) {
  DiffOptions o;
  o.key_pointer = "/id";
  o.emit = emit;
  o.announce = announce;
  o.remember = 100000;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  if (!chatops::bench::CommandLine("api_bench").flag("--smoke", smoke).parse(argc, argv)) return 2;
  const std::chrono::duration<double> slice(smoke ? 0.02 : 0.5);
  const int repeats = smoke ? 1 : 7;

  // With simdjson's padding to spare, both the DOM parser and the differ read them in place.
  std::string before = listing(false), after = listing(true);
  before.reserve(before.size() + simdjson::SIMDJSON_PADDING);
  after.reserve(after.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::parser dom;
  simdjson::ondemand::parser ondemand;

  // What a steady poller has seen: the first listing, committed.
  SeenItems seen;
  {
    Differ first(options(EmitMode::NewAndChanged, false), seen, ondemand, 1);
    if (!first.observe(before) || first.listed() != kItems) return 1;
    first.state_changes();
    first.commit();
  }

  std::size_t sink = 0;
  auto parse = [&] {
    simdjson::dom::element root;
    if (dom.parse(before).get(root)) std::abort();
    sink += root.is_array();
  };
  auto unchanged = [&] {
    Differ d(options(EmitMode::NewAndChanged, true), seen, ondemand, 2);
    if (!d.observe(before)) std::abort();
    sink += d.state_changes().size() + d.unchanged();
  };
  auto changed = [&] {
    Differ d(options(EmitMode::NewAndChanged, true), seen, ondemand, 2);
    if (!d.observe(after) || d.found().size() != kItems / 100) std::abort();
    sink += d.state_changes().size();
  };
  auto baseline = [&] {
    SeenItems empty;
    Differ d(options(EmitMode::NewAndChanged, false), empty, ondemand, 1);
    if (!d.observe(before)) std::abort();
    sink += d.state_changes().size();
  };

  struct Case {
    const char* name;
    std::function<void()> run;
    std::vector<double> per_run;
  };
  std::vector<Case> cases{{"parse (simdjson DOM)", parse, {}},
                          {"diff, unchanged", unchanged, {}},
                          {"diff, 1% changed", changed, {}},
                          {"diff, first run (baseline)", baseline, {}}};
  for (auto& c : cases) measure(c.run, slice / 5);  // warm-up: parsers sized, pages faulted in
  for (int r = 0; r < repeats; ++r)
    for (auto& c : cases) c.per_run.push_back(measure(c.run, slice).per_run());

  const double mib = static_cast<double>(before.size()) / (1024.0 * 1024.0);
  std::printf("api_bench: a listing of %d items (%.1f MiB), median of %d x %.2f s%s\n", kItems, mib, repeats,
              slice.count(), smoke ? " (smoke)" : "");
  std::vector<double> median;
  for (auto& c : cases) {
    std::ranges::sort(c.per_run);
    median.push_back(c.per_run[c.per_run.size() / 2]);
    std::printf("  %-28s %8.2f ms/listing  %7.0f MiB/s  %6.2f M items/s\n", c.name, median.back() * 1e3,
                mib / median.back(), kItems / median.back() / 1e6);
  }
  std::printf("throughput ratio to parse alone (target >= 0.5): unchanged %.2f, 1%% changed %.2f, first run %.2f\n",
              median[0] / median[1], median[0] / median[2], median[0] / median[3]);
  return sink == 0;
}
