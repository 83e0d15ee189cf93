// Issue 14: a NATS JetStream source is at-least-once upstream and said once. The built bot reads a
// stream of a real nats-server while 10,000 messages stream in, and is killed with SIGKILL at
// random moments while it reads (between a batch's journal commit and its acks, among others) and
// started again; what it had fetched and not acknowledged is redelivered after ack_wait, and in the
// end its journal holds every message exactly once (the redelivered ones are recognised by their
// dedupe key stream/sequence).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/stream_kill9.hpp"
#include "tests/integration/support/nats.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("kill -9 while reading a NATS JetStream stream: every message is journaled exactly once",
          "[e2e][stream][nats][reliability]") {
  constexpr int kTotal = 10000;
  NatsServer nats;
  nats.add_stream("JOBS", {"jobs.>"});
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-nats-kill9");
  BotConfig config;
  config.irc_port = ircd.port();
  config.log = "{level: info}";
  config.flood = "{burst: 100, rate: 100}";
  // Small batches: many acks, so that the kills fall between journal commits and acks; a short
  // ack_wait, so that what a killed run fetched comes back soon.
  config.sources = "  - name: jobs\n"
                   "    kind: stream\n"
                   "    system: nats\n"
                   "    servers: [\"" + nats.url() + "\"]\n"
                   "    user: " + NatsServer::user + "\n"
                   "    password: " + NatsServer::password + "\n"
                   "    stream: JOBS\n"
                   "    start: earliest\n"
                   "    ack_wait: 2s\n"
                   "    batch_size: 50\n"
                   "    backoff: {initial: 50ms, max: 200ms}\n";
  config.binds = "  - {type: stream, mask: \"nats/jobs.*\", say: {to: [\"#ops\"], template: \"job {{n}}\"}}\n";
  BotProcess bot(dir, bot_config_yaml(config));
  const auto journal = dir.path() / "chatops.db";

  // 10,000 messages over about 10 s, so that every run of the bot reads some of them.
  std::atomic<int> produced{0}, killed{0};
  std::thread producer([&] {
    while (produced < kTotal) {
      stream_kill9::keep_pace_with_kills(produced, kTotal, killed);
      for (int i = 0; i < 50; ++i) nats.js_publish("jobs.run", R"({"n": )" + std::to_string(produced + i) + "}");
      produced += 50;
      std::this_thread::sleep_for(50ms);
    }
  });
  const int kills = stream_kill9::kill_while_consuming(bot, journal, "jobs", produced, kTotal, killed);
  producer.join();
  REQUIRE(produced == kTotal);
  CHECK(kills >= stream_kill9::kMinKills);

  stream_kill9::each_journaled_once(journal, "jobs", kTotal);
  // And the last run acknowledged everything.
  for (auto end = std::chrono::steady_clock::now() + 30s;
       nats.acked("JOBS", "chatops-jobs") != std::uint64_t{kTotal} && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(100ms);
  CHECK(nats.acked("JOBS", "chatops-jobs") == std::uint64_t{kTotal});
}
