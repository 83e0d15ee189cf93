// `kind: stream, system: nats` against a real nats-server 2.9 with JetStream started by the test
// (tests/integration/support/nats): the compliance harness on a JetStream durable consumer, core
// subjects with wildcards, token, user/password and NKey authentication, TLS (with a client
// certificate), a missing stream, a server stopped and restarted mid-stream. Each TEST_CASE has
// a server of its own.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <set>

#include "ingestion/stream/stream_kind.hpp"
#include "tests/integration/ingestion/stream/stream_fixture.hpp"
#include "tests/integration/support/nats.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::test;
using namespace std::chrono_literals;
using compliance::eventually;
using compliance::journaled;

namespace {

std::string nats_entry(const NatsServer& nats, const std::string& extra, const std::string& name = "s",
                       const std::string& password = NatsServer::password) {
  return "{name: " + name + ", kind: stream, system: nats, servers: [\"" + nats.url() +
         "\"], user: " + NatsServer::user + ", password: \"" + password + "\", backoff: {initial: 100ms, max: 500ms}" +
         extra + "}";
}

}  // namespace

TEST_CASE("NATS JetStream sources pass the compliance harness", "[stream][nats][compliance]") {
  NatsServer nats;
  nats.add_stream("ALERTS", {"alerts.>"});
  int produced = 0;
  const auto kind = stream::stream_source_kind();
  compliance::Subject subject{
      .kind = kind,
      .config_yaml = nats_entry(nats, ", stream: ALERTS, start: earliest, ack_wait: 2s", "compliance"),
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i, ++produced)
                           nats.js_publish("alerts.disk", R"({"n": )" + std::to_string(produced) + "}");
                       },
                   .acknowledged = [&]() -> std::optional<std::size_t> {
                     return nats.acked("ALERTS", "chatops-compliance").value_or(0);
                   }},
      .topic_prefix = "nats/",
  };
  compliance::run_compliance(subject);
}

TEST_CASE(
    "NATS JetStream: a message's subject is its topic, its stream and sequence are fields and its dedupe key, "
    "it is acknowledged after the commit",
    "[stream][nats]") {
  NatsServer nats;
  nats.add_stream("DEPLOYS", {"deploys.*"});
  const auto first = nats.js_publish("deploys.api", R"({"service": "api", "version": "1.2"})");
  nats.js_publish("deploys.web", R"({"service": "web", "version": "3"})");
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", stream: DEPLOYS, subjects: [deploys.api], start: earliest"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  const auto e = journaled(*f.journal).at(0);
  CHECK(e.topic == "nats/deploys.api");
  CHECK(e.dedupe_key == "DEPLOYS/" + std::to_string(first));
  CHECK(e.fields["service"] == "api");
  CHECK(e.fields["nats"]["subject"] == "deploys.api");
  CHECK(e.fields["nats"]["stream"] == "DEPLOYS");
  CHECK(e.fields["nats"]["sequence"] == first);
  CHECK(payload_text(e) == R"({"service": "api", "version": "1.2"})");
  CHECK(eventually([&] { return nats.acked("DEPLOYS", "chatops-s").value_or(0) >= first; }, 30s));
  CHECK(nats.ack_pending("DEPLOYS", "chatops-s") == 0);
}

TEST_CASE("NATS JetStream: messages that are not JSON or too large are skipped and acknowledged", "[stream][nats]") {
  NatsServer nats;
  nats.add_stream("JOBS", {"jobs"});
  nats.js_publish("jobs", R"({"n": 1})");
  nats.js_publish("jobs", "{not json");
  nats.js_publish("jobs", R"({"big": ")" + std::string(2000, 'x') + R"("})");
  nats.js_publish("jobs", R"({"n": 2})");
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", stream: JOBS, start: earliest, max_message_size: 1KiB"));
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  CHECK(journaled(*f.journal).at(1).fields["n"] == 2);
  CHECK(eventually([&] { return nats.acked("JOBS", "chatops-s") == 4u; }, 30s));
  CHECK(r->runtime.status().failed.load() == 2);
}

TEST_CASE("NATS core: subjects with wildcards, text messages and headers, nothing kept from before the subscription",
          "[stream][nats]") {
  NatsServer nats;
  nats.publish("logs.web.error", "before the bot subscribed");  // core NATS keeps nothing
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", subjects: [\"logs.*.error\", \"audit.>\"], format: text"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
  nats.publish("logs.web.error", "disk full", {{"Host", "web-1"}});
  nats.publish("logs.web.info", "not subscribed");
  nats.publish("audit.login.alice", "alice logged in");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  std::this_thread::sleep_for(300ms);  // and nothing more
  auto events = journaled(*f.journal);
  REQUIRE(events.size() == 2);
  // Each subscription delivers on its own: no order between subjects of different ones.
  std::ranges::sort(events, std::greater{}, &IngestionEvent::topic);
  CHECK(events.at(0).topic == "nats/logs.web.error");
  CHECK(events.at(0).fields["text"] == "disk full");
  CHECK(events.at(0).fields["nats"]["headers"]["Host"] == "web-1");
  CHECK(events.at(0).dedupe_key.empty());
  CHECK(events.at(1).topic == "nats/audit.login.alice");
}

TEST_CASE("NATS core: the topic can come from a header, the dedupe key from the message", "[stream][nats]") {
  NatsServer nats;
  StreamFixture f;
  auto r =
      f.run(nats_entry(nats, ", subjects: [events], topic_header: Event-Type, topic_prefix: \"app/\", dedupe: /id"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
  nats.publish("events", R"({"id": "a1"})", {{"Event-Type", "signup"}});
  nats.publish("events", R"({"id": "a1"})", {{"Event-Type", "signup"}});  // published twice
  nats.publish("events", R"({"id": "a2"})", {{"Event-Type", "signup"}});
  REQUIRE(eventually([&] { return r->runtime.status().skipped.load() + journaled(*f.journal).size() == 3; }, 30s));
  const auto events = journaled(*f.journal);
  REQUIRE(events.size() == 2);
  CHECK(events.at(0).topic == "app/signup");
  CHECK(events.at(1).fields["id"] == "a2");
}

TEST_CASE("NATS JetStream: the server stops mid-stream and restarts, the source reconnects and nothing is lost",
          "[stream][nats]") {
  NatsServer nats;
  nats.add_stream("JOBS", {"jobs.>"});
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", stream: JOBS, start: earliest, ack_wait: 2s, batch_size: 10"));
  for (int n = 0; n < 100; ++n) nats.js_publish("jobs.run", R"({"n": )" + std::to_string(n) + "}");
  REQUIRE(eventually([&] { return !journaled(*f.journal).empty(); }, 30s));
  nats.stop();
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
  nats.start();
  for (int n = 100; n < 200; ++n) nats.js_publish("jobs.run", R"({"n": )" + std::to_string(n) + "}");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() >= 200; }, 30s));
  std::set<int> seen;
  for (const auto& e : journaled(*f.journal)) CHECK(seen.insert(e.fields["n"].get<int>()).second);
  CHECK(seen.size() == 200);
  CHECK(eventually([&] { return nats.acked("JOBS", "chatops-s") == 200u; }, 30s));
  CHECK(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
}

TEST_CASE("NATS: a missing JetStream stream leaves the source Failed as a configuration error", "[stream][nats]") {
  NatsServer nats;
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", stream: NOPE"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
  const auto status = r->runtime.status().snapshot();
  CHECK(status.error_kind == ErrorKind::Configuration);
  CHECK_THAT(status.last_error, Catch::Contains("NOPE"));
}

TEST_CASE("NATS: a wrong password leaves the source Failed, and the password is not in its error", "[stream][nats]") {
  NatsServer nats;
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", subjects: [x]", "s", "not-the-pa55word"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
  const auto status = r->runtime.status().snapshot();
  CHECK(status.error_kind == ErrorKind::Configuration);
  CHECK_THAT(status.last_error, Catch::Contains("uthorization") && !Catch::Contains("not-the-pa55word"));
}

TEST_CASE("NATS: a stopped server is a transient error, retried until it is there", "[stream][nats]") {
  NatsServer nats;
  nats.add_stream("JOBS", {"jobs"});
  nats.stop();
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", stream: JOBS, start: earliest"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
  CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Transient);
  nats.start();
  nats.js_publish("jobs", R"({"n": 1})");
  CHECK(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
}

TEST_CASE("NATS: token authentication", "[stream][nats]") {
  NatsServer nats(NatsServerOptions{.auth = NatsServerOptions::Auth::Token});
  nats.add_stream("JOBS", {"jobs"});
  nats.js_publish("jobs", R"({"n": 1})");
  StreamFixture f;
  auto r = f.run("{name: s, kind: stream, system: nats, servers: [\"" + nats.url() + "\"], token: \"" +
                 NatsServer::token + "\", stream: JOBS, start: earliest}");
  CHECK(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
}

TEST_CASE("NATS: NKey authentication with a seed file", "[stream][nats]") {
  NatsServer nats(NatsServerOptions{.auth = NatsServerOptions::Auth::Nkey});
  nats.add_stream("JOBS", {"jobs"});
  nats.js_publish("jobs", R"({"n": 1})");
  StreamFixture f;
  auto r =
      f.run("{name: s, kind: stream, system: nats, servers: [\"" + nats.url() + "\"], nkey: " + nats.nkey().public_key +
            ", nkey_seed_file: " + nats.nkey_seed_file().string() + ", stream: JOBS, start: earliest}");
  CHECK(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  SECTION("another user's key is refused") {
    const auto other = make_user_nkey();
    TempDir dir("chatops-nats-nkey");
    const auto seed = dir.write("other.nk", other.seed);
    auto refused =
        f.run("{name: t, kind: stream, system: nats, servers: [\"" + nats.url() + "\"], nkey: " + other.public_key +
                  ", nkey_seed_file: " + seed.string() + ", subjects: [x]}",
              "t");
    REQUIRE(eventually([&] { return refused->runtime.status().state() == SourceState::Failed; }, 30s));
    CHECK(refused->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
  }
}

TEST_CASE("NATS: TLS with the server's CA and a client certificate", "[stream][nats]") {
  NatsServer nats(NatsServerOptions{.tls = true, .verify_clients = true});
  nats.add_stream("JOBS", {"jobs"});
  nats.js_publish("jobs", R"({"n": 1})");
  StreamFixture f;
  const std::string base = "{name: s, kind: stream, system: nats, servers: [\"" + nats.url() +
                           "\"], user: " + NatsServer::user + ", password: " + NatsServer::password +
                           ", stream: JOBS, start: earliest, backoff: {initial: 100ms, max: 500ms}";
  SECTION("trusted, with the client certificate: consumed") {
    auto r = f.run(base + ", ca_file: " + nats.ca_file().string() + ", cert_file: " + nats.client_cert().cert.string() +
                   ", key_file: " + nats.client_cert().key.string() + "}");
    CHECK(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  }
  SECTION("a certificate for another name: refused, a configuration error") {
    auto r = f.run(base + ", ca_file: " + nats.ca_file().string() + ", cert_file: " + nats.client_cert().cert.string() +
                   ", key_file: " + nats.client_cert().key.string() + ", tls_hostname: nats.example.org}");
    REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
  }
  SECTION("without the CA: the certificate is not trusted, a configuration error") {
    auto r = f.run(base + ", tls: true, cert_file: " + nats.client_cert().cert.string() +
                   ", key_file: " + nats.client_cert().key.string() + "}");
    REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Failed; }, 30s));
    CHECK(r->runtime.status().snapshot().error_kind == ErrorKind::Configuration);
  }
}

TEST_CASE("NATS core: the server restarts, the source subscribes again and goes on", "[stream][nats]") {
  NatsServer nats;
  StreamFixture f;
  auto r = f.run(nats_entry(nats, ", subjects: [\"jobs.>\"]"));
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
  nats.publish("jobs.a", R"({"n": 1})");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
  nats.stop();
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Retrying; }, 30s));
  nats.start();
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
  nats.publish("jobs.b", R"({"n": 2})");
  REQUIRE(eventually([&] { return journaled(*f.journal).size() == 2; }, 30s));
  CHECK(journaled(*f.journal).at(1).topic == "nats/jobs.b");
}

TEST_CASE("NATS: a credentials file (user JWT and seed) on a server in operator mode", "[stream][nats]") {
  NatsServer nats(NatsServerOptions{.auth = NatsServerOptions::Auth::Credentials});
  StreamFixture f;
  auto r = f.run("{name: s, kind: stream, system: nats, servers: [\"" + nats.url() +
                 "\"], credentials_file: " + nats.credentials_file().string() + ", subjects: [jobs]}");
  REQUIRE(eventually([&] { return r->runtime.status().state() == SourceState::Running; }, 30s));
  nats.publish("jobs", R"({"n": 1})");
  CHECK(eventually([&] { return journaled(*f.journal).size() == 1; }, 30s));
}
