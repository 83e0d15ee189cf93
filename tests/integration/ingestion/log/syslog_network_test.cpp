// Issue 13: syslog over the network (`kind: log` with `listen:`), sent by real senders — Debian's
// logger(1) over UDP and TCP, RFC 5424 and RFC 3164, octet-counted and LF-framed, and rsyslog
// forwarding — and by hostile ones: oversized frames, endless lines, malformed lengths and
// priorities, slow senders, more connections than allowed, idle connections.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "ingestion/log/log_source.hpp"
#include "tests/integration/support/process.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace std::chrono_literals;
using test::compliance::eventually;
using test::compliance::journaled;

namespace {

// A connected socket to 127.0.0.1:port (SOCK_STREAM or SOCK_DGRAM); -1 when refused.
int syslog_socket(int port, int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  const auto to = test::loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Whether the peer closed `fd` (reads until EOF or the timeout).
bool closed_by_peer(int fd, std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c;
  for (;;) {
    const auto n = ::recv(fd, &c, 1, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

struct SyslogNetFixture {
  ingestion::SourceKind kind = ingestion::log::log_source_kind();
  int port = test::free_port();
  ingestion::testing::TempDir journal_dir;
  std::unique_ptr<ingestion::Journal> journal = ingestion::testing::open_journal(journal_dir.file("j.db"));
  std::unique_ptr<test::compliance::Subject> subject;
  std::unique_ptr<test::compliance::Running> running;

  void run(const std::string& listen_extra = "", const std::string& extra = "") {
    const auto at = "127.0.0.1:" + std::to_string(port);
    subject = std::make_unique<test::compliance::Subject>(test::compliance::Subject{
        .kind = kind,
        .config_yaml = "{name: net, kind: log, format: syslog, listen: {udp: \"" + at + "\", tcp: \"" + at + "\"" +
                       listen_extra + "}" + extra + "}"});
    running = std::make_unique<test::compliance::Running>(*subject, *journal, "net");
    running->start();
    REQUIRE(test::wait_for_port(port));
  }
  std::vector<ingestion::IngestionEvent> events() { return journaled(*journal); }
  bool has(std::size_t n, std::chrono::milliseconds timeout = 30s) {
    return eventually([&] { return events().size() >= n; }, timeout);
  }
  // logger(1) sending one message to the source.
  void logger(std::vector<std::string> options, const std::string& message) {
    test::TempDir dir("chatops-logger");
    std::vector<std::string> argv{"logger", "--server", "127.0.0.1", "--port", std::to_string(port)};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(message);
    const auto done = test::run_to_end({.argv = argv, .log_dir = dir.path(), .name = "logger"}, 20s);
    INFO(done.out << done.err);
    REQUIRE(done.exit_code == 0);
  }
};

}  // namespace

TEST_CASE("syslog over TCP passes the compliance harness (logger, octet-counted)", "[log][syslog][network][compliance]") {
  const int port = test::free_port();
  const auto at = "127.0.0.1:" + std::to_string(port);
  int next = 0;
  const auto kind = ingestion::log::log_source_kind();
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: log, format: syslog, listen: {tcp: \"" + at + "\"}}",
      .upstream = {.produce =
                       [&](int n) {
                         test::TempDir dir("chatops-logger");
                         for (int i = 0; i < n; ++i) {
                           const auto item = "item " + std::to_string(++next);
                           // The source binds on its own thread after start(): logger's TCP connect is
                           // retried for a moment (and fails while the source is stopped).
                           eventually(
                               [&] {
                                 return test::run_to_end({.argv = {"logger", "--server", "127.0.0.1", "--port",
                                                                   std::to_string(port), "--tcp", "--octet-count",
                                                                   "--rfc5424", "--tag", "app", item},
                                                          .log_dir = dir.path(),
                                                          .name = "logger"},
                                                         20s)
                                            .exit_code == 0;
                               },
                               2s);
                         }
                       }},
      .topic_prefix = "log/compliance/",
      .resumes_after_restart = false,
  };
  test::compliance::run_compliance(subject);
}

TEST_CASE("logger over UDP and TCP, RFC 5424 and RFC 3164, octet-counted and LF-framed: each message an event",
          "[log][syslog][network]") {
  SyslogNetFixture f;
  f.run("", ", match: {auth: 'Failed password', any: '.'}");
  f.logger({"--udp", "--rfc5424", "--tag", "sshd", "-p", "auth.warning", "--sd-id", "origin@32473",
            "--sd-param", "ip=\"192.0.2.1\""},
           "Failed password for root from 203.0.113.7");
  f.logger({"--udp", "--rfc3164", "--tag", "cron", "-p", "cron.info"}, "job done");
  f.logger({"--tcp", "--octet-count", "--rfc5424", "--tag", "app", "-p", "local0.err"}, "counted");
  f.logger({"--tcp", "--rfc3164", "--tag", "app", "-p", "local0.crit"}, "lf framed");
  REQUIRE(f.has(4));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  auto events = f.events();
  REQUIRE(events.size() == 4);
  CHECK(events[0].topic == "log/net/auth");
  CHECK(events[0].severity == ingestion::Severity::Warning);
  CHECK(events[0].fields["app"] == "sshd");
  CHECK(events[0].fields["facility"] == "auth");
  CHECK(events[0].fields["format"] == "rfc5424");
  CHECK(events[0].fields["structured_data"]["origin@32473"]["ip"] == "192.0.2.1");
  CHECK(events[0].fields["message"] == "Failed password for root from 203.0.113.7");
  CHECK(events[0].fields["peer"] == "127.0.0.1");
  CHECK(events[0].fields["transport"] == "udp");
  CHECK_FALSE(events[0].fields.contains("file"));
  CHECK(events[1].topic == "log/net/any");
  CHECK(events[1].fields["format"] == "rfc3164");
  CHECK(events[1].fields["app"] == "cron");
  CHECK(events[1].fields["message"] == "job done");
  CHECK(events[2].fields["message"] == "counted");
  CHECK(events[2].fields["transport"] == "tcp");
  CHECK(events[2].severity == ingestion::Severity::Error);
  CHECK(events[3].fields["message"] == "lf framed");
  CHECK(events[3].severity == ingestion::Severity::Critical);
}

TEST_CASE("the real lines of shared/fixtures/logs sent over TCP parse as they do from files", "[log][syslog][network]") {
  SyslogNetFixture f;
  f.run();
  const int fd = syslog_socket(f.port, SOCK_STREAM);
  REQUIRE(fd >= 0);
  const std::string lines =
      "<38>Nov 30 12:57:45 web-1 sshd[4242]: Failed password for invalid user admin from 203.0.113.7 port 52144 ssh2\n"
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
      "eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF" "An application event log entry...\n";
  REQUIRE(send_all(fd, lines));
  ::close(fd);
  REQUIRE(f.has(2));
  const auto events = f.events();
  CHECK(events[0].fields["host"] == "web-1");
  CHECK(events[0].fields["pid"] == "4242");
  CHECK(events[1].fields["msgid"] == "ID47");
  CHECK(events[1].fields["message"] == "An application event log entry...");
}

TEST_CASE("hostile syslog senders: oversized frames, endless lines, malformed lengths and priorities",
          "[log][syslog][network][hostile]") {
  SyslogNetFixture f;
  f.run("", ", max_line_bytes: 1KiB");
  SECTION("an oversized octet-counted frame is cut, the next frame on the connection is whole") {
    const int fd = syslog_socket(f.port, SOCK_STREAM);
    const std::string big = "<13>Nov 30 12:00:00 h app: " + std::string(5'000'000, 'x');
    const std::string after = "<13>Nov 30 12:00:01 h app: after";
    REQUIRE(send_all(fd, std::to_string(big.size()) + " " + big + std::to_string(after.size()) + " " + after));
    REQUIRE(f.has(2));
    const auto events = f.events();
    CHECK(events[0].fields.value("cut", false));
    CHECK(events[0].fields.value("line", "").size() == 1024);
    CHECK(events[1].fields.value("message", "") == "after");
    ::close(fd);
  }
  SECTION("an endless line is cut at max_line_bytes, memory stays bounded, the next line is said") {
    const int fd = syslog_socket(f.port, SOCK_STREAM);
    const std::string chunk(1 << 20, 'y');
    for (int i = 0; i < 50; ++i) REQUIRE(send_all(fd, chunk));  // 50 MB without a newline
    REQUIRE(send_all(fd, "\n<13>Nov 30 12:00:00 h app: fine\n"));
    REQUIRE(f.has(2));
    const auto events = f.events();
    CHECK(events[0].fields.value("cut", false));
    CHECK(events[1].fields.value("message", "") == "fine");
    ::close(fd);
  }
  SECTION("a malformed frame length closes that connection only; a bad priority is a malformed event") {
    const int bad = syslog_socket(f.port, SOCK_STREAM);
    REQUIRE(send_all(bad, "99999999999999 <13>x"));
    CHECK(closed_by_peer(bad, 5s));
    ::close(bad);
    const int udp = syslog_socket(f.port, SOCK_DGRAM);
    REQUIRE(send_all(udp, "<999>Nov 30 12:00:00 h app: bad priority"));
    REQUIRE(send_all(udp, std::string("\0\0\0\0", 4)));  // a datagram of NULs only: nothing to say
    ::close(udp);
    REQUIRE(f.has(1));
    const auto events = f.events();
    CHECK(events[0].topic == "log/net/malformed");
    CHECK(f.running->runtime.status().state() == ingestion::SourceState::Running);
  }
  SECTION("a datagram longer than max_line_bytes is cut") {
    const int udp = syslog_socket(f.port, SOCK_DGRAM);
    REQUIRE(send_all(udp, "<13>Nov 30 12:00:00 h app: " + std::string(60000, 'z')));
    ::close(udp);
    REQUIRE(f.has(1));
    CHECK(f.events()[0].fields.value("cut", false));
  }
}

TEST_CASE("hostile syslog senders: connections beyond the limits are closed, idle ones too, slow ones do not block others",
          "[log][syslog][network][hostile]") {
  SyslogNetFixture f;
  // An idle timeout far above the slow sender's pauses, which include the checks made meanwhile
  // (with 500 ms, a loaded machine took longer over them and the slow sender was cut as idle).
  f.run(", max_connections: 8, max_connections_per_address: 4, idle_timeout: 3s");
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) held.push_back(syslog_socket(f.port, SOCK_STREAM));
  // A slow sender: one byte at a time, while another sends whole messages.
  const int slow = held[0];
  REQUIRE(send_all(slow, "<13>Nov 30 12:00:00 h app: sl"));
  const int fifth = syslog_socket(f.port, SOCK_STREAM);  // over max_connections_per_address
  CHECK(closed_by_peer(fifth, 30s));
  ::close(fifth);
  REQUIRE(send_all(held[1], "<13>Nov 30 12:00:00 h app: quick\n"));
  REQUIRE(f.has(1));
  CHECK(f.events()[0].fields["message"] == "quick");
  for (const char c : std::string("ow\n")) {
    REQUIRE(send_all(slow, std::string(1, c)));
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(f.has(2));
  CHECK(f.events()[1].fields["message"] == "slow");
  // Idle connections are closed after idle_timeout.
  for (int i = 2; i < 4; ++i) CHECK(closed_by_peer(held[static_cast<std::size_t>(i)], 30s));
  for (int fd : held) ::close(fd);
}

TEST_CASE("syslog over the network with a rate cap: a flood from one sender gives a digest from its address",
          "[log][syslog][network][rate_cap]") {
  SyslogNetFixture f;
  f.run("", ", match: {error: 'ERROR'}, rate_cap: {lines: 3, per: 1s}");
  const int fd = syslog_socket(f.port, SOCK_STREAM);
  std::string flood;
  for (int i = 0; i < 1000; ++i) flood += "<11>Nov 30 12:00:00 h app: ERROR " + std::to_string(i) + "\n";
  REQUIRE(send_all(fd, flood));
  ::close(fd);
  REQUIRE(f.has(4, 15s));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  const auto events = f.events();
  std::uint64_t said = 0, digested = 0;
  for (const auto& e : events) {
    if (e.fields.contains("digest")) {
      digested += e.fields["count"].get<std::uint64_t>();
      CHECK(e.fields["text"].get<std::string>().ends_with("matched error from 127.0.0.1"));
    } else {
      ++said;
    }
  }
  CHECK(said + digested == 1000);
  CHECK(said <= 3 * 5);  // a few windows at most while the flood is read
}

TEST_CASE("rsyslog forwarding over TCP (octet-counted, RFC 5424) to the source", "[log][syslog][network][rsyslog]") {
  SyslogNetFixture f;
  f.run("", ", match: {relayed: 'via rsyslog'}");
  test::TempDir dir("chatops-rsyslog");
  const int rsyslog_port = test::free_port();
  const auto config = dir.write(
      "rsyslog.conf", "global(workDirectory=\"" + dir.path().string() +
                          "\")\n"
                          "module(load=\"imudp\")\n"
                          "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" +
                          std::to_string(rsyslog_port) +
                          "\")\n"
                          "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"" + std::to_string(f.port) +
                          "\" protocol=\"tcp\" TCP_Framing=\"octet-counted\" "
                          "template=\"RSYSLOG_SyslogProtocol23Format\")\n");
  test::Process rsyslog({.argv = {"rsyslogd", "-n", "-f", config.string(), "-i", (dir / "rsyslogd.pid").string()},
                         .log_dir = dir.path(),
                         .name = "rsyslogd"});
  // rsyslog says nothing when its UDP input is ready: send until a message comes through.
  int sent = 0;
  REQUIRE(eventually(
      [&] {
        test::run_to_end({.argv = {"logger", "--server", "127.0.0.1", "--port", std::to_string(rsyslog_port), "--udp",
                                   "--rfc3164", "--tag", "deploy", "-p", "user.err",
                                   "release " + std::to_string(++sent) + " failed via rsyslog"},
                          .log_dir = dir.path(),
                          .name = "logger"},
                         10s);
        return !f.events().empty();
      },
      20s));
  INFO(rsyslog.output());
  const auto e = f.events().at(0);
  CHECK(e.topic == "log/net/relayed");
  CHECK(e.fields["format"] == "rfc5424");  // rsyslog's own RFC 5424 template
  CHECK(e.fields["app"] == "deploy");
  CHECK(e.fields["message"].get<std::string>().ends_with("failed via rsyslog"));
  CHECK(e.fields["transport"] == "tcp");
  CHECK(e.severity == ingestion::Severity::Error);
}
