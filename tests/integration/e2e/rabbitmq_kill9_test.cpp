// Issue 14: a RabbitMQ source is at-least-once upstream and said once (stream_kill9.hpp), against
// a real rabbitmq-server: the deliveries a killed bot had not acknowledged go back to the queue and
// come again, recognised by their dedupe key queue/message_id.
#include <catch2/catch.hpp>

#include "tests/integration/e2e/stream_kill9.hpp"
#include "tests/integration/support/rabbitmq.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

TEST_CASE("kill -9 while consuming a RabbitMQ queue: every message is journaled exactly once",
          "[e2e][stream][rabbitmq][reliability]") {
  auto& broker = shared_rabbitmq();
  broker.declare_queue("builds");
  stream_kill9::run({
      .source = "builds",
      // Small batches: many acknowledgements, so that the kills fall between journal commits and acks.
      .source_keys = "    system: rabbitmq\n"
                     "    host: 127.0.0.1\n"
                     "    port: " + std::to_string(broker.port()) + "\n"
                     "    user: " + RabbitMqServer::user + "\n"
                     "    password: " + RabbitMqServer::password + "\n"
                     "    queue: builds\n"
                     "    batch_size: 50\n"
                     "    prefetch: 200\n"
                     "    backoff: {initial: 50ms, max: 200ms}\n",
      .bind_mask = "rabbitmq/builds",
      .produce =
          [&](int from, int count) {
            std::vector<AmqpMessage> messages;
            for (int i = from; i < from + count; ++i)
              messages.push_back(
                  {.body = "{\"n\": " + std::to_string(i) + "}", .routing_key = "builds", .message_id = std::to_string(i)});
            broker.publish(messages);
          },
      .after =
          [&](BotProcess&) {
            // Everything acknowledged (the last batch's ack follows its commit).
            auto drained = [&] {
              const auto left = broker.counts("builds");
              return left && left->ready == 0 && left->unacknowledged == 0;
            };
            bool done = drained();
            for (auto end = std::chrono::steady_clock::now() + 30s; !done && std::chrono::steady_clock::now() < end;
                 done = drained())
              std::this_thread::sleep_for(200ms);
            CHECK(done);
          },
  });
}
