#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <limits>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bindings/config_binds.hpp"
#include "bot/dispatcher.hpp"
#include "bot/irc/sanitize.hpp"
#include "bot/irc/split.hpp"
#include "bot/planner.hpp"
#include "ingestion/journal/journal.hpp"
#include "tests/unit/bot/dispatcher_support.hpp"

using namespace chatops;
using namespace chatops::bot;
using namespace chatops::bot::testing;

namespace {
// Every event says its text to each of `targets`, one output per target; an event whose text is
// "bad" cannot be said by bind 0 (as if its template failed).
Dispatcher::Planner say_to(std::vector<std::string> targets) {
  return [targets](const ingestion::IngestionEvent& e) {
    Plan plan;
    if (e.fields["text"] == "bad") {
      plan.failures.push_back({0, targets, "template boom"});
      return plan;
    }
    for (const auto& t : targets) {
      Output o;
      o.key = {e.id, "0:" + t};
      o.target = t;
      o.text = e.fields["text"].get<std::string>();
      o.what = "test events";
      o.scope = "org/repo";
      o.received = e.time;
      o.digest_group = "0|" + e.topic;
      plan.outputs.push_back(o);
    }
    return plan;
  };
}

}  // namespace

TEST_CASE("events are said in order and marked done once the server accepted them", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 20; ++i) f.add("event " + std::to_string(i));
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, {});
  d.pump();
  REQUIRE(f.irc.pending.size() == 8);  // in_flight_lines: the rest waits
  f.irc.accept_all();
  REQUIRE(f.irc.delivered.size() == 20);
  for (int i = 0; i < 20; ++i) REQUIRE(f.irc.delivered[i].text == "event " + std::to_string(i + 1));
  REQUIRE(*f.journal->backlog() == 0);
}

TEST_CASE("a channel not joined keeps its events in the journal until it is", "[dispatcher]") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.add("event " + std::to_string(i));
  Dispatcher d(*f.journal, say_to({"#ops", "#dev"}), f.irc, {});
  f.irc.ready = {"#dev"};
  d.pump();
  f.irc.accept_all();
  REQUIRE(f.irc.delivered.size() == 5);  // #dev only
  REQUIRE(d.stats().waiting_lines == 0);  // nothing for #ops held in memory
  REQUIRE(d.stats().starved_targets == std::vector<std::string>{"#ops"});
  REQUIRE(*f.journal->backlog() == 5);
  f.irc.ready.insert("#ops");
  d.target_ready("#ops");
  f.irc.accept_all();
  REQUIRE(f.irc.delivered.size() == 10);
  for (int i = 5; i < 10; ++i) REQUIRE(f.irc.delivered[i].target == "#ops");
  REQUIRE(*f.journal->backlog() == 0);
}

TEST_CASE("lines lost with the connection are said after rejoin, none twice", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 12; ++i) f.add("event " + std::to_string(i));
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, {});
  d.pump();
  // The first three are accepted, then the link drops with the rest in flight.
  for (int i = 0; i < 3; ++i) {
    auto [send, done] = std::move(f.irc.pending.front());
    f.irc.pending.erase(f.irc.pending.begin());
    f.irc.delivered.push_back(send);
    done(true);
  }
  f.irc.ready.clear();
  f.irc.drop_all();
  d.connection_lost();
  f.irc.ready = {"#ops"};
  d.target_ready("#ops");
  f.irc.accept_all();
  auto texts = f.irc.texts();
  REQUIRE(texts.size() == 12);
  for (int i = 0; i < 12; ++i) REQUIRE(texts[i] == "event " + std::to_string(i + 1));
  REQUIRE(*f.journal->backlog() == 0);
}

TEST_CASE("after a restart only what was not said before is said", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 4; ++i) f.add("event " + std::to_string(i));
  {
    Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, {});
    d.pump();
    auto [send, done] = std::move(f.irc.pending.front());
    f.irc.pending.clear();  // the process dies with the rest in flight
    f.irc.delivered.push_back(send);
    done(true);
  }
  f.open();  // a new process on the same journal
  ScriptedIrc irc2;
  irc2.ready = {"#ops"};
  Dispatcher d(*f.journal, say_to({"#ops"}), irc2, {});
  d.pump();
  irc2.accept_all();
  REQUIRE(irc2.texts() == std::vector<std::string>{"event 2", "event 3", "event 4"});
  REQUIRE(*f.journal->backlog() == 0);
}

TEST_CASE("a burst beyond flood capacity is coalesced and every event still completes", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 300; ++i) f.add("push " + std::to_string(i), "github/push");
  DispatcherOptions options;
  options.coalesce_capacity = 20;
  options.in_flight_lines = 2;
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, options);
  d.pump();
  f.irc.accept_all();
  auto texts = f.irc.texts();
  REQUIRE(texts.size() < 30);
  std::size_t counted = 0;
  for (const auto& s : f.irc.delivered) counted += s.sent.size() + s.digested.size();
  REQUIRE(counted == 300);
  REQUIRE(std::any_of(texts.begin(), texts.end(),
                      [](const std::string& t) { return t.starts_with("… and ") && t.find("test events in org/repo") != std::string::npos; }));
  REQUIRE(*f.journal->backlog() == 0);
  REQUIRE(d.stats().outputs_digested > 0);
}

TEST_CASE("a backlog longer than max_waiting_outputs keeps the rest in the journal and still says every event",
          "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 300; ++i) f.add("push " + std::to_string(i), "github/push");
  DispatcherOptions options;
  options.coalesce_capacity = 4;
  options.in_flight_lines = 1;
  options.max_waiting_outputs = 50;
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, options);
  d.pump();
  // Coalescing keeps the lines few; without the bound every one of the 300 would be in memory.
  REQUIRE(d.stats().held_outputs <= 50);
  REQUIRE(d.stats().waiting_lines <= 5);
  REQUIRE(*f.journal->backlog() == 300);
  std::size_t most_held = 0;
  while (!f.irc.pending.empty()) {
    most_held = std::max(most_held, d.stats().held_outputs);
    auto [send, done] = std::move(f.irc.pending.front());
    f.irc.pending.erase(f.irc.pending.begin());
    f.irc.delivered.push_back(send);
    done(true);
  }
  REQUIRE(most_held <= 50);
  std::size_t counted = 0;
  for (const auto& s : f.irc.delivered) counted += s.sent.size() + s.digested.size();
  REQUIRE(counted == 300);
  REQUIRE(*f.journal->backlog() == 0);
  REQUIRE(d.stats().held_outputs == 0);
}

TEST_CASE("an event no bind wants is done at once", "[dispatcher]") {
  Fixture f;
  f.add("ignored");
  Dispatcher d(*f.journal, say_to({}), f.irc, {});
  d.pump();
  REQUIRE(f.irc.pending.empty());
  REQUIRE(*f.journal->backlog() == 0);
}

TEST_CASE("an event a handler cannot say is marked failed with its reason, told once, and the rest goes on",
          "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (const auto* text : {"event 1", "bad", "bad", "event 4"}) f.add(text);
  {
    Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, {});
    d.pump();
    f.irc.accept_all();
    auto texts = f.irc.texts();
    CHECK(count_containing(texts, "event 1") == 1);
    CHECK(count_containing(texts, "event 4") == 1);
    // Two failing events of one bind: one line in the channel (rate-limited per bind).
    REQUIRE(count_containing(texts, "could not be said") == 1);
    CHECK(count_containing(texts, "[chatops] event 2 (test/event) could not be said: template boom") == 1);
    CHECK(*f.journal->backlog() == 0);
    CHECK(d.stats().events_failed == 2);
    CHECK(d.stats().events_done == 2);
    CHECK(f.failed_reason(2) == "binds[0]: template boom");
    CHECK(f.failed_reason(3) == "binds[0]: template boom");
    CHECK(f.failed_reason(1).empty());
  }
  f.open();  // a restart: failed events are not replayed, nothing is said again
  ScriptedIrc irc2;
  irc2.ready = {"#ops"};
  Dispatcher d(*f.journal, say_to({"#ops"}), irc2, {});
  d.pump();
  irc2.accept_all();
  CHECK(irc2.delivered.empty());
  CHECK(d.stats().events_failed == 0);
}

TEST_CASE("failures are told again once the interval has passed", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  DispatcherOptions options;
  options.failure_notice_interval = std::chrono::steady_clock::duration::zero();
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, options);
  f.add("bad");
  f.add("bad");
  d.pump();
  f.irc.accept_all();
  CHECK(count_containing(f.irc.texts(), "could not be said") == 2);
}

TEST_CASE("a planner that throws fails that event only", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (const auto* text : {"event 1", "throw", "event 3"}) f.add(text);
  auto planner = [inner = say_to({"#ops"})](const ingestion::IngestionEvent& e) {
    if (e.fields["text"] == "throw") throw std::runtime_error("no memory left");
    return inner(e);
  };
  Dispatcher d(*f.journal, planner, f.irc, {});
  d.pump();
  f.irc.accept_all();
  CHECK(f.irc.texts() == std::vector<std::string>{"event 1", "event 3"});  // no target to tell
  CHECK(f.failed_reason(2) == "dispatch: no memory left");
  CHECK(*f.journal->backlog() == 0);
}

TEST_CASE("a failure waits for its channel like an output does", "[dispatcher]") {
  Fixture f;
  f.add("bad");
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, {});
  d.pump();  // #ops not joined yet (e.g. just after start-up)
  CHECK(f.irc.pending.empty());
  CHECK(*f.journal->backlog() == 1);
  f.irc.ready = {"#ops"};
  d.target_ready("#ops");
  f.irc.accept_all();
  CHECK(count_containing(f.irc.texts(), "[chatops] event 1 (test/event) could not be said: template boom") == 1);
  CHECK(*f.journal->backlog() == 0);
  CHECK(f.failed_reason(1) == "binds[0]: template boom");
}

namespace {
std::string words(std::size_t bytes) {
  std::string text;
  for (int i = 0; text.size() < bytes; ++i) text += "word" + std::to_string(i) + " ";
  return text;
}
}  // namespace

TEST_CASE("a 300 KB field is capped at the bind's lines and does not hold the next event", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  const auto huge = words(300'000);
  f.add(huge);
  f.add("ping");
  PlannedBinds binds(f.irc, "binds: [{type: webhook, mask: \"test/*\", say: {to: [\"#ops\"], template: \"{{text}}\"}}]\n");
  Dispatcher d(*f.journal, binds.planner_fn(), f.irc, {});
  d.pump();
  f.irc.accept_all();
  REQUIRE(f.irc.delivered.size() == 2);
  const auto& first = f.irc.delivered[0];
  const auto total = irc::fit_lines(huge, 400, std::numeric_limits<std::size_t>::max()).lines.size();
  REQUIRE(total > 600);
  // 10 lines of the field, then the summary: the ping waits behind 11 lines, not 700.
  REQUIRE(first.lines() == 11);
  CHECK(first.text.ends_with("\n… " + std::to_string(total - 10) + " more lines not said (event 1)"));
  for (const auto& line : irc::to_lines(first.text)) CHECK(line.size() <= 400);
  CHECK(f.irc.delivered[1].text == "ping");
  CHECK(*f.journal->backlog() == 0);
}

TEST_CASE("say.max_lines sets the cap per bind, and lines are counted after splitting", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  f.add(words(1000));  // three lines of 400 bytes
  PlannedBinds binds(f.irc,
                     "binds:\n"
                     "  - {type: webhook, mask: \"test/*\", say: {to: [\"#ops\"], template: \"{{text}}\", max_lines: 2}}\n"
                     "  - {type: webhook, mask: \"test/*\", say: {to: [\"#dev\"], template: \"{{text}}\", max_lines: 3}}\n");
  f.irc.ready.insert("#dev");
  Dispatcher d(*f.journal, binds.planner_fn(), f.irc, {});
  d.pump();
  f.irc.accept_all();
  REQUIRE(f.irc.delivered.size() == 2);
  for (const auto& send : f.irc.delivered) {
    INFO(send.target);
    if (send.target == "#ops") {
      CHECK(send.lines() == 3);
      CHECK(send.text.ends_with("\n… 1 more line not said (event 1)"));
    } else {
      CHECK(send.lines() == 3);
      CHECK(send.text.find("not said") == std::string::npos);
    }
  }
}

TEST_CASE("an event of a family no bind takes is ended as failed, not as said", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  ingestion::IngestionEvent stray;
  stray.source = "kafka-ops";
  stray.family = "kafka";  // a system's name where a family belongs (journaled by an older build)
  stray.topic = "orders/created";
  REQUIRE(f.journal->submit_one(stray) == ingestion::Submission::Accepted);
  f.add("after it");
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, {});
  d.pump();
  f.irc.accept_all();
  REQUIRE(f.irc.texts() == std::vector<std::string>{"after it"});
  REQUIRE(*f.journal->backlog() == 0);
  SQLite::Database db((f.dir / "journal.db").string());
  CHECK(db.execAndGet("SELECT failed_reason FROM events WHERE source = 'kafka-ops'").getString() ==
        "no bind type takes events of family \"kafka\"");
}

TEST_CASE("a line said long after its event arrived starts with its age, a digest and a fresh line do not",
          "[dispatcher]") {
  using namespace std::chrono_literals;
  Fixture f;
  f.irc.ready = {"#ops"};
  const auto now = std::chrono::system_clock::now();
  f.add("from before the outage", "test/event", now - 12min - 5s);
  f.add("just now", "test/event", now);
  f.add("from yesterday", "test/event", now - 26h - 10min);
  DispatcherOptions options;
  options.late_after = 5min;
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, options);
  d.pump();
  f.irc.accept_all();
  REQUIRE(f.irc.texts() == std::vector<std::string>{"[12m late] from before the outage", "just now",
                                                    "[1d 2h late] from yesterday"});
}

TEST_CASE("a held (muted) source's events wait in the journal, others pass, and all are said once released",
          "[dispatcher][mute]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  f.add("held 1");
  {
    ingestion::IngestionEvent other;
    other.source = "other";
    other.family = "webhook";
    other.topic = "test/event";
    other.fields = {{"text", "from other"}, {"repo", "org/repo"}};
    REQUIRE(f.journal->submit_one(other) == ingestion::Submission::Accepted);
  }
  f.add("held 2");
  bool held = true;
  DispatcherOptions options;
  options.holds_source = [&held](const std::string& source) { return held && source == "test"; };
  Dispatcher d(*f.journal, say_to({"#ops"}), f.irc, options);
  d.pump();
  f.irc.accept_all();
  CHECK(f.irc.texts() == std::vector<std::string>{"from other"});
  CHECK(d.stats().starved_targets == std::vector<std::string>{Dispatcher::held_target("test")});
  CHECK(*f.journal->backlog() == 2);
  held = false;
  d.target_ready(Dispatcher::held_target("test"));
  f.irc.accept_all();
  CHECK(f.irc.texts() == std::vector<std::string>{"from other", "held 1", "held 2"});
  CHECK(*f.journal->backlog() == 0);
}

TEST_CASE("an event a program handler works on waits in the journal and is said once when planned again",
          "[dispatcher][handlers]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  f.add("quick");
  f.add("slow");
  f.add("after");
  std::set<std::int64_t> answered;  // events whose program has finished
  const auto output = [](const ingestion::IngestionEvent& e, const std::string& bind, const std::string& text) {
    Output o;
    o.key = {e.id, bind + ":#ops"};
    o.target = "#ops";
    o.text = text;
    o.received = e.time;
    o.digest_group = bind + "|" + std::to_string(e.id);
    return o;
  };
  Dispatcher d(*f.journal, [&](const ingestion::IngestionEvent& e) {
    Plan plan;
    const auto text = e.fields["text"].get<std::string>();
    plan.outputs.push_back(output(e, "0", "template: " + text));
    if (text == "slow" && !answered.contains(e.id)) plan.waiting.push_back("(programs running)");
    else plan.outputs.push_back(output(e, "1", "program: " + text));
    return plan;
  }, f.irc, {});
  d.pump();
  f.irc.accept_all();
  CHECK(f.irc.texts() == std::vector<std::string>{"template: quick", "program: quick", "template: slow", "template: after",
                                                  "program: after"});
  CHECK(d.stats().starved_targets == std::vector<std::string>{"(programs running)"});
  CHECK(*f.journal->backlog() == 1);  // the slow one, not done
  answered.insert(2);
  d.target_ready("(programs running)");
  f.irc.accept_all();
  CHECK(f.irc.texts().size() == 6);
  CHECK(f.irc.texts().back() == "program: slow");  // its template's line is not said again
  CHECK(*f.journal->backlog() == 0);
}

namespace {
const std::string kOpsThenDev =
    "binds:\n"
    "  - {type: webhook, mask: \"test/*\", say: {to: [\"#ops\"], template: \"ops: {{text}}\"}}\n"
    "  - {type: webhook, mask: \"test/*\", say: {to: [\"#dev\"], template: \"dev: {{text}}\"}}\n";
const std::string kDevThenOps =
    "binds:\n"
    "  - type: webhook\n"
    "    mask: \"test/*\"\n"
    "    say: {template: \"dev: {{text}}\", to: [\"#dev\"]}\n"
    "  - {type: webhook, mask: \"test/*\", say: {to: [\"#ops\"], template: \"ops: {{text}}\"}}\n";
}  // namespace

TEST_CASE("a reload that only reorders binds says nothing of an event in flight twice", "[dispatcher][reload]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  f.add("hello");
  auto binds = std::make_unique<PlannedBinds>(f.irc, kOpsThenDev);
  Dispatcher d(*f.journal, [&](const ingestion::IngestionEvent& e) { return binds->planner.plan(binds->table, e); },
               f.irc, {});
  d.pump();
  f.irc.accept_all();
  CHECK(f.irc.texts() == std::vector<std::string>{"ops: hello"});
  CHECK(*f.journal->backlog() == 1);  // #dev is not ready: the event is in flight
  binds = std::make_unique<PlannedBinds>(f.irc, kDevThenOps);  // what a reload installs
  f.irc.ready.insert("#dev");
  d.target_ready("#dev");
  f.irc.accept_all();
  CHECK(f.irc.texts() == std::vector<std::string>{"ops: hello", "dev: hello"});
  CHECK(*f.journal->backlog() == 0);
}

TEST_CASE("delivery rows keyed by bind position, as earlier versions wrote them, still count as said",
          "[dispatcher][reload]") {
  Fixture f;
  f.irc.ready = {"#ops", "#dev"};
  f.add("hello");
  // An earlier version said it to #ops (binds[0]) and stopped before #dev.
  REQUIRE(f.journal->mark_sent(1, "0:#ops"));
  PlannedBinds binds(f.irc, kOpsThenDev);
  Dispatcher d(*f.journal, binds.planner_fn(), f.irc, {});
  d.pump();
  f.irc.accept_all();
  CHECK(f.irc.texts() == std::vector<std::string>{"dev: hello"});
  CHECK(*f.journal->backlog() == 0);
}
