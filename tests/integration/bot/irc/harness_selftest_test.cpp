// Self-test of tests/integration/support: the real servers start, stop and restart on their
// own ports, and the IRC test client talks through them.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>

#include "tests/integration/support/alertmanager.hpp"
#include "tests/integration/support/inspircd.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

using namespace chatops::test;

TEST_CASE("harness: Process runs a program, captures output, stops it", "[harness]") {
  TempDir dir;
  Process echo({.argv = {"sh", "-c", "echo out; echo err >&2; ulimit -c"}, .log_dir = dir.path()});
  REQUIRE(echo.wait_exit(5s));
  CHECK(WIFEXITED(*echo.wait_status()));
  CHECK(echo.output() == "out\n0\nerr\n");  // core dumps disabled in the child

  Process sleeper({.argv = {"sleep", "30"}, .log_dir = dir.path(), .name = "sleeper"});
  CHECK(sleeper.running());
  auto status = sleeper.stop(2s);
  REQUIRE(status);
  CHECK(WTERMSIG(*status) == SIGTERM);
  CHECK_THROWS(Process({.argv = {"/nonexistent/program"}, .log_dir = dir.path()}));
}

TEST_CASE("harness: TestCa issues a server certificate the CA verifies", "[harness]") {
  TempDir dir;
  TestCa ca(dir / "ca");
  auto server = ca.issue_server("server");
  auto client = ca.issue_client("alice");
  Process verify({.argv = {"openssl", "verify", "-CAfile", ca.ca_cert().string(),
                           "-verify_hostname", "localhost", "-verify_ip", "127.0.0.1",
                           server.cert.string()},
                  .log_dir = dir.path()});
  REQUIRE(verify.wait_exit(5s));
  CHECK(verify.output().find(": OK") != std::string::npos);
  CHECK(cert_fingerprint(client.cert).size() == 64);
  CHECK(cert_fingerprint(client.cert, "sha512").size() == 128);
}

TEST_CASE("harness: ngircd, two clients over plain and TLS talk in a channel", "[harness]") {
  Ngircd server({.tls = true, .channels = {"#ops"}});
  IrcTestClient alice({.port = server.port(), .nick = "alice_tester"});
  IrcTestClient bob({.port = server.tls_port(), .tls = true, .nick = "bob"});
  alice.join("#ops");
  bob.join("#ops");
  REQUIRE(alice.wait_for_join("bob", "#ops"));
  bob.privmsg("#ops", "hello alice");
  bob.privmsg("alice_tester", "psst");
  auto got = alice.wait_for(std::regex("^hello"), "bob", "#ops");
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "hello alice");
  REQUIRE(alice.collect_privmsgs("bob", 2, 5s).size() == 2);
  CHECK(alice.messages()[1].target == "alice_tester");

  // Restart on the same ports: clients see the drop, a new client gets in.
  int port = server.port();
  server.restart();
  CHECK(alice.wait_for_disconnect(5s));
  CHECK(server.port() == port);
  IrcTestClient carol({.port = server.port(), .nick = "carol"});
  CHECK(carol.connected());

  // kill -9: no ERROR line, and it comes back on the same ports.
  server.kill9();
  CHECK(carol.wait_for_disconnect(5s));
  server.start();
  IrcTestClient dave({.port = server.tls_port(), .tls = true, .nick = "dave"});
  CHECK(dave.connected());
}

TEST_CASE("harness: InspIRCd with Atheme, account registration and SASL", "[harness]") {
  InspircdWithServices server;
  server.register_account("opsbot", "s3cret-pass");

  IrcTestClient bot({.port = server.tls_port(), .tls = true, .nick = "opsbot",
                     .sasl_user = "opsbot", .sasl_password = "s3cret-pass"});
  auto offered = bot.caps_offered();
  CHECK(std::find(offered.begin(), offered.end(), "sasl") != offered.end());
  CHECK(bot.sasl_succeeded() == std::optional<bool>(true));

  IrcTestClient wrong({.port = server.port(), .nick = "mallory",
                       .sasl_user = "opsbot", .sasl_password = "wrong"});
  CHECK(wrong.sasl_succeeded() == std::optional<bool>(false));

  // After an ircd restart on the same ports, services relink and SASL works again.
  int links = server.services_links();
  server.restart();
  CHECK(server.services_links() > links);
  IrcTestClient again({.port = server.port(), .nick = "opsbot",
                       .sasl_user = "opsbot", .sasl_password = "s3cret-pass"});
  CHECK(again.sasl_succeeded() == std::optional<bool>(true));
}

TEST_CASE("harness: InspIRCd CertFP, SASL EXTERNAL, kill -9 and relink", "[harness]") {
  InspircdWithServices server;
  server.register_account("certbot", "pa55word");
  auto cert = server.ca()->issue_client("certbot");
  {
    IrcTestClient owner({.port = server.tls_port(), .tls = true, .client_cert = cert.combined,
                         .nick = "certbot", .sasl_user = "certbot", .sasl_password = "pa55word"});
    REQUIRE(owner.sasl_succeeded() == std::optional<bool>(true));
    owner.privmsg("NickServ", "CERT ADD");
    CHECK(owner.wait_for_line([&](const IrcLine& l) {
      return l.command == "NOTICE" && l.param(1).find(cert_fingerprint(cert.cert)) != std::string::npos;
    }));
  }
  int links = server.services_links();
  server.kill9();
  server.start();
  CHECK(server.services_links() > links);
  IrcTestClient external({.port = server.tls_port(), .tls = true, .client_cert = cert.combined,
                          .nick = "certbot", .sasl_mechanism = "EXTERNAL"});
  CHECK(external.sasl_succeeded() == std::optional<bool>(true));
}

TEST_CASE("harness: Alertmanager is ready and notifies a webhook with a bearer token", "[harness]") {
  HttpRecorder hook;
  Alertmanager am({.webhook_url = hook.url("/hook"), .bearer_token = "t0ken"});
  CHECK(am.ready());
  auto posted = am.post_alerts(R"([{"labels": {"alertname": "DiskFull", "instance": "db1"},
                                    "annotations": {"summary": "disk full"}}])");
  CHECK(posted.status == 200);
  auto received = hook.wait_for(1, 30s);
  REQUIRE(received.size() >= 1);
  CHECK(received[0].method == "POST");
  CHECK(received[0].path == "/hook");
  CHECK(received[0].headers["authorization"] == "Bearer t0ken");
  CHECK(received[0].body.find("DiskFull") != std::string::npos);
}
