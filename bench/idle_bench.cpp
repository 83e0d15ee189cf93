// The bot's idle memory on the shipped config.yml (three webhook sources, fifteen binds): the
// built chatops-bot joins #ops on a real ngircd, says one signed GitHub push (so that HMAC, the
// provider, the journal, the template and IRC output have all run once), then idles; its VmRSS is
// read and broken down per mapping from /proc/PID/smaps (the executable, each shared library, the
// heap, thread stacks, other anonymous memory), several times a second apart, median of the totals.
//
// Baseline, same run: ngircd, idle with the bot and a watcher connected (a small C daemon: what an
// event-driven network server costs on this system). Target (issue "internet-facing webhook
// front"): the bot's idle RSS ≤ 10 MiB.
//
//   idle_bench [--smoke] [--samples N] [--top N]
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "bench/measure.hpp"
#include "bench/options.hpp"
#include "bench/ordered_text.hpp"
#include "bench/process_memory.hpp"
#include "core/crypto.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops::test;
using namespace chatops::bench;
using namespace std::chrono_literals;

namespace {

struct Options {
  bool smoke = false;
  int samples = 5;
  std::size_t top = 14;
};

// nullopt when the arguments are not understood (said on stderr).
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  chatops::bench::CommandLine options("idle_bench");
  options.flag("--smoke", o.smoke).value("--samples", o.samples, "N").value("--top", o.top, "N");
  if (!options.parse(argc, argv)) return std::nullopt;
  if (o.smoke) o.samples = 1;
  o.samples = std::max(1, o.samples);
  o.top = std::max<std::size_t>(1, o.top);
  return o;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("config.yml no longer contains " + from);
  return text.replace(at, from.size(), to);
}

int run(const Options& o) {
  // A freshly linked executable's pages are still dirty in the page cache, and smaps would count
  // them as private dirty: written back first.
  ::sync();
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");

  // The shipped file as it is, but for where it listens and keeps its journal.
  TempDir dir("chatops-idle-bench");
  auto yaml = read_file(std::string(CHATOPS_SOURCE_DIR) + "/config.yml");
  yaml = replaced(yaml, "${HTTP_LISTEN:-127.0.0.1:8080}", "127.0.0.1:{{http_port}}");
  yaml = replaced(yaml, "./data/chatops.db", "{{dir}}/chatops.db");
  const std::string secret = "idle-bench-secret";
  BotProcess bot(dir, yaml,
                 {{"IRC_PORT", std::to_string(ircd.port())}, {"GITHUB_WEBHOOK_SECRET", secret}, {"LOG_LEVEL", "info"}});
  if (!watcher.wait_for_join("opsbot", "#ops", 15s)) throw std::runtime_error("the bot did not join:\n" + bot.log());

  const auto body = read_file(std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/github/push.new-branch.json");
  httplib::Client client("127.0.0.1", bot.http_port());
  const auto signature =
      "sha256=" + chatops::crypto::to_hex(chatops::crypto::hmac(chatops::crypto::Digest::Sha256, secret, body));
  auto answer = client.Post("/hooks/github",
                            {{"X-GitHub-Event", "push"},
                             {"X-GitHub-Delivery", "idle-bench-1"},
                             {"X-Hub-Signature-256", signature}},
                            body, "application/json");
  if (!answer || answer->status != 202) throw std::runtime_error("the push was not accepted:\n" + bot.log());
  watcher.wait_for(std::regex("pushed|created"), "opsbot", "#ops", 10s);
  std::this_thread::sleep_for(1s);

  std::vector<double> totals;
  ProcessMemory last;
  for (int i = 0; i < o.samples; ++i) {
    if (i > 0) std::this_thread::sleep_for(1s);
    last = process_memory(bot.pid());
    totals.push_back(static_cast<double>(last.total.rss_kib));
  }
  const auto ircd_memory = process_memory(ircd.process()->pid());
  const auto text = ordered_text(bot.pid(), std::string(CHATOPS_SOURCE_DIR) + "/cmake/startup-order.txt");

  std::printf("idle_bench: the bot on the shipped config.yml, idle after one GitHub push said (%d sample(s))\n",
              o.samples);
  std::printf("bot, last sample:\n");
  print_process_memory(last, o.top);
#ifdef NDEBUG
  const char* reading = "a stale list shows as hundreds of KiB more here than right after scripts/startup-order";
#else
  const char* reading = "a Debug build: the list is made from a Release one's functions";
#endif
  if (text.known)
    std::printf("the executable's code resident: %ld KiB in the %zu functions cmake/startup-order.txt places first, "
                "%ld KiB elsewhere (%s)\n",
                text.inside_kib, text.functions, text.outside_kib, reading);
  const double idle = median(totals);
  std::printf("baseline, same run: ngircd idle VmRSS %ld KiB\n", ircd_memory.total.rss_kib);
  std::printf("bot idle VmRSS (median) %.0f KiB = %.1f MiB; ratio to ngircd %.1f; target <= 10 MiB: %s\n", idle,
              idle / 1024, ircd_memory.total.rss_kib > 0 ? idle / static_cast<double>(ircd_memory.total.rss_kib) : 0,
              idle <= 10 * 1024 ? "met" : "NOT met");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = parse(argc, argv);
    return options ? run(*options) : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "idle_bench: %s\n", e.what());
    return 1;
  }
}
