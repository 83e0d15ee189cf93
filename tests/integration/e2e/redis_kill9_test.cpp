// Issue 14: a Redis Streams source is at-least-once upstream and said once (stream_kill9.hpp),
// against a real redis-server: after each restart the consumer reads its own pending entries
// first, and the re-read ones are recognised by their dedupe key stream/entry id.
#include <catch2/catch.hpp>

#include "tests/integration/e2e/stream_kill9.hpp"
#include "tests/integration/support/redis.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("kill -9 while reading a Redis stream: every entry is journaled exactly once",
          "[e2e][stream][redis][reliability]") {
  RedisServer redis;
  stream_kill9::run({
      .source = "jobs",
      // Small batches: many XACKs, so that the kills fall between journal commits and XACKs.
      .source_keys = "    system: redis\n"
                     "    host: 127.0.0.1\n"
                     "    port: " + std::to_string(redis.port()) + "\n"
                     "    user: " + RedisServer::user + "\n"
                     "    password: " + RedisServer::password + "\n"
                     "    streams: [jobs]\n"
                     "    start: earliest\n"
                     "    batch_size: 50\n"
                     "    backoff: {initial: 50ms, max: 200ms}\n",
      .bind_mask = "redis/jobs",
      .produce =
          [&](int from, int count) {
            for (int i = from; i < from + count; ++i) redis.command({"XADD", "jobs", "*", "n", std::to_string(i)});
          },
      // The last batch is acknowledged after its commit, once the source's next receive returns
      // (one batch in flight): soon after it is journaled, not at the same moment.
      .after =
          [&](BotProcess&) {
            const auto none_pending = [&] { return redis.command({"XPENDING", "jobs", "chatops-jobs"}).starts_with("0"); };
            for (auto end = std::chrono::steady_clock::now() + 10s; !none_pending() && std::chrono::steady_clock::now() < end;)
              std::this_thread::sleep_for(50ms);
            CHECK(none_pending());
          },
  });
}
