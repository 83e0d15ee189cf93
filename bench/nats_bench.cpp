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
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/stream_bench.hpp"
#include "tests/integration/support/nats.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;
using bench::Clock;
using bench::median;
using bench::seconds_since;

namespace {

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

std::string source_entry(const NatsServer& nats) {
  return "{name: bench, kind: stream, system: nats, servers: [\"" + nats.url() + "\"], user: " + NatsServer::user +
         ", password: " + NatsServer::password + ", stream: BENCH, consumer: source-" + std::to_string(++consumers) +
         ", start: earliest, batch_size: " + std::to_string(batch_size) + "}";
}

}  // namespace

int main(int argc, char** argv) try {
  const auto parsed = bench::parse_stream_bench("nats_bench", argc, argv);
  if (!parsed) return 2;
  const auto& o = *parsed;
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
  std::vector<double> bare;
  bench::SourceRounds rounds;
  for (int r = 0; r < o.repeat; ++r) {  // interleaved, so that a noisy moment hits every variant alike
    bare.push_back(bare_consumer(nats, o.messages));
    rounds.run(dir.path(), [&] { return source_entry(nats); }, o.messages);
  }
  bench::print_stream_results("baseline: bare libnats pull consumer (fetch, ack)", bare, rounds, o.messages);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nats_bench: %s\n", e.what());
  return 1;
}
