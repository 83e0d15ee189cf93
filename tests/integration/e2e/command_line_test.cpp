// Issue: what the built binary says about itself, before it connects anywhere.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/integration/support/process.hpp"

using namespace chatops::test;

namespace {

Finished run_bot(std::vector<std::string> args, const TempDir& dir) {
  args.insert(args.begin(), CHATOPS_BOT_BINARY);
  return run_to_end({.argv = std::move(args), .log_dir = dir.path(), .name = "chatops-bot"});
}

}  // namespace

TEST_CASE("chatops-bot --version prints the version git describe gave at build time", "[cli]") {
  TempDir dir("chatops-cli");
  auto version = run_bot({"--version"}, dir);
  CHECK(version.exit_code == 0);
  // "1.2.0" or "1.2.0-4-gabcdef0" from a release tag, "0.1.0-gabcdef0[-dirty]" before the first one.
  CHECK(std::regex_match(version.out, std::regex(R"(chatops-bot \d+\.\d+\.\d+(-\d+)?(-g[0-9a-f]{7,})?(-dirty)?\n)")));
}

TEST_CASE("chatops-bot --man-page prints chatops-bot(1) and chatops-bot.yml(5), another section is refused", "[cli]") {
  TempDir dir("chatops-cli");
  CHECK(run_bot({"--man-page", "1"}, dir).out.starts_with(".TH CHATOPS\\-BOT 1 "));
  CHECK(run_bot({"--man-page", "5"}, dir).out.starts_with(".TH CHATOPS\\-BOT.YML 5 "));
  auto other = run_bot({"--man-page", "8"}, dir);
  CHECK(other.exit_code != 0);
  CHECK(other.out.empty());
}

TEST_CASE("chatops-bot --check: 0 for the shipped config.yml, 2 and every problem for a broken one", "[cli][check]") {
  TempDir dir("chatops-cli");
  auto shipped = run_bot({"--check", "--config", std::string(CHATOPS_SOURCE_DIR) + "/config.yml"}, dir);
  CHECK(shipped.exit_code == 0);
  CHECK(shipped.out == std::string(CHATOPS_SOURCE_DIR) + "/config.yml: valid\n");

  const auto broken = dir.write("broken.yml",
                                "irc: {servers: [{host: irc.example.org}], nick: bot}\n"
                                "sources:\n"
                                "  - {name: jk, kind: webhook, provider: jenkins, path: /hooks/ci}\n"
                                "  - {name: gl, kind: webhook, provider: gitlab, path: /hooks/ci, token: t}\n");
  auto check = run_bot({"--check", "--config", broken.string()}, dir);
  CHECK(check.exit_code == 2);
  CHECK(check.out.empty());
  CHECK(check.err == broken.string() + ":3:5: sources[0]: a jenkins source needs token, hmac or basic_auth (the plugin "
                                       "signs nothing; anyone could post builds otherwise)\n" +
                         broken.string() + ":4:55: sources[1].path: source 'jk' has path /hooks/ci already\n");
}
