// docs/examples.md, "Log files": each example's configuration, word for word, run by the built bot
// on a file in a temp dir (only the file's path changed); the page's log lines are appended to it,
// and the channel shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

void run_log_example(const std::string& heading, const std::string& path_in_page, const std::string& source,
                     const std::string& channel) {
  const auto yaml = examples::blocks(heading, "yaml");
  const auto written = examples::blocks(heading, "log");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(written.size() == 1);
  REQUIRE(text.size() == 1);
  TempDir dir("chatops-log-example");
  const auto file = (dir.path() / "app.log").string();
  std::ofstream(file).close();
  const auto config = examples::replaced(yaml[0], "paths: [" + path_in_page + "]", "paths: [" + file + "]");
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel));
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  REQUIRE(compliance::eventually([&] { return examples::has_cursor(dir, source); }, 20s));
  std::ofstream(file, std::ios::app) << written[0];
  const auto expected = examples::lines(text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}

// The network example: its listen addresses moved to a free port on 127.0.0.1, the page's
// messages sent over TCP, one per line (LF framing).
void run_syslog_example(const std::string& heading, const std::string& listen_in_page, const std::string& channel) {
  const auto yaml = examples::blocks(heading, "yaml");
  const auto sent = examples::blocks(heading, "log");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(yaml.size() == 1);
  REQUIRE(sent.size() == 1);
  REQUIRE(text.size() == 1);
  TempDir dir("chatops-syslog-example");
  const int port = free_port();
  const auto at = "\"127.0.0.1:" + std::to_string(port) + "\"";
  const auto config = examples::replaced(yaml[0], listen_in_page, "listen: {udp: " + at + ", tcp: " + at + "}");
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel));
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  REQUIRE(wait_for_port(port, 20s));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const auto to = loopback(port);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
  REQUIRE(::send(fd, sent[0].data(), sent[0].size(), MSG_NOSIGNAL) == static_cast<ssize_t>(sent[0].size()));
  ::close(fd);
  const auto expected = examples::lines(text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}

}  // namespace

TEST_CASE("docs/examples.md: upstream errors in an nginx error log", "[e2e][log][examples]") {
  run_log_example("### Upstream errors in an nginx error log", "/var/log/nginx/error.log", "nginx", "#ops");
}

TEST_CASE("docs/examples.md: failed logins in auth.log", "[e2e][log][examples]") {
  run_log_example("### Failed logins in auth.log", "/var/log/auth.log", "auth", "#security");
}

TEST_CASE("docs/examples.md: a flood of errors becomes a digest", "[e2e][log][examples][rate_cap]") {
  run_log_example("### A flood of errors becomes a digest", "/var/log/app/app.log", "app", "#ops");
}

TEST_CASE("docs/examples.md: syslog forwarded over the network", "[e2e][log][examples][network]") {
  run_syslog_example("### Syslog forwarded over the network", "listen: {udp: \"0.0.0.0:5514\", tcp: \"0.0.0.0:5514\"}",
                     "#netops");
}
