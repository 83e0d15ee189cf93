// docs/examples.md, "Polling APIs": each example's configuration, word for word, run by the built
// bot against a local stand-in of the service (only the URL's server and the interval changed),
// and the channel shows the lines the page says it shows.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>
#include <thread>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
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

std::string fixture(const std::string& name) { return read_file(std::string(CHATOPS_FIXTURES_DIR) + "/api/" + name); }

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
  auto example = examples::blocks("### New releases of a GitHub repository", "yaml").at(0);
  example = examples::replaced(example, "https://api.github.com/repos/OWNER/REPO/releases", github.api.url(path));
  example = examples::replaced(example, "interval: 10m", "interval: 200ms");
  TempDir dir("chatops-api-example-gh");
  BotProcess bot(dir, examples::bot_yaml(example, ircd.port(), "#dev"));
  REQUIRE(watcher.wait_for_join("opsbot", "#dev", 30s));
  REQUIRE(github.api.wait_for(path, 3));  // the first run remembered; later ones found nothing new
  CHECK(examples::said(watcher, "#dev").empty());
  github.change(fixture("github-releases-new.json"));
  const auto expected = examples::lines(examples::blocks("### New releases of a GitHub repository", "text").at(0));
  REQUIRE(eventually([&] { return examples::said(watcher, "#dev").size() >= expected.size(); }));
  std::this_thread::sleep_for(1s);  // absence: nothing more comes
  CHECK(examples::said(watcher, "#dev") == expected);
}

TEST_CASE("docs/examples.md: incidents of a status page", "[e2e][api][docs]") {
  const std::string path = "/api/v2/incidents.json";
  StandIn statuspage(path, fixture("statuspage-incidents.json"));
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  auto example = examples::blocks("### Incidents of a status page (Atlassian Statuspage)", "yaml").at(0);
  example = examples::replaced(example, "https://www.githubstatus.com" + path, statuspage.api.url(path));
  example = examples::replaced(example, "interval: 2m", "interval: 200ms");
  TempDir dir("chatops-api-example-sp");
  BotProcess bot(dir, examples::bot_yaml(example, ircd.port(), "#ops"));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));
  REQUIRE(statuspage.api.wait_for(path, 3));
  CHECK(examples::said(watcher, "#ops").empty());
  statuspage.change(fixture("statuspage-incidents-updated.json"));
  const auto expected = examples::lines(examples::blocks("### Incidents of a status page (Atlassian Statuspage)", "text").at(0));
  REQUIRE(eventually([&] { return examples::said(watcher, "#ops").size() >= expected.size(); }));
  std::this_thread::sleep_for(1s);  // absence: nothing more comes
  CHECK(examples::said(watcher, "#ops") == expected);
}
