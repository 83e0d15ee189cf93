// `kind: stream, system: rabbitmq` against a real rabbitmq-server started by the test
// (tests/integration/support/rabbitmq): the compliance harness, a message's envelope as fields and
// its message_id as dedupe key, text payloads, unreadable messages skipped and acknowledged,
// declarations, amqps, errors classified (wrong credentials, a missing queue: configuration), a
// broker stopped and restarted mid-stream. Tests share one broker per test process (Erlang starts
// slowly), each with queues of its own; the restart test has its own broker.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "ingestion/stream/stream_kind.hpp"
#include "tests/integration/ingestion/stream/stream_fixture.hpp"
#include "tests/integration/support/rabbitmq.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::test;
using namespace std::chrono_literals;
using compliance::eventually;
using compliance::journaled;

namespace {

std::string rabbitmq_entry(const RabbitMqServer& broker, const std::string& queue, const std::string& extra = "",
                           const std::string& name = "s", const std::string& password = RabbitMqServer::password) {
  return "{name: " + name + ", kind: stream, system: rabbitmq, host: 127.0.0.1, port: " + std::to_string(broker.port()) +
         ", user: " + RabbitMqServer::user + ", password: \"" + password + "\", queue: " + queue +
         ", backoff: {initial: 100ms, max: 500ms}" + extra + "}";
}

// Messages the broker no longer holds for the queue: acknowledged by its consumer.
std::size_t rabbitmq_acknowledged(RabbitMqServer& broker, const std::string& queue, std::size_t published) {
  const auto c = broker.counts(queue);
  return c ? published - static_cast<std::size_t>(c->ready + c->unacknowledged) : 0;
}

}  // namespace

TEST_CASE("RabbitMQ sources pass the compliance harness", "[stream][rabbitmq][compliance]") {
  auto& broker = shared_rabbitmq();
  const auto queue = unique_queue("compliance");
  broker.declare_queue(queue);
  std::size_t produced = 0;
  const auto kind = stream::stream_source_kind();
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = rabbitmq_entry(broker, queue, "", "compliance"),
      .upstream = {.produce =
                       [&](int n) {
                         std::vector<AmqpMessage> messages;
                         for (int i = 0; i < n; ++i, ++produced)
                           messages.push_back({.body = "{\"n\": " + std::to_string(produced) + "}",
                                               .routing_key = queue,
                                               .message_id = "m-" + std::to_string(produced)});
                         broker.publish(messages);
                       },
                   .acknowledged = [&]() -> std::optional<std::size_t> {
                     return rabbitmq_acknowledged(broker, queue, produced);
                   }},
      .topic_prefix = "rabbitmq/",
      .deadline = 30s,
  };
  compliance::run_compliance(subject);
}

TEST_CASE("RabbitMQ: a message's exchange, routing key, id and headers are fields, its message_id the dedupe key",
          "[stream][rabbitmq]") {
  auto& broker = shared_rabbitmq();
  const auto queue = unique_queue("deploys");
  const auto exchange = unique_queue("events");
  StreamFixture f;
  auto r = f.run(rabbitmq_entry(broker, queue,
                                ", declare: {exchange: " + exchange + ", routing_keys: [\"deploy.#\"]}, topic_header: kind, "
                                "topic_prefix: \"ops/\""));
  // Declared by the source: the queue, the exchange and the binding, then it consumes. The
  // consumer, not the queue, says the binding is there (a message published before it is dropped).
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
  REQUIRE(eventually([&] { return broker.counts(queue).value_or(RabbitMqServer::Counts{}).consumers == 1; }, 60s));
  const AmqpMessage deploy{.body = R"({"service": "api", "version": "1.2"})",
                           .routing_key = "deploy.api",
                           .exchange = exchange,
                           .message_id = "d-1",
                           .headers = {{"kind", "deploy"}}};
  broker.publish({deploy, deploy,  // the same message twice: said once
                  {.body = R"({"service": "db"})", .routing_key = "other.db", .exchange = exchange, .message_id = "d-2"}});
  REQUIRE(eventually([&] { return r->runtime.duplicates() == 1; }, 30s));
  std::this_thread::sleep_for(300ms);  // the unbound routing key never comes
  const auto events = journaled(*f.journal);
  REQUIRE(events.size() == 1);
  const auto& e = events.at(0);
  CHECK(e.topic == "ops/deploy");
  CHECK(e.dedupe_key == queue + "/d-1");
  CHECK(e.fields["service"] == "api");
  CHECK(e.fields["rabbitmq"]["queue"] == queue);
  CHECK(e.fields["rabbitmq"]["exchange"] == exchange);
  CHECK(e.fields["rabbitmq"]["routing_key"] == "deploy.api");
  CHECK(e.fields["rabbitmq"]["message_id"] == "d-1");
  CHECK(e.fields["rabbitmq"]["content_type"] == "application/json");
  CHECK(e.fields["rabbitmq"]["redelivered"] == false);
  CHECK(e.fields["rabbitmq"]["headers"] == nlohmann::json{{"kind", "deploy"}});
  CHECK(payload_text(e) == R"({"service": "api", "version": "1.2"})");
  CHECK(eventually([&] { return rabbitmq_acknowledged(broker, queue, 2) == 2; }, 30s));
}

TEST_CASE("RabbitMQ: text messages become the field `text`, unreadable ones are skipped, counted and acknowledged",
          "[stream][rabbitmq]") {
  auto& broker = shared_rabbitmq();
  const auto queue = unique_queue("logs");
  broker.declare_queue(queue);
  broker.publish(queue, "disk /var at 91%");
  broker.publish(queue, std::string("bad \xff\xfe bytes"));
  broker.publish(queue, std::string(2000, 'x'));
  broker.publish(queue, "line two\r\nPRIVMSG #ops :injected");
  StreamFixture f;
  auto r = f.run(rabbitmq_entry(broker, queue, ", format: text, max_message_size: 1KiB"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  const auto events = journaled(*f.journal);
  CHECK(events.at(0).topic == "rabbitmq/" + queue);
  CHECK(events.at(0).fields["text"] == "disk /var at 91%");
  CHECK(events.at(0).dedupe_key.empty());  // no message_id, no dedupe pointer
  CHECK(events.at(1).fields["text"] == "line two\r\nPRIVMSG #ops :injected");  // rendered inert when said
  CHECK(eventually([&] { return r->runtime.status().failed.load() == 2; }, 30s));
  CHECK(eventually([&] { return rabbitmq_acknowledged(broker, queue, 4) == 4; }, 30s));
  CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains(queue + " delivery"));
}

TEST_CASE("RabbitMQ: the broker sends no more than prefetch ahead of the acknowledgements", "[stream][rabbitmq]") {
  auto& broker = shared_rabbitmq();
  const auto queue = unique_queue("prefetch");
  broker.declare_queue(queue);
  ingestion::testing::TempDir dir;
  const auto path = dir.file("j.db");
  auto journal = ingestion::testing::open_journal(path);
  const auto kind = stream::stream_source_kind();
  compliance::Subject subject{.kind = kind, .config_yaml = rabbitmq_entry(broker, queue, ", prefetch: 5, batch_size: 5")};
  compliance::Running r(subject, *journal, "s");
  // The journal refuses: nothing is acknowledged, and the consumer holds at most `prefetch`.
  SQLite::Database(path, SQLite::OPEN_READWRITE, 5000)
      .exec("CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  std::vector<AmqpMessage> messages;
  for (int i = 0; i < 20; ++i)
    messages.push_back({.body = "{\"n\": " + std::to_string(i) + "}", .routing_key = queue, .message_id = std::to_string(i)});
  broker.publish(messages);
  r.start();
  REQUIRE(eventually([&] { return r.runtime.refused() >= 1; }, 30s));
  const auto held = broker.counts(queue);
  REQUIRE(held);
  CHECK(held->unacknowledged <= 5);
  CHECK(held->ready + held->unacknowledged == 20);
  SQLite::Database(path, SQLite::OPEN_READWRITE, 5000).exec("DROP TRIGGER disk_full");
  REQUIRE(eventually([&] { return journaled(*journal).size() == 20; }, 30s));
  CHECK(eventually([&] { return rabbitmq_acknowledged(broker, queue, 20) == 20; }, 30s));
}

TEST_CASE("RabbitMQ: a wrong password leaves the source Failed, and the password is not in its error",
          "[stream][rabbitmq]") {
  auto& broker = shared_rabbitmq();
  StreamFixture f;
  auto r = f.run(rabbitmq_entry(broker, unique_queue(), "", "s", "not-the-pa55word"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
  const auto status = r->runtime.status().snapshot();
  CHECK(status.error_kind == ErrorKind::Configuration);
  CHECK_THAT(status.last_error, Catch::Contains("403") && !Catch::Contains("not-the-pa55word"));
}

TEST_CASE("RabbitMQ: a missing queue without declare leaves the source Failed", "[stream][rabbitmq]") {
  auto& broker = shared_rabbitmq();
  StreamFixture f;
  auto r = f.run(rabbitmq_entry(broker, unique_queue("missing")));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
  const auto status = r->runtime.status().snapshot();
  CHECK(status.error_kind == ErrorKind::Configuration);
  CHECK_THAT(status.last_error, Catch::Contains("404"));
}

TEST_CASE("RabbitMQ: amqps with the broker's CA consumes, with another CA the source is Failed", "[stream][rabbitmq]") {
  auto& broker = shared_rabbitmq();
  const auto queue = unique_queue("tls");
  broker.declare_queue(queue);
  auto tls_entry = [&](const std::filesystem::path& ca) {
    return "{name: s, kind: stream, system: rabbitmq, host: localhost, port: " + std::to_string(broker.tls_port()) +
           ", user: " + RabbitMqServer::user + ", password: \"" + RabbitMqServer::password + "\", queue: " + queue +
           ", tls: {ca_file: \"" + ca.string() + "\"}, backoff: {initial: 100ms, max: 500ms}}";
  };
  SECTION("the broker's CA") {
    broker.publish(queue, R"({"over": "tls"})", "t-1");
    StreamFixture f;
    auto r = f.run(tls_entry(broker.ca_file()));
    REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
    CHECK(journaled(*f.journal).at(0).fields["over"] == "tls");
  }
  SECTION("another CA") {
    TempDir other_dir("chatops-other-ca");
    TestCa other(other_dir.path(), "another CA");
    StreamFixture f;
    auto r = f.run(tls_entry(other.ca_cert()));
    REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
  }
}

TEST_CASE("RabbitMQ: the broker stops mid-stream and restarts, the source reconnects and loses nothing",
          "[stream][rabbitmq]") {
  RabbitMqServer broker;  // its own: restarted
  const std::string queue = "jobs";
  StreamFixture f;
  auto r = f.run(rabbitmq_entry(broker, queue, ", declare: {queue: true}, batch_size: 20"));
  REQUIRE(eventually([&] { return broker.counts(queue).has_value(); }, 30s));
  auto publish = [&](int from, int n) {
    std::vector<AmqpMessage> messages;
    for (int i = from; i < from + n; ++i)
      messages.push_back({.body = "{\"n\": " + std::to_string(i) + "}", .routing_key = queue, .message_id = std::to_string(i)});
    broker.publish(messages);
  };
  publish(0, 300);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() >= 20; }, 30s));
  broker.stop();  // mid-stream: some delivered and not acknowledged, some not delivered yet
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
  broker.start();
  publish(300, 100);
  REQUIRE(eventually([&] { return journaled(*f.journal).size() >= 400; }, 60s));
  std::this_thread::sleep_for(500ms);  // absence: nothing more comes
  const auto events = journaled(*f.journal);
  std::set<int> seen;
  for (const auto& e : events) seen.insert(e.fields["n"].get<int>());
  CHECK(events.size() == 400);
  CHECK(seen.size() == 400);
  CHECK(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
  // Everything acknowledged: the queue holds nothing, ready or delivered.
  CHECK(eventually(
      [&] {
        const auto c = broker.counts(queue);
        return c && c->ready == 0 && c->unacknowledged == 0;
      },
      10s));
}
