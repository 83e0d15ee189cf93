// Issue 14: a Redis Streams source is at-least-once upstream and said once. The built bot reads a
// stream of a real redis-server while 10,000 entries stream in, and is killed with SIGKILL at
// random moments while it reads (between a batch's journal commit and its XACK, among others) and
// started again; it reads its own pending entries first, and in the end its journal holds every
// entry exactly once (the re-read ones are recognised by their dedupe key stream/entry id).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/stream_kill9.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/redis.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("kill -9 while reading a Redis stream: every entry is journaled exactly once",
          "[e2e][stream][redis][reliability]") {
  constexpr int kTotal = 10000;
  RedisServer redis;
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-redis-kill9");
  BotConfig config;
  config.irc_port = ircd.port();
  config.log = "{level: info}";
  config.flood = "{burst: 100, rate: 100}";
  // Small batches: many XACKs, so that the kills fall between journal commits and XACKs.
  config.sources = "  - name: jobs\n"
                   "    kind: stream\n"
                   "    system: redis\n"
                   "    host: 127.0.0.1\n"
                   "    port: " + std::to_string(redis.port()) + "\n"
                   "    user: " + RedisServer::user + "\n"
                   "    password: " + RedisServer::password + "\n"
                   "    streams: [jobs]\n"
                   "    start: earliest\n"
                   "    batch_size: 50\n"
                   "    backoff: {initial: 50ms, max: 200ms}\n";
  config.binds = "  - {type: stream, mask: \"redis/jobs\", say: {to: [\"#ops\"], template: \"job {{n}}\"}}\n";
  BotProcess bot(dir, bot_config_yaml(config));
  const auto journal = dir.path() / "chatops.db";

  // 10,000 entries over about 10 s, so that every run of the bot reads some of them.
  std::atomic<int> produced{0};
  std::thread producer([&] {
    while (produced < kTotal) {
      for (int i = 0; i < 50; ++i) redis.command({"XADD", "jobs", "*", "n", std::to_string(produced + i)});
      produced += 50;
      std::this_thread::sleep_for(50ms);
    }
  });
  const int kills = stream_kill9::kill_while_consuming(bot, journal, "jobs", produced, kTotal);
  producer.join();
  REQUIRE(produced == kTotal);
  CHECK(kills >= 2);

  stream_kill9::each_journaled_once(journal, "jobs", kTotal);
  CHECK(redis.command({"XPENDING", "jobs", "chatops-jobs"}).starts_with("0"));
}
