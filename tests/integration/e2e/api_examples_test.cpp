// docs/examples.md, "Polling APIs": each example's configuration, word for word, run by the built
// bot against a local stand-in of the service (only the URL's server and the interval changed),
// and the channel shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdlib>
#include <functional>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/test_api.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 20s) {
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first ```<lang> block after the heading `heading` in docs/examples.md.
std::string example_block(const std::string& heading, const std::string& lang) {
  const auto doc = read_text(std::string(CHATOPS_SOURCE_DIR) + "/docs/examples.md");
  const auto at = doc.find("\n" + heading + "\n");
  REQUIRE(at != std::string::npos);
  const auto open = doc.find("```" + lang + "\n", at);
  REQUIRE(open != std::string::npos);
  const auto start = open + lang.size() + 4;
  return doc.substr(start, doc.find("```", start) - start);
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// A `sources: … binds: …` example as the test bot's config, on `channel`.
std::string bot_yaml(const std::string& example, int irc_port, const std::string& channel) {
  const auto binds = example.find("binds:\n");
  REQUIRE(example.starts_with("sources:\n"));
  REQUIRE(binds != std::string::npos);
  BotConfig c;
  c.irc_port = irc_port;
  c.channel = channel;
  c.flood = "{burst: 10, rate: 10}";
  c.sources = example.substr(9, binds - 9);
  c.binds = example.substr(binds + 7);
  return bot_config_yaml(c);
}

// IRC formatting codes removed: bold, colour (with its digits), reset, underline, reverse, italic.
std::string plain(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\x03') {
      for (int digits = 0; digits < 2 && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])); ++digits) ++i;
      if (i + 2 < text.size() && text[i + 1] == ',' && std::isdigit(static_cast<unsigned char>(text[i + 2]))) {
        i += 2;
        if (i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) ++i;
      }
    } else if (c != '\x02' && c != '\x0f' && c != '\x1f' && c != '\x16' && c != '\x1d') {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& block) {
  std::vector<std::string> out;
  std::stringstream s(block);
  for (std::string line; std::getline(s, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<std::string> said(const IrcTestClient& watcher, const std::string& channel) {
  std::vector<std::string> out;
  for (const auto& m : watcher.messages())
    if (m.nick == "opsbot" && m.target == channel) out.push_back(plain(m.text));
  return out;
}

std::string fixture(const std::string& name) { return read_text(std::string(CHATOPS_FIXTURES_DIR) + "/api/" + name); }

// A service whose answer the test switches, refusing requests that `allowed` does not accept.
struct StandIn {
  TestApi api;
  SwitchableBody body;
  StandIn(const std::string& path, std::string first, std::function<bool(const ApiRequest&)> allowed = {})
      : body(std::move(first)) {
    api.route(path, [this, allowed](const ApiRequest& r) {
      if (allowed && !allowed(r)) return ApiAnswer{.status = 401, .body = R"({"message":"Bad credentials"})"};
      return body.answer();
    });
  }
  void change(std::string next) { body.set(std::move(next)); }
};

}  // namespace

TEST_CASE("docs/examples.md: new releases of a GitHub repository", "[e2e][api][docs]") {
  const std::string path = "/repos/octo/hello/releases";
  ::setenv("GITHUB_TOKEN", "ghp_example", 1);  // the bot inherits it
  StandIn github(path, fixture("github-releases.json"), [](const ApiRequest& r) {
    return r.header("authorization") == "Bearer ghp_example" && r.header("accept") == "application/vnd.github+json";
  });
  Ngircd ircd(NgircdOptions{.channels = {"#dev"}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#dev");
  auto example = example_block("### New releases of a GitHub repository", "yaml");
  example = replaced(example, "https://api.github.com/repos/OWNER/REPO/releases", github.api.url(path));
  example = replaced(example, "interval: 10m", "interval: 200ms");
  TempDir dir("chatops-api-example-gh");
  BotProcess bot(dir, bot_yaml(example, ircd.port(), "#dev"));
  REQUIRE(watcher.wait_for_join("opsbot", "#dev", 15s));
  REQUIRE(github.api.wait_for(path, 3));  // the first run remembered; later ones found nothing new
  CHECK(said(watcher, "#dev").empty());
  github.change(fixture("github-releases-new.json"));
  const auto expected = lines_of(example_block("### New releases of a GitHub repository", "text"));
  REQUIRE(eventually([&] { return said(watcher, "#dev").size() >= expected.size(); }));
  std::this_thread::sleep_for(1s);
  CHECK(said(watcher, "#dev") == expected);
}

TEST_CASE("docs/examples.md: incidents of a status page", "[e2e][api][docs]") {
  const std::string path = "/api/v2/incidents.json";
  StandIn statuspage(path, fixture("statuspage-incidents.json"));
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  auto example = example_block("### Incidents of a status page (Atlassian Statuspage)", "yaml");
  example = replaced(example, "https://www.githubstatus.com" + path, statuspage.api.url(path));
  example = replaced(example, "interval: 2m", "interval: 200ms");
  TempDir dir("chatops-api-example-sp");
  BotProcess bot(dir, bot_yaml(example, ircd.port(), "#ops"));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 15s));
  REQUIRE(statuspage.api.wait_for(path, 3));
  CHECK(said(watcher, "#ops").empty());
  statuspage.change(fixture("statuspage-incidents-updated.json"));
  const auto expected = lines_of(example_block("### Incidents of a status page (Atlassian Statuspage)", "text"));
  REQUIRE(eventually([&] { return said(watcher, "#ops").size() >= expected.size(); }));
  std::this_thread::sleep_for(1s);
  CHECK(said(watcher, "#ops") == expected);
}
