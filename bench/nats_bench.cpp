// The NATS JetStream source (`kind: stream, system: nats`) consuming N messages, against a bare
// libnats pull consumer consuming the same stream, in the same run. A real nats-server
// (tests/integration/support/nats, -js, file storage) holds a stream of N small JSON messages.
// Each repetition, interleaved so that a noisy moment hits every variant alike, times from the
// start until the last message is acknowledged:
//   - baseline: a bare libnats pull consumer (a new durable consumer, fetches of batch_size,
//     each message acknowledged, the acks flushed after each fetch) that does nothing else;
//   - the source into a sink that takes every batch at once: the source's own cost (fetch, JSON
//     parse, mapping, events, acks);
//   - the source into a real journal (synchronous=full, a fresh file): end to end.
// Then the process's peak RSS. Target (as issue 14's for Kafka and Redis): the source into the
// journal ≥ 0.5 × the bare consumer.
//
//   nats_bench [--smoke] [--messages N] [--repeat R] [--batch B]
#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/instant_store.hpp"
#include "bench/measure.hpp"
#include "bench/source_run.hpp"
#include "core/config/node.hpp"
#include "ingestion/journal/journal.hpp"
#include "ingestion/runtime/source_runtime.hpp"
#include "ingestion/source_registry.hpp"
#include "ingestion/stream/stream_kind.hpp"
#include "tests/integration/support/nats.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;
using bench::Clock;
using bench::RunningSource;
using bench::median;
using bench::seconds_since;

namespace {

struct Options {
  bool smoke = false;
  int messages = 100'000;
  int repeat = 5;
  int batch = 500;
};

int batch_size = 500;  // of every consumer (--batch)
int consumers = 0;  // each run consumes the stream from its start with a consumer of its own

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) throw std::runtime_error(std::string(what) + ": " + natsStatus_GetText(s));
}

double bare_consumer(NatsServer& nats, int messages) {
  const std::string name = "bare-" + std::to_string(++consumers);
  const auto begun = Clock::now();
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, nats.connection(), nullptr), "JetStream");
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = name.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.MaxAckPending = std::max(1000, batch_size);  // as the source makes its consumers
  jsConsumerInfo* info = nullptr;
  check(js_AddConsumer(&info, js, "BENCH", &cc, nullptr, nullptr), "add consumer");
  jsConsumerInfo_Destroy(info);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = "BENCH";
  so.Consumer = name.c_str();
  natsSubscription* sub = nullptr;
  check(js_PullSubscribe(&sub, js, nullptr, name.c_str(), nullptr, &so, nullptr), "pull subscribe");
  for (int taken = 0; taken < messages;) {
    natsMsgList list{};
    const auto s = natsSubscription_Fetch(&list, sub, batch_size, 5000, nullptr);
    if (s == NATS_TIMEOUT) continue;
    check(s, "fetch");
    for (int i = 0; i < list.Count; ++i) check(natsMsg_Ack(list.Msgs[i], nullptr), "ack");
    taken += list.Count;
    natsMsgList_Destroy(&list);
    check(natsConnection_FlushTimeout(nats.connection(), 5000), "flush");
  }
  const double took = seconds_since(begun);
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  return took;
}

config::Node source_config(const NatsServer& nats) {
  const std::string yaml = "sources:\n  - {name: bench, kind: stream, system: nats, servers: [\"" + nats.url() +
                           "\"], user: " + NatsServer::user + ", password: " + NatsServer::password +
                           ", stream: BENCH, consumer: source-" + std::to_string(++consumers) +
                           ", start: earliest, batch_size: " + std::to_string(batch_size) + "}\n";
  auto raw = config::load_string(yaml, "bench.yml");
  if (!raw) throw std::runtime_error(raw.error().message);
  auto validated = ingestion::validate_source((*raw)["sources"].items().at(0));
  if (!validated) throw std::runtime_error(validated.error().message);
  return validated->node;
}

// From start() until the source has acknowledged the last message.
double consume_into(ingestion::SourceStore& store, const NatsServer& nats, int messages) {
  ingestion::SourceServices services;
  auto source = ingestion::stream::stream_source_kind().make(source_config(nats), services);
  if (!source) throw std::runtime_error(source.error().message);
  const auto begun = Clock::now();
  RunningSource running(std::move(*source), store, "stream");
  auto& status = running.runtime().status();
  running.wait_until([&] { return status.committed.load() >= static_cast<std::uint64_t>(messages); }, begun, 600s);
  return seconds_since(begun);
}

double journaled(const NatsServer& nats, const TempDir& dir, int messages) {
  const auto path = dir.path() / ("journal-" + std::to_string(consumers) + ".db");
  ingestion::JournalOptions jo;
  jo.path = path.string();
  auto journal = ingestion::Journal::open(jo);
  if (!journal) throw std::runtime_error(journal.error().message);
  const double took = consume_into(**journal, nats, messages);
  journal->reset();
  for (const auto& suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return took;
}

std::string peak_rss() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:")) return line.substr(6);
  return "?";
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--smoke") o.smoke = true;
    else if (a == "--messages") o.messages = std::stoi(next());
    else if (a == "--repeat") o.repeat = std::stoi(next());
    else if (a == "--batch") o.batch = std::stoi(next());
    else throw std::runtime_error("unknown argument " + a + " (--smoke, --messages N, --repeat R, --batch B)");
  }
  if (o.smoke) {
    o.messages = 2000;
    o.repeat = 1;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  batch_size = o.batch;
  spdlog::set_level(spdlog::level::warn);
  NatsServer nats;
  TempDir dir("chatops-nats-bench");
  nats.add_stream("BENCH", {"bench.>"});
  nats.js_publish_many("bench.alerts", o.messages, [](int i) {
    return R"({"id": )" + std::to_string(i) + R"(, "level": "warning", "text": "disk almost full on host-)" +
           std::to_string(i % 100) + R"("})";
  });
  std::printf(
      "nats_bench: %d JSON messages of about 70 bytes in a JetStream file stream, batches of %d, "
      "%d repetition(s), median\n",
      o.messages, batch_size, o.repeat);
  std::vector<double> bare, instant, journal;
  for (int r = 0; r < o.repeat; ++r) {  // interleaved, so that a noisy moment hits every variant alike
    bare.push_back(bare_consumer(nats, o.messages));
    bench::InstantStore store;
    instant.push_back(consume_into(store, nats, o.messages));
    journal.push_back(journaled(nats, dir, o.messages));
  }
  const double baseline = median(bare);
  const double n = o.messages;
  std::printf("  %-48s %8.3f s  %10.0f msg/s\n", "baseline: bare libnats pull consumer (fetch, ack)", baseline,
              n / baseline);
  auto line = [&](const char* label, double t) {
    std::printf("  %-48s %8.3f s  %10.0f msg/s   ratio %.2f\n", label, t, n / t, baseline / t);
  };
  line("source → instant sink", median(instant));
  line("source → journal (synchronous=full)", median(journal));
  std::printf("  peak RSS of the benchmark process (server outside):%s\n", peak_rss().c_str());
  std::printf("  target: source → journal ≥ 0.5 × baseline\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nats_bench: %s\n", e.what());
  return 1;
}
