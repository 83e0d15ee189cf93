// The Redis Streams source (`kind: stream, system: redis`) consuming N stream entries, against a
// bare hiredis consumer in the same run. A real redis-server (tests/integration/support/redis,
// its own process on a free port) holds a stream of N entries of three fields (about 70 bytes).
// Each repetition, interleaved so that a noisy moment hits every variant alike, times from the
// start until the last entry is acknowledged, each with a consumer group of its own read from 0:
//   - baseline: a bare hiredis loop, XREADGROUP … COUNT batch STREAMS bench > then one XACK of the
//     ids it got, until none is left: the same library, commands and batch as the source, nothing
//     else (redis-cli in a shell loop would mostly measure process starts and text output);
//   - the source into a sink that takes every batch at once (XREADGROUP, fields to JSON, parse,
//     mapping, events, XACK): its own cost;
//   - the source into a real journal (synchronous=full, a fresh file): end to end.
// Then the peak RSS of the journal run and where the CPU went, by thread. Target (issue 14): the
// source into the journal ≥ 0.5 × the bare loop.
//
//   redis_bench [--smoke] [--messages N] [--repeat R] [--batch B]
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/stream_bench.hpp"
#include "tests/integration/support/redis.hpp"

using namespace chatops;
using namespace chatops::test;
using bench::Clock;
using bench::median;
using bench::seconds_since;

namespace {

constexpr const char* kStream = "bench";

using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;
using Context = std::unique_ptr<redisContext, decltype(&redisFree)>;

Reply command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  Reply r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())),
          freeReplyObject);
  if (!r) throw std::runtime_error(std::string("redis: ") + c->errstr);
  if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("redis " + args.at(0) + ": " + std::string(r->str, r->len));
  return r;
}

Context connect(const RedisServer& redis) {
  Context c(redisConnect("127.0.0.1", redis.port()), redisFree);
  if (!c || c->err) throw std::runtime_error("cannot connect to redis");
  command(c.get(), {"AUTH", RedisServer::user, RedisServer::password});
  return c;
}

// N entries, pipelined in chunks of 1,000.
void fill(const RedisServer& redis, int messages) {
  auto c = connect(redis);
  for (int done = 0; done < messages;) {
    const int chunk = std::min(1000, messages - done);
    for (int i = done; i < done + chunk; ++i) {
      const std::string id = std::to_string(i), text = "disk almost full on host-" + std::to_string(i % 100);
      const char* argv[] = {"XADD", kStream, "*", "id", id.c_str(), "level", "warning", "text", text.c_str()};
      redisAppendCommandArgv(c.get(), 9, argv, nullptr);
    }
    for (int i = 0; i < chunk; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c.get(), &raw) != REDIS_OK) throw std::runtime_error("XADD failed");
      freeReplyObject(raw);
    }
    done += chunk;
  }
}

int groups = 0;  // each run reads the stream from its start in a group of its own

std::string new_group(const RedisServer& redis) {
  const std::string group = "bench-" + std::to_string(++groups);
  auto c = connect(redis);
  command(c.get(), {"XGROUP", "CREATE", kStream, group, "0"});
  return group;
}

double bare_consumer(const RedisServer& redis, int messages, int batch) {
  const std::string group = new_group(redis);
  const auto begun = Clock::now();
  auto c = connect(redis);
  for (int taken = 0; taken < messages;) {
    auto r = command(c.get(), {"XREADGROUP", "GROUP", group, "bare", "COUNT", std::to_string(batch), "STREAMS",
                               kStream, ">"});
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) continue;
    const auto& entries = *r->element[0]->element[1];
    std::vector<std::string> ack{"XACK", kStream, group};
    for (std::size_t i = 0; i < entries.elements; ++i)
      ack.emplace_back(entries.element[i]->element[0]->str, entries.element[i]->element[0]->len);
    command(c.get(), ack);
    taken += static_cast<int>(entries.elements);
  }
  return seconds_since(begun);
}

std::string source_entry(const RedisServer& redis, int batch) {
  return "{name: bench, kind: stream, system: redis, host: 127.0.0.1, port: " + std::to_string(redis.port()) +
         ", user: " + RedisServer::user + ", password: " + RedisServer::password + ", streams: [" + kStream +
         "], group: " + new_group(redis) + ", batch_size: " + std::to_string(batch) + "}";
}

}  // namespace

int main(int argc, char** argv) try {
  const auto parsed = bench::parse_stream_bench("redis_bench", argc, argv);
  if (!parsed) return 2;
  const auto& o = *parsed;
  spdlog::set_level(spdlog::level::warn);
  RedisServer redis;
  TempDir dir("chatops-redis-bench");
  fill(redis, o.messages);
  std::printf(
      "redis_bench: a stream of %d entries of 3 fields (about 70 bytes) on redis-server (another process), "
      "batches of %d, %d repetition(s), median\n",
      o.messages, o.batch, o.repeat);
  std::vector<double> bare;
  bench::SourceRounds rounds;
  for (int r = 0; r < o.repeat; ++r) {  // interleaved, so that a noisy moment hits every variant alike
    bare.push_back(bare_consumer(redis, o.messages, o.batch));
    rounds.run(dir.path(), [&] { return source_entry(redis, o.batch); }, o.messages);
  }
  bench::print_stream_results("baseline: hiredis XREADGROUP + XACK loop", bare, rounds, o.messages);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "redis_bench: %s\n", e.what());
  return 1;
}
