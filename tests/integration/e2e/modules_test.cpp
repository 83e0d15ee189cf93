// Modules (docs/architecture.md, "Modules"): the built bot loads the optional kinds' libraries from
// chatops-<name>.so only when a source needs them; a missing module stops start-up clearly.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_in_channel.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/integration/support/process.hpp"

using namespace chatops::test;

namespace {

Finished run_binary(const std::filesystem::path& binary, std::vector<std::string> args, const TempDir& dir) {
  args.insert(args.begin(), binary.string());
  return run_to_end({.argv = std::move(args), .log_dir = dir.path(), .name = "chatops-bot"});
}

// The built binary alone in a directory of its own: no module beside it.
std::filesystem::path lone_binary(const TempDir& dir) {
  const auto copy = dir / "chatops-bot";
  std::filesystem::copy_file(CHATOPS_BOT_BINARY, copy);
  std::filesystem::permissions(copy, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
  return copy;
}

// What the bot without its modules says as it starts on `config` (it fails), which --check finds
// valid: the schema and checks of a kind are the executable's, and --check loads no module.
std::string start_without_module(const std::filesystem::path& binary, const std::filesystem::path& config,
                                 const TempDir& dir) {
  auto check = run_binary(binary, {"--check", "--config", config.string()}, dir);
  CHECK(check.exit_code == 0);
  CHECK(check.out == config.string() + ": valid\n");
  auto start = run_binary(binary, {"--config", config.string()}, dir);
  CHECK(start.exit_code == 1);
  return start.out + start.err;
}

std::string modules_config(const TempDir& dir, const std::string& sources) {
  return "irc: {servers: [{host: 127.0.0.1, port: 1, tls: false}], nick: bot, channels: ['#ops']}\n"
         "storage: {path: " + (dir / "journal.db").string() + "}\n"
         "sources:\n" + sources;
}

std::string mapped_files(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  return std::string(std::istreambuf_iterator<char>(maps), {});
}

}  // namespace

TEST_CASE("OpenSSL, Lua, pugixml and cpp-httplib are loaded, each with its module, only once TLS, a Lua handler, a "
          "file source or a source asking over HTTP needs them",
          "[modules]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-modules");
  BotConfig config;
  config.irc_port = ircd.port();
  config.sources = github_source();
  BotProcess webhooks_only(dir, bot_config_yaml(config));
  REQUIRE(webhooks_only.wait_sources_running());
  // A signed delivery: its HMAC needs no OpenSSL (core/crypto.cpp), and nothing here asks over HTTP.
  CHECK(webhooks_only.post_github("/hooks/github", "s3cret", "ping", "d-1", "{\"zen\": \"hi\"}").status == 202);
  auto maps = mapped_files(webhooks_only.pid());
  CHECK(maps.find("libcpp-httplib") == std::string::npos);
  CHECK(maps.find("chatops-httplib.so") == std::string::npos);
  CHECK(maps.find("libssl.so") == std::string::npos);
  CHECK(maps.find("libcrypto.so") == std::string::npos);
  CHECK(maps.find("chatops-openssl.so") == std::string::npos);
  CHECK(maps.find("liblua") == std::string::npos);
  CHECK(maps.find("chatops-lua.so") == std::string::npos);
  CHECK(maps.find("libpugixml") == std::string::npos);
  CHECK(maps.find("chatops-xml.so") == std::string::npos);
  webhooks_only.stop();

  TempDir lua_dir("chatops-modules");
  auto with_lua = config;
  with_lua.binds = "  - {type: pub, mask: \"!hi\", lua: {code: \"return 'hi'\"}}\n";
  // A file source reads XML files by their extension (format auto).
  with_lua.sources += "  - {name: drops, kind: file, paths: [\"" + (lua_dir / "drops/*").string() + "\"]}\n";
  BotProcess scripted(lua_dir, bot_config_yaml(with_lua));
  maps = mapped_files(scripted.pid());
  CHECK(maps.find("chatops-lua.so") != std::string::npos);
  CHECK(maps.find("liblua5.4") != std::string::npos);
  CHECK(maps.find("chatops-xml.so") != std::string::npos);
  CHECK(maps.find("libpugixml") != std::string::npos);
  scripted.stop();

  // IRC over TLS (no handshake needed: the module is loaded as the client is made).
  TempDir tls_dir("chatops-modules");
  auto yaml = bot_config_yaml(config);
  yaml.replace(yaml.find("tls: false"), 10, "tls: true");
  BotProcess over_tls(tls_dir, yaml);
  maps = mapped_files(over_tls.pid());
  CHECK(maps.find("chatops-openssl.so") != std::string::npos);
  CHECK(maps.find("libssl.so") != std::string::npos);
  over_tls.stop();

  TempDir api_dir("chatops-modules");
  config.sources += "  - {name: feed, kind: api, url: \"http://127.0.0.1:1/items\", key: /id, interval: 1h}\n";
  BotProcess polling(api_dir, bot_config_yaml(config));
  maps = mapped_files(polling.pid());
  CHECK(maps.find(std::filesystem::path(CHATOPS_BOT_BINARY).parent_path().string() + "/chatops-httplib.so") !=
        std::string::npos);
  CHECK(maps.find("libcpp-httplib") != std::string::npos);
}

TEST_CASE("a reload that turns on silencing without the HTTP client's module is refused, and the commands stay",
          "[modules][reload]") {
  using namespace std::chrono_literals;
  TempDir binary_dir("chatops-modules");
  BotConfig config;
  config.sources = github_source();
  BotInChannel stack(config, "chatops-modules", lone_binary(binary_dir));
  auto& watcher = *stack.watcher;
  REQUIRE(ask_bot(watcher, watcher, "!version").size() == 1);

  config.irc_port = stack.ircd.port();
  config.extra = "alertmanager: {url: \"http://127.0.0.1:1\"}\n";
  stack.bot->rewrite_config(bot_config_yaml(config));
  stack.bot->signal(SIGHUP);
  const bool refused = stack.bot->wait_for_log(
      std::regex(R"(reload refused, the configuration in use stays: .*config\.yml:\d+:\d+: )"
                 R"(alertmanager\.url: the httplib module cannot be loaded)"),
      15s);
  const auto log = stack.bot->log();
  INFO(log);
  CHECK(refused);
  CHECK(log.find("Reloaded") == std::string::npos);
  // The bind table was not torn down: the built-in commands still answer.
  CHECK(ask_bot(watcher, watcher, "!version").size() == 1);
}

TEST_CASE("chatops-bot --modules loads every module of its build from beside the executable", "[modules]") {
  TempDir dir("chatops-modules");
  auto listed = run_binary(CHATOPS_BOT_BINARY, {"--modules"}, dir);
  INFO(listed.out << listed.err);
  CHECK(listed.exit_code == 0);
  const auto beside = std::filesystem::path(CHATOPS_BOT_BINARY).parent_path().string();
  std::istringstream lines(listed.out);
  int modules = 0;
  for (std::string line; std::getline(lines, line); ++modules) {
    std::smatch m;
    REQUIRE(std::regex_match(line, m, std::regex(R"(([a-z]+): (.*))")));
    CHECK(m[2] == beside + "/chatops-" + m[1].str() + ".so");
  }
#ifdef CHATOPS_WITH_KAFKA
  CHECK(listed.out.find("kafka: ") != std::string::npos);
#endif
  CHECK(modules > 0);
}

#ifdef CHATOPS_WITH_REDIS
TEST_CASE("a missing module stops start-up naming the paths tried, validation does without it", "[modules]") {
  TempDir dir("chatops-modules");
  const auto binary = lone_binary(dir);
  auto missing = run_binary(binary, {"--modules"}, dir);
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("redis: the redis module cannot be loaded: " + (dir / "chatops-redis.so").string() +
                         ": no such file") != std::string::npos);

  const auto config = dir.write(
      "config.yml", modules_config(dir, "  - {name: events, kind: stream, system: redis, port: 1, streams: [e]}\n"));
  const auto said = start_without_module(binary, config, dir);
  INFO(said);
  CHECK(said.find(config.string() + ":4:42: sources[0].system: the redis module cannot be loaded: " + (dir / "chatops-redis.so").string() +
                  ": no such file; ") != std::string::npos);
  CHECK(said.find("chatops-bot/chatops-redis.so: no such file") != std::string::npos);
}
#endif

TEST_CASE("a missing OpenSSL module stops start-up at what would use TLS, validation does without it", "[modules]") {
  TempDir dir("chatops-modules");
  const auto binary = lone_binary(dir);
  const auto missing = "the openssl module cannot be loaded: " + (dir / "chatops-openssl.so").string() + ": no such file; ";
  const auto storage = "storage: {path: " + (dir / "journal.db").string() + "}\n";
  {
    INFO("IRC over TLS");
    const auto config = dir.write("config.yml", "irc: {servers: [{host: 127.0.0.1, port: 1, tls: true}], nick: bot, channels: ['#ops']}\n" + storage);
    const auto said = start_without_module(binary, config, dir);
    INFO(said);
    CHECK(said.find(config.string() + ":1:49: irc.servers[0].tls: " + missing) != std::string::npos);
  }
  {
    INFO("HTTPS");
    // Read by OpenSSL at start-up: any file passes validation.
    const auto cert = dir.write("c.pem", "not read"), key = dir.write("k.pem", "not read");
    const auto config = dir.write("config.yml", modules_config(dir, "") + "http: {listen: '127.0.0.1:0', tls: {cert: " +
                                                    cert.string() + ", key: " + key.string() + "}}\n");
    const auto said = start_without_module(binary, config, dir);
    INFO(said);
    CHECK(said.find("http.tls: " + missing) != std::string::npos);
  }
}

TEST_CASE("a missing XML module stops start-up at a file source that may read XML, validation does without it",
          "[modules]") {
  TempDir dir("chatops-modules");
  const auto sources = "  - {name: drops, kind: file, paths: [\"" + (dir / "drops/*").string() + "\"]}\n";
  const auto config = dir.write("config.yml", modules_config(dir, sources));
  const auto said = start_without_module(lone_binary(dir), config, dir);
  INFO(said);
  CHECK(said.find("sources[0].format: the xml module cannot be loaded: " + (dir / "chatops-xml.so").string()) !=
        std::string::npos);
}

TEST_CASE("a Lua handler needs the Lua module to be checked: --check says so without it", "[modules]") {
  TempDir dir("chatops-modules");
  const auto config = dir.write("config.yml", modules_config(dir, "") +
                                                  "binds:\n  - {type: pub, mask: \"!hi\", lua: {code: \"return 'hi'\"}}\n");
  auto built = run_binary(CHATOPS_BOT_BINARY, {"--check", "--config", config.string()}, dir);
  CHECK(built.exit_code == 0);
  auto lone = run_binary(lone_binary(dir), {"--check", "--config", config.string()}, dir);
  INFO(lone.err);
  CHECK(lone.exit_code == 2);
  CHECK(lone.err.find("binds[0].lua.code: the lua module cannot be loaded: " + (dir / "chatops-lua.so").string()) !=
        std::string::npos);
}

#ifdef CHATOPS_WITH_KAFKA
TEST_CASE("the Kafka module is loaded to check a Kafka source's properties, from beside the executable", "[modules]") {
  TempDir dir("chatops-modules");
  const auto sources =
      "  - {name: k, kind: stream, system: kafka, brokers: '127.0.0.1:1', topics: [t], properties: {no.such: 1}}\n";
  const auto config = dir.write("config.yml", modules_config(dir, sources));
  auto built = run_binary(CHATOPS_BOT_BINARY, {"--check", "--config", config.string()}, dir);
  CHECK(built.exit_code == 2);
  CHECK(built.err.find("No such configuration property: \"no.such\"") != std::string::npos);

  auto lone = run_binary(lone_binary(dir), {"--check", "--config", config.string()}, dir);
  CHECK(lone.exit_code == 2);
  CHECK(lone.err.find("the kafka module cannot be loaded: " + (dir / "chatops-kafka.so").string()) !=
        std::string::npos);
}
#endif

TEST_CASE("a missing HTTP client module stops start-up at what would ask over HTTP, validation does without it",
          "[modules]") {
  TempDir dir("chatops-modules");
  const auto binary = lone_binary(dir);
  const auto missing = "the httplib module cannot be loaded: " + (dir / "chatops-httplib.so").string() + ": no such file; ";
  struct Asker {
    std::string what, sources, more, where;
  };
  for (const auto& asker :
       {Asker{"an API poller", "  - {name: feed, kind: api, url: \"http://127.0.0.1:1/items\", key: /id}\n", "",
              ":4:24: sources[0].kind: "},
        Asker{"a Prometheus check",
              "  - {name: p, kind: metric, provider: prometheus, url: \"http://127.0.0.1:1\", checks: [{name: up, "
              "query: up, condition: {lt: 1}}]}\n",
              "", ":4:39: sources[0].provider: "},
        Asker{"the Alertmanager commands", "", "alertmanager: {url: \"http://127.0.0.1:1\"}\n",
              ":4:21: alertmanager.url: "}}) {
    INFO(asker.what);
    const auto config = dir.write("config.yml", modules_config(dir, asker.sources) + asker.more);
    const auto said = start_without_module(binary, config, dir);
    INFO(said);
    CHECK(said.find(config.string() + asker.where + missing) != std::string::npos);
  }
}
