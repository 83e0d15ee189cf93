// Issue: never lose an event. With the built bot, a real ngircd and a test client in the channel:
// kill -9 mid-stream, the IRC server restarted mid-stream, redelivery, and a 10,000-event burst.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/crypto.hpp"
#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/ngircd.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {
const std::string kSecret = "stream-secret";

// A generic source whose events say "event <n>" and are deduplicated by their id.
BotConfig stream_config(std::string flood) {
  BotConfig c;
  c.flood = std::move(flood);
  c.sources =
      "  - name: stream\n"
      "    kind: webhook\n"
      "    provider: generic\n"
      "    path: /hooks/stream\n"
      "    topic: test/stream\n"
      "    hmac: {header: X-Signature, algorithm: sha256, secret: " + kSecret + ", prefix: \"sha256=\"}\n"
      "    dedupe: /id\n"
      "    template: \"event {{n}}\"\n";
  c.binds = "  - {type: webhook, mask: \"test/*\", say: {to: [\"#ops\"]}}\n";
  return c;
}

HttpReply post_event(const BotProcess& bot, int n, bool good_signature = true) {
  const std::string body = "{\"id\":\"evt-" + std::to_string(n) + "\",\"n\":" + std::to_string(n) + "}";
  auto mac = crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, good_signature ? kSecret : "wrong", body));
  return bot.post("/hooks/stream", body, {{"X-Signature", "sha256=" + mac}});
}

// n → how many times "event <n>" was said in the channel.
std::map<int, int> said_counts(const IrcTestClient& watcher) {
  std::map<int, int> counts;
  for (const auto& m : watcher.messages()) {
    if (m.nick != "opsbot" || !m.text.starts_with("event ")) continue;
    ++counts[std::stoi(m.text.substr(6))];
  }
  return counts;
}

// Whether the journal records "event <n>" as said (its event done), read while the bot runs.
bool recorded_as_said(const TempDir& dir, int n) {
  SQLite::Database journal((dir.path() / "chatops.db").string(), SQLite::OPEN_READONLY);
  SQLite::Statement done(journal,
                         "SELECT count(*) FROM events WHERE source = 'stream' AND done_ms IS NOT NULL "
                         "AND json_extract(fields_json, '$.n') = ?");
  done.bind(1, n);
  return done.executeStep() && done.getColumn(0).getInt() == 1;
}

struct Outcomes {
  std::vector<int> accepted, refused, unknown;  // 202 / an error status / no answer
};

// Every accepted event said exactly once, none refused said, none unknown said twice.
void require_exactly_once(const Outcomes& o, IrcTestClient& watcher) {
  auto all_said = [&] {
    auto counts = said_counts(watcher);
    for (int n : o.accepted)
      if (!counts.contains(n)) return false;
    return true;
  };
  for (int i = 0; i < 600 && !all_said(); ++i) std::this_thread::sleep_for(100ms);
  std::this_thread::sleep_for(1s);  // a duplicate would show by now
  auto counts = said_counts(watcher);
  for (int n : o.accepted) {
    INFO("event " << n);
    REQUIRE(counts[n] == 1);
  }
  for (int n : o.refused) {
    INFO("refused event " << n);
    REQUIRE(counts[n] == 0);
  }
  for (int n : o.unknown) {
    INFO("unanswered event " << n);
    REQUIRE(counts[n] <= 1);
  }
}

void record(Outcomes& o, int n, const HttpReply& reply) {
  if (reply.status == 202) o.accepted.push_back(n);
  else if (reply.status == 0) o.unknown.push_back(n);
  else o.refused.push_back(n);
}
}  // namespace

TEST_CASE("kill -9 mid-stream: every accepted event is said exactly once after restart", "[e2e][reliability]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-kill9");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  auto config = stream_config("{burst: 4, rate: 5}");
  config.irc_port = ircd.port();
  BotProcess bot(dir, bot_config_yaml(config));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));

  Outcomes outcomes;
  std::atomic<int> accepted{0}, accepted_after_restart{0};
  std::atomic<bool> restarted{false};
  // Posts until 20 more are accepted by the restarted bot: counted, not timed, as a loaded
  // machine takes a varying while to restart it (posts meanwhile are not accepted).
  std::thread sender([&] {
    for (int n = 1; n <= 2000 && accepted_after_restart < 20; ++n) {
      const auto reply = post_event(bot, n, n % 10 != 7);  // every tenth-ish is badly signed
      record(outcomes, n, reply);
      if (reply.status == 202) ++(restarted ? accepted_after_restart : accepted);
      std::this_thread::sleep_for(25ms);
    }
  });
  // Events are journaled faster than flood control (5 a second) says them: killed once 20 are
  // accepted, most of them are not said yet.
  for (auto end = std::chrono::steady_clock::now() + 60s; accepted < 20 && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(10ms);
  // And at a moment when no line is in flight: just after one was seen and recorded as said in
  // the journal, well before flood control lets the next out (200 ms later). A line written in
  // the moment before a kill and not yet recorded is said again after the restart, the one
  // window IRC leaves (docs/operations.md); the Kafka bus test times its kill the same way.
  const auto in_between = [&] {
    const auto said = watcher.messages();
    const auto last = std::find_if(said.rbegin(), said.rend(),
                                   [](const auto& m) { return m.nick == "opsbot" && m.text.starts_with("event "); });
    if (last == said.rend()) return false;
    const auto age = std::chrono::steady_clock::now() - last->received;
    return age > 20ms && age < 120ms && recorded_as_said(dir, std::stoi(last->text.substr(6)));
  };
  bool between = false;
  for (auto end = std::chrono::steady_clock::now() + 60s; !(between = in_between()) && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(5ms);
  REQUIRE(between);
  bot.kill9();
  std::this_thread::sleep_for(300ms);  // down a moment: posts meanwhile find nobody
  bot.start();
  restarted = true;
  sender.join();
  REQUIRE(outcomes.accepted.size() >= 40);
  require_exactly_once(outcomes, watcher);
}

TEST_CASE("the IRC server restarted mid-stream: every accepted event is said exactly once", "[e2e][reliability]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}, .no_flood_penalty = true});
  TempDir dir("chatops-ircd-restart");
  auto watcher = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher->join("#ops");
  auto config = stream_config("{burst: 4, rate: 5}");
  config.irc_port = ircd.port();
  BotProcess bot(dir, bot_config_yaml(config));
  REQUIRE(watcher->wait_for_join("opsbot", "#ops", 30s));

  Outcomes outcomes;
  for (int n = 1; n <= 30; ++n) record(outcomes, n, post_event(bot, n));
  // Some are said, the rest wait; the server goes away and comes back.
  REQUIRE(watcher->wait_for(std::regex("^event "), "opsbot", "#ops", 10s, 5).size() >= 5);
  auto before = watcher->messages();
  ircd.restart();
  watcher = std::make_unique<IrcTestClient>(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher->join("#ops");
  for (int n = 31; n <= 50; ++n) record(outcomes, n, post_event(bot, n));
  REQUIRE(watcher->wait_for_join("opsbot", "#ops", 30s));
  // What the first watcher saw plus what the second one sees.
  std::map<int, int> counts;
  auto count_all = [&] {
    counts.clear();
    for (const auto& list : {before, watcher->messages()})
      for (const auto& m : list)
        if (m.nick == "opsbot" && m.text.starts_with("event ")) ++counts[std::stoi(m.text.substr(6))];
  };
  for (int i = 0; i < 600; ++i) {
    count_all();
    if (std::all_of(outcomes.accepted.begin(), outcomes.accepted.end(), [&](int n) { return counts.contains(n); })) break;
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(1s);  // absence: nothing more comes
  count_all();
  REQUIRE(outcomes.accepted.size() == 50);
  for (int n : outcomes.accepted) {
    INFO("event " << n);
    REQUIRE(counts[n] == 1);
  }
}

TEST_CASE("the same GitHub delivery sent twice is said once", "[e2e][reliability]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-dedupe");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  BotConfig config;
  config.irc_port = ircd.port();
  config.sources = github_source();
  config.binds = "  - {type: webhook, mask: \"github/*\", say: {to: [\"#ops\"]}}\n";
  BotProcess bot(dir, bot_config_yaml(config));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));

  auto body = read_file(std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/github/push.new-branch.json");
  REQUIRE(bot.post_github("/hooks/github", "s3cret", "push", "same-delivery", body).status == 202);
  auto again = bot.post_github("/hooks/github", "s3cret", "push", "same-delivery", body);
  REQUIRE(again.status == 200);
  REQUIRE(again.body.find("duplicate") != std::string::npos);
  REQUIRE(watcher.wait_for(std::regex("Hello-World"), "opsbot", "#ops", 30s).size() == 1);
  std::this_thread::sleep_for(2s);  // absence: nothing more comes
  // The push is said once: its headline and its one commit line, nothing more.
  auto said = watcher.messages();
  REQUIRE(std::count_if(said.begin(), said.end(), [](const Privmsg& m) { return m.text.find("Hello-World") != std::string::npos; }) == 1);
  REQUIRE(std::count_if(said.begin(), said.end(), [](const Privmsg& m) { return m.text.find("Initial commit") != std::string::npos; }) == 1);
  REQUIRE(bot.metric("chatops_events_duplicate_total{source=\"github\"}") == 1);
}

TEST_CASE("10,000 events in a burst: never disconnected, every event said or counted in a digest",
          "[e2e][reliability][slow]") {
  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-burst");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  auto config = stream_config("{burst: 4, rate: 1.0}");  // the defaults
  config.irc_port = ircd.port();
  BotProcess bot(dir, bot_config_yaml(config));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 30s));

  constexpr int kEvents = 10'000;
  std::atomic<int> next{1}, accepted{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 8; ++t)
    senders.emplace_back([&] {
      for (int n = next++; n <= kEvents; n = next++)
        if (post_event(bot, n).status == 202) ++accepted;
    });
  for (auto& t : senders) t.join();
  REQUIRE(accepted == kEvents);

  // Said in full or counted in "… and N more events" digests: the counts add up.
  auto accounted = [&] {
    long total = 0;
    for (const auto& m : watcher.messages()) {
      if (m.nick != "opsbot") continue;
      if (m.text.starts_with("event ")) ++total;
      else if (m.text.starts_with("… and ")) total += std::stol(m.text.substr(std::string("… and ").size()));
    }
    return total;
  };
  for (int i = 0; i < 1200 && accounted() < kEvents; ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(accounted() == kEvents);
  REQUIRE(bot.metric("chatops_irc_reconnects_total") == 0);
  REQUIRE(bot.metric("chatops_journal_backlog") == 0);
  REQUIRE(*bot.metric("chatops_lines_coalesced_total") > 0);
  // docs/operations.md documents this bound.
  const long peak_kib = bot.peak_rss_kib();
  INFO("peak RSS " << peak_kib << " KiB");
  REQUIRE(peak_kib > 0);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Under AddressSanitizer (shadow memory, a 256 MiB free quarantine) or ThreadSanitizer (shadow
  // memory) the sanitizer dominates the RSS; the bound is a property of the normal build.
  REQUIRE(peak_kib < 200 * 1024);
#endif
  REQUIRE_FALSE(watcher.wait_for_line([](const IrcLine& l) { return l.command == "QUIT" && l.nick == "opsbot"; }, 10ms));
}
