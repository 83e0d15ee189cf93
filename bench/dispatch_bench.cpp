// Bind dispatch cost as the bind table grows: ns per webhook event dispatched with 10, 1,000 and
// 10,000 exact-mask binds (plus the same few wildcard binds each time), and the ratios against
// the 10-bind table measured in the same run. Exact masks are indexed, so the ratios should stay
// near 1; only the wildcard binds are scanned.
//
//   dispatch_bench [--smoke]
//
// Every event matches exactly one exact bind and one wildcard bind whatever the table size, so
// the same handlers run per event; the other wildcard binds are tried and do not match.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "bindings/bind_table.hpp"

using namespace chatops;
using namespace chatops::bindings;
using Clock = std::chrono::steady_clock;

namespace {

const std::vector<std::string> kWildcards = {"github/*", "alertmanager/*", "*/critical", "svc*"};  // svc* matches

struct Table {
  std::size_t exact;
  BindTable table;
  std::vector<ingestion::IngestionEvent> events;
  std::uint64_t calls = 0;
};

void fill(Table& t) {
  const Handler count = [&t](const BindContext&) {
    ++t.calls;
    return BindResult::Continue;
  };
  for (std::size_t i = 0; i < t.exact; ++i)
    if (!t.table.bind(BindType::Webhook, "-|-", "svc" + std::to_string(i) + "/deployed", count))
      std::abort();
  for (const auto& mask : kWildcards)
    if (!t.table.bind(BindType::Webhook, "-|-", mask, count)) std::abort();
  // 64 events spread over the whole table.
  for (std::size_t k = 0; k < 64; ++k) {
    ingestion::IngestionEvent e;
    e.family = "webhook";
    e.source = "deploys";
    e.topic = "svc" + std::to_string(k * t.exact / 64) + "/deployed";
    t.events.push_back(std::move(e));
  }
}

// ns per event over at least `min_time`.
double measure(Table& t, std::chrono::duration<double> min_time) {
  std::uint64_t n = 0;
  const auto start = Clock::now();
  auto elapsed = Clock::duration::zero();
  do {
    for (int round = 0; round < 100; ++round)
      for (const auto& e : t.events) n += t.table.dispatch(e) > 0;
    elapsed = Clock::now() - start;
  } while (elapsed < min_time);
  return std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  if (!chatops::bench::CommandLine("dispatch_bench").flag("--smoke", smoke).parse(argc, argv)) return 2;
  const std::chrono::duration<double> slice(smoke ? 0.02 : 0.5);
  const int repeats = smoke ? 1 : 7;

  std::vector<Table> tables(3);
  tables[0].exact = 10;
  tables[1].exact = 1000;
  tables[2].exact = 10000;
  for (auto& t : tables) fill(t);

  // Interleaved repeats, median per size: a noisy neighbour hurts every size alike.
  std::vector<std::vector<double>> samples(tables.size());
  for (auto& t : tables) measure(t, slice / 5);  // warm-up
  for (int r = 0; r < repeats; ++r)
    for (std::size_t i = 0; i < tables.size(); ++i) samples[i].push_back(measure(tables[i], slice));

  std::printf("dispatch_bench: webhook events, each running 2 handlers (1 exact, 1 wildcard), "
              "%zu wildcard binds, median of %d x %.2f s%s\n",
              kWildcards.size(), repeats, slice.count(), smoke ? " (smoke)" : "");
  std::vector<double> median(tables.size());
  for (std::size_t i = 0; i < tables.size(); ++i) {
    auto s = samples[i];
    std::ranges::sort(s);
    median[i] = s[s.size() / 2];
    std::printf("  %6zu exact + %zu wildcard binds: %8.1f ns/event  (min %.1f, max %.1f)\n", tables[i].exact,
                kWildcards.size(), median[i], s.front(), s.back());
  }
  for (const auto& t : tables)
    if (t.calls == 0) return 1;
  std::printf("ratio 1000/10: %.2f   ratio 10000/10: %.2f   (near 1: exact masks are indexed)\n",
              median[1] / median[0], median[2] / median[0]);
  return 0;
}
