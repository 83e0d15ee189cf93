// Webhook ingest throughput of the whole bot, driven from outside by wrk (Debian's wrk): the
// built chatops-bot with its journal (synchronous=full), dispatcher and IRC output running as in
// production (a real ngircd, default flood control, so a burst is coalesced into digests), against
// a bare cpp-httplib server that answers 202 with no work (bare_http_server), in the same run,
// interleaved: for each round and connection count, wrk on the bare server, then on the bot.
//
// wrk -t2 POSTs a signed 7.7 KB GitHub push; every request carries a delivery id unique across
// threads and runs (run id, thread number, counter: no random numbers, which repeat under wrk's
// LuaJIT when unseeded and turn requests into duplicates answered on the cheap path). The Lua
// script counts 202 (accepted), 200 (duplicate) and anything else, printed to prove it.
//
// Targets (issue "internet-facing webhook front"): bot/bare ≥ 0.5 at 32 connections and ≥ 0.25 at
// 4, held across rounds.
//
//   ingest_bench [--smoke] [--seconds S] [--rounds N] [--connections 4,32]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/measure.hpp"
#include "bench/options.hpp"
#include "bench/process_memory.hpp"
#include "core/crypto.hpp"
#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

struct Options {
  bool smoke = false;
  int seconds = 10;
  int rounds = 3;
  std::vector<int> connections{4, 32};
};

struct Run {
  double rps = 0;
  long accepted = 0, duplicate = 0, other = 0;
  std::string errors;  // wrk's socket error line, if any
};

std::string lua_script(const std::string& body_path, const std::string& signature, const std::string& run_id) {
  return R"lua(
local threads = {}
local counter = 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  prefix = ")lua" + run_id + R"lua(-" .. tid .. "-"
  accepted, duplicate, other = 0, 0, 0
end
local f = assert(io.open(")lua" + body_path + R"lua(", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "push"
wrk.headers["X-Hub-Signature-256"] = ")lua" + signature + R"lua("
function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = prefix .. counter
  return wrk.format()
end
function response(status, headers, body)
  if status == 202 then accepted = accepted + 1
  elseif status == 200 then duplicate = duplicate + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local a, d, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); d = d + t:get("duplicate"); o = o + t:get("other")
  end
  io.write(string.format("counts %d %d %d\n", a, d, o))
end
)lua";
}

Run wrk(const TempDir& dir, int port, int connections, int seconds, const std::string& script) {
  const auto out = dir / "wrk.out";
  const std::string command = "wrk -t2 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) + "s -s " +
                              script + " http://127.0.0.1:" + std::to_string(port) + "/hooks/github > " +
                              out.string() + " 2>&1";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("wrk failed: " + read_file(out));
  const auto text = read_file(out);
  Run r;
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) r.rps = std::stod(m[1]);
  if (std::regex_search(text, m, std::regex(R"(counts (\d+) (\d+) (\d+))"))) {
    r.accepted = std::stol(m[1]);
    r.duplicate = std::stol(m[2]);
    r.other = std::stol(m[3]);
  }
  if (std::regex_search(text, m, std::regex(R"(Socket errors:[^\n]*)"))) r.errors = m[0];
  return r;
}

// What the bot's threads spent per event journaled during one run: the figure to compare builds
// by on a shared machine, where the rates move with the other load (bench/README.md).
struct BotUse {
  std::map<std::string, chatops::bench::ThreadUse> threads;
  double events = 0, commits = 0;
};

BotUse bot_use(const BotProcess& bot) {
  return {chatops::bench::thread_use("/proc/" + std::to_string(bot.pid())),
          bot.metric("chatops_events_accepted_total{source=\"github\"}").value_or(0),
          bot.metric("chatops_journal_commits_total").value_or(0)};
}

void print_use(const BotUse& before, const BotUse& after) {
  const double events = after.events - before.events;
  if (events <= 0) return;
  double total = 0;
  std::string per_thread;
  for (const auto& [name, use] : after.threads) {
    const auto b = before.threads.find(name);
    const double cpu = use.cpu_seconds - (b == before.threads.end() ? 0 : b->second.cpu_seconds);
    const long switches = use.voluntary_switches - (b == before.threads.end() ? 0 : b->second.voluntary_switches);
    if (cpu <= 0 && switches <= 0) continue;
    total += cpu;
    per_thread += fmt::format(" {} {:.1f} µs {:.2f} sw", name, cpu * 1e6 / events, switches / events);
  }
  std::printf("      bot per event: %.1f µs CPU,%s; %.2f events a commit\n", total * 1e6 / events, per_thread.c_str(),
              events / std::max(1.0, after.commits - before.commits));
}

// nullopt when the arguments are not understood (said on stderr).
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  chatops::bench::CommandLine options("ingest_bench");
  options.flag("--smoke", o.smoke)
      .value("--seconds", o.seconds, "S")
      .value("--rounds", o.rounds, "N")
      .value("--connections", o.connections, "4,32");
  if (!options.parse(argc, argv)) return std::nullopt;
  if (o.smoke) {
    o.seconds = 1;
    o.rounds = 1;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = parse(argc, argv);
  if (!parsed) return 2;
  const auto& o = *parsed;
  TempDir dir("chatops-ingest-bench");
  const auto body = read_file(std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/github/push.new-branch.json");
  const auto body_path = dir.write("push.json", body);
  const auto signature =
      "sha256=" + chatops::crypto::to_hex(chatops::crypto::hmac(chatops::crypto::Digest::Sha256, "s3cret", body));

  Ngircd ircd(NgircdOptions{.channels = {"#bench"}});
  BotConfig config;
  config.irc_port = ircd.port();
  config.channel = "#bench";
  config.sources = github_source();
  config.binds = "  - {type: webhook, mask: \"github/*\", say: {to: [\"#bench\"]}}\n";
  config.extra = "";
  config.log = "{level: warn}";
  BotProcess bot(dir, bot_config_yaml(config));

  const int bare_port = free_port();
  Process bare({.argv = {BARE_HTTP_SERVER, std::to_string(bare_port)}, .log_dir = dir.path(), .name = "bare"});
  if (!wait_for_port(bare_port)) throw std::runtime_error("bare_http_server did not start");

  std::printf("ingest_bench: wrk -t2, %d s per run, %d round(s); body %zu bytes, signed, a unique delivery id each\n",
              o.seconds, o.rounds, body.size());
  std::map<int, std::vector<double>> ratios, bare_rps, bot_rps;
  int run_number = 0;
  const auto stamp = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  for (int round = 1; round <= o.rounds; ++round) {
    for (int c : o.connections) {
      const auto id = stamp + "r" + std::to_string(++run_number);
      const auto script = dir.write("push-" + id + ".lua", lua_script(body_path.string(), signature, id)).string();
      const auto b = wrk(dir, bare_port, c, o.seconds, script);
      const auto use_before = bot_use(bot);
      const auto s = wrk(dir, bot.http_port(), c, o.seconds, script);
      const auto use_after = bot_use(bot);
      const double ratio = b.rps > 0 ? s.rps / b.rps : 0;
      ratios[c].push_back(ratio);
      bare_rps[c].push_back(b.rps);
      bot_rps[c].push_back(s.rps);
      std::printf("  round %d, %2d connections: bare %9.0f req/s | bot %9.0f req/s (accepted %ld, duplicate %ld, other "
                  "%ld) | ratio %.2f %s\n",
                  round, c, b.rps, s.rps, s.accepted, s.duplicate, s.other, ratio, s.errors.c_str());
      print_use(use_before, use_after);
      std::fflush(stdout);
    }
  }
  std::printf("medians:\n");
  for (int c : o.connections)
    std::printf("  %2d connections: bare %9.0f req/s, bot %9.0f req/s, ratio %.2f (target %.2f)\n", c,
                chatops::bench::median(bare_rps[c]), chatops::bench::median(bot_rps[c]), chatops::bench::median(ratios[c]), c >= 32 ? 0.5 : 0.25);
  std::printf("bot: %.0f events journaled in %.0f commits; backlog %.0f (planned %.0f, done %.0f, coalesced %.0f); "
              "VmHWM %ld KiB\n",
              bot.metric("chatops_events_accepted_total{source=\"github\"}").value_or(0),
              bot.metric("chatops_journal_commits_total").value_or(0), bot.metric("chatops_journal_backlog").value_or(0),
              bot.metric("chatops_events_planned_total").value_or(0), bot.metric("chatops_events_done_total").value_or(0),
              bot.metric("chatops_lines_coalesced_total").value_or(0), bot.peak_rss_kib());
  // Where the memory is after the load (the backlog still being said): heap and arenas, or files.
  std::printf("bot memory after the load:\n");
  chatops::bench::print_process_memory(chatops::bench::process_memory(bot.pid()), 6);
  return 0;
}
