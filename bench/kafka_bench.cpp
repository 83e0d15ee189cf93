// The Kafka source (`kind: stream, system: kafka`) consuming N messages, against `kcat -C`
// consuming the same topic to /dev/null, in the same run. The topic lives on librdkafka's mock
// cluster (a real Kafka protocol endpoint) hosted by a helper process (this program with
// --serve-mock), so that this process holds only the consuming side: its peak RSS is the bot's.
// Each repetition, interleaved so that a noisy moment hits every variant alike, times from the
// start until the last message is consumed:
//   - baseline: `kcat -C -o beginning -e` (librdkafka's simple consumer, every partition from its
//     start, each message written to /dev/null), from its exec to its exit;
//   - the source into a sink that takes every batch at once (a new consumer group: join, fetch,
//     JSON parse, mapping, events, offsets stored and committed): its own cost;
//   - the source into a real journal (synchronous=full, a fresh file): end to end.
// Then the peak RSS of the journal run and where the CPU went, by thread. Target (issue 14):
// the source into the journal ≥ 0.5 × kcat.
// kcat -C assigns the partitions itself, where the source joins a consumer group and waits for the
// group's first rebalance (librdkafka 2.0's mock cluster waits 3 s, as Kafka brokers do by
// default: group.initial.rebalance.delay.ms). A second baseline, `kcat -G` (kcat in a group of
// its own), pays the same wait: the ratio to it is the like-for-like one.
//
//   kafka_bench [--smoke] [--messages N] [--repeat R] [--batch B]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/stream_bench.hpp"
#include "tests/integration/support/kafka_mock.hpp"
#include "tests/integration/support/process.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;
using bench::Clock;
using bench::median;
using bench::seconds_since;

namespace {

constexpr int kPartitions = 3;
constexpr const char* kTopic = "bench";

std::string message(int i) {
  return R"({"id": )" + std::to_string(i) + R"(, "level": "warning", "text": "disk almost full on host-)" +
         std::to_string(i % 100) + R"("})";
}

// --serve-mock N: hosts the cluster with the topic and its N messages, says where, and waits to be stopped.
int serve_mock(int messages) {
  KafkaMock kafka;
  kafka.create_topic(kTopic, kPartitions);
  kafka.produce_many(kTopic, messages, message);
  for (int p = 0; p < kPartitions; ++p)
    if (const auto first = kafka.first_offset(kTopic, p); first > 0) {
      std::cout << "the mock cluster dropped the first " << first << " messages of partition " << p
                << " (it keeps about 5 MiB a partition): use fewer --messages" << std::endl;
      return 1;
    }
  std::cout << "bootstraps " << kafka.bootstraps() << std::endl;
  for (;;) std::this_thread::sleep_for(1h);
}

double kcat(const std::string& bootstraps) {
  const std::string command =
      "kcat -C -q -e -o beginning -b " + bootstraps + " -t " + kTopic + " -X log_level=3 > /dev/null";
  const auto begun = Clock::now();
  if (std::system(command.c_str()) != 0) throw std::runtime_error("kcat failed: " + command);
  return seconds_since(begun);
}

int groups = 0;  // each run consumes the topic from its start in a group of its own

double kcat_group(const std::string& bootstraps) {
  const std::string command = "kcat -q -e -b " + bootstraps + " -G kcat-" + std::to_string(++groups) +
                              " -X auto.offset.reset=earliest -X log_level=3 " + kTopic + " > /dev/null";
  const auto begun = Clock::now();
  if (std::system(command.c_str()) != 0) throw std::runtime_error("kcat failed: " + command);
  return seconds_since(begun);
}

std::string source_entry(const std::string& bootstraps, int batch) {
  return "{name: bench, kind: stream, system: kafka, brokers: \"" + bootstraps + "\", topics: [" + kTopic +
         "], group: bench-" + std::to_string(++groups) + ", start: earliest, batch_size: " + std::to_string(batch) +
         ", properties: {log_level: 3}}";
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc == 3 && std::string(argv[1]) == "--serve-mock") return serve_mock(std::stoi(argv[2]));
  const auto parsed = bench::parse_stream_bench("kafka_bench", argc, argv);
  if (!parsed) return 2;
  const auto& o = *parsed;
  spdlog::set_level(spdlog::level::warn);
  TempDir dir("chatops-kafka-bench");
  Process mock(ProcessOptions{
      .argv = {std::filesystem::read_symlink("/proc/self/exe").string(), "--serve-mock", std::to_string(o.messages)},
      .log_dir = dir.path(),
      .name = "kafka-mock"});
  const std::regex ready("bootstraps (\\S+)\n");
  if (!mock.wait_for_log(ready, 300s)) throw std::runtime_error("the mock cluster did not start: " + mock.output());
  std::smatch m;
  const std::string out = mock.output();
  std::regex_search(out, m, ready);
  const std::string bootstraps = m[1];
  std::printf(
      "kafka_bench: %d JSON messages of about 70 bytes in a topic of %d partitions on librdkafka's mock cluster "
      "(another process), batches of %d, %d repetition(s), median\n",
      o.messages, kPartitions, o.batch, o.repeat);
  std::vector<double> bare, grouped;
  bench::SourceRounds rounds;
  for (int r = 0; r < o.repeat; ++r) {  // interleaved, so that a noisy moment hits every variant alike
    bare.push_back(kcat(bootstraps));
    grouped.push_back(kcat_group(bootstraps));
    rounds.run(dir.path(), [&] { return source_entry(bootstraps, o.batch); }, o.messages);
  }
  bench::print_stream_results("baseline: kcat -C -e > /dev/null", bare, rounds, o.messages);
  const double group_baseline = bench::median(grouped);
  std::printf("  %-52s %8.3f s  %10.0f msg/s\n", "baseline in a consumer group: kcat -G -e > /dev/null", group_baseline,
              o.messages / group_baseline);
  std::printf("  source → journal against it: ratio %.2f   (rounds:", group_baseline / bench::median(rounds.journal));
  for (std::size_t r = 0; r < grouped.size(); ++r) std::printf(" %.2f", grouped[r] / rounds.journal[r]);
  std::printf(")\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "kafka_bench: %s\n", e.what());
  return 1;
}
