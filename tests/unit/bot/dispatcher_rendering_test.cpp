// Rendering only what is said: an output coalesced into a digest is counted without its text.
#include <catch2/catch.hpp>

#include <memory>

#include "bot/dispatcher.hpp"
#include "tests/unit/bot/dispatcher_support.hpp"

using namespace chatops;
using namespace chatops::bot;
using namespace chatops::bot::testing;

namespace {
// Every event says its text to #ops, rendered when asked (counted in `renderings`), or rendered
// at once; an event whose text is "boom" fails to render.
Dispatcher::Planner rendering_planner(bool later, std::shared_ptr<std::size_t> renderings) {
  return [later, renderings](const ingestion::IngestionEvent& e) {
    const auto text = e.fields["text"].get<std::string>();
    Output o;
    o.key = {e.id, "b1:#ops"};
    o.target = "#ops";
    o.what = "test events";
    o.scope = "org/repo";
    o.received = e.time;
    o.digest_group = "b1|" + e.topic;
    const auto rendered = [text, renderings]() -> Result<std::string> {
      ++*renderings;
      if (text == "boom") return fail("rendering failed: boom");
      return "said: " + text;
    };
    Plan plan;
    if (later) {
      o.render = rendered;
      o.max_lines = 11;
    } else if (auto now = rendered()) {
      o.text = *now;
    } else {
      plan.failures.push_back({0, {"#ops"}, now.error().message});
      return plan;
    }
    plan.outputs.push_back(std::move(o));
    return plan;
  };
}

struct FloodRun {
  std::vector<Send> delivered;
  std::size_t renderings = 0;
  DispatcherStats stats;
};

// `events` texts journaled at once, then said through a small flood capacity.
FloodRun flood(const std::vector<std::string>& events, bool later) {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (const auto& text : events) f.add(text, "github/push");
  DispatcherOptions options;
  options.coalesce_capacity = 20;
  options.in_flight_lines = 2;
  auto renderings = std::make_shared<std::size_t>(0);
  Dispatcher d(*f.journal, rendering_planner(later, renderings), f.irc, options);
  d.pump();
  f.irc.accept_all();
  REQUIRE(*f.journal->backlog() == 0);
  return {f.irc.delivered, *renderings, d.stats()};
}

std::vector<std::string> numbered(int count) {
  std::vector<std::string> out;
  for (int i = 1; i <= count; ++i) out.push_back("push " + std::to_string(i));
  return out;
}

// How many outputs the lines said stand for: said in full, or counted in a digest.
std::size_t outputs_said(const std::vector<Send>& delivered) {
  std::size_t counted = 0;
  for (const auto& s : delivered) counted += s.sent.size() + s.digested.size();
  return counted;
}

// Says what is journaled in `f` through config binds, with a flood capacity of 20 lines.
DispatcherStats say_through_binds(Fixture& f, const std::string& binds_yaml) {
  PlannedBinds binds(f.irc, binds_yaml);
  DispatcherOptions options;
  options.coalesce_capacity = 20;
  Dispatcher d(*f.journal, binds.planner_fn(), f.irc, options);
  d.pump();
  f.irc.accept_all();
  return d.stats();
}
}  // namespace

TEST_CASE("a flood rendered when said says the same lines and digests as one rendered at once", "[dispatcher]") {
  const auto now = flood(numbered(300), false);
  const auto later = flood(numbered(300), true);
  REQUIRE(later.delivered.size() == now.delivered.size());
  for (std::size_t i = 0; i < now.delivered.size(); ++i) {
    INFO(i);
    CHECK(later.delivered[i].text == now.delivered[i].text);
    CHECK(later.delivered[i].sent == now.delivered[i].sent);
    CHECK(later.delivered[i].digested == now.delivered[i].digested);
  }
  CHECK(later.stats.outputs_digested == now.stats.outputs_digested);
  CHECK(later.stats.events_done == 300);
  // Only the lines said in full and each digest's latest are rendered.
  CHECK(now.renderings == 300);
  CHECK(later.renderings < 300 / 4);
}

TEST_CASE("a rendering that fails when its output is to be said fails its event once, outside the digest",
          "[dispatcher]") {
  // The last of a burst is the digest's "latest": rendered, it fails.
  auto texts = numbered(299);
  texts.push_back("boom");
  Fixture f;
  f.irc.ready = {"#ops"};
  for (const auto& text : texts) f.add(text, "github/push");
  DispatcherOptions options;
  options.coalesce_capacity = 20;
  options.in_flight_lines = 2;
  Dispatcher d(*f.journal, rendering_planner(true, std::make_shared<std::size_t>(0)), f.irc, options);
  d.pump();
  f.irc.accept_all();
  const auto eager = flood(texts, false);  // the same flood with the failure found while planning
  CHECK(f.irc.texts() == [&] {
    std::vector<std::string> out;
    for (const auto& s : eager.delivered) out.push_back(s.text);
    return out;
  }());
  CHECK(count_containing(f.irc.texts(), "[chatops] event 300 (github/push) could not be said: rendering failed: boom") == 1);
  CHECK(count_containing(f.irc.texts(), "(latest: said: push 299)") >= 1);
  CHECK(f.failed_reason(300) == "binds[0]: rendering failed: boom");
  CHECK(d.stats().events_failed == 1);
  CHECK(d.stats().events_done == 299);
  CHECK(outputs_said(f.irc.delivered) == 299);
  CHECK(*f.journal->backlog() == 0);
}

TEST_CASE("a burst of events whose own template does not compile is failed, not counted in a digest",
          "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 100; ++i) {
    ingestion::IngestionEvent e;
    e.source = "test";
    e.family = "webhook";
    e.topic = "github/push";
    e.fields = {{"text", "push " + std::to_string(i)}, {"repo", "org/repo"}};
    // Every tenth event was journaled with a template this version refuses.
    e.default_template = i % 10 == 0 ? "{{#open}} never closed" : "[B]{{repo}}[/B] {{text}}";
    REQUIRE(f.journal->submit_one(e) == ingestion::Submission::Accepted);
  }
  const auto stats = say_through_binds(f, "binds: [{type: webhook, mask: \"github/*\", say: {to: [\"#ops\"]}}]\n");
  CHECK(outputs_said(f.irc.delivered) == 90);
  CHECK(stats.events_failed == 10);
  CHECK(f.failed_reason(50).starts_with("binds[0]: the event's template does not compile"));
  CHECK(*f.journal->backlog() == 0);
}

TEST_CASE("a template that may say nothing is rendered while planning, so a blank output is never counted",
          "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 100; ++i) f.add(i % 2 ? "said" : "", "github/push");
  const auto stats = say_through_binds(
      f, "binds: [{type: webhook, mask: \"github/*\", say: {to: [\"#ops\"], template: \"{{#text}}{{text}}{{/text}}\"}}]\n");
  CHECK(outputs_said(f.irc.delivered) == 50);
  CHECK(stats.events_done == 100);
  CHECK(count_containing(f.irc.texts(), "… and 49 more") == 1);
}

TEST_CASE("config binds render a coalesced burst's said line and latest as they would at once", "[dispatcher]") {
  Fixture f;
  f.irc.ready = {"#ops"};
  for (int i = 1; i <= 100; ++i) f.add("push " + std::to_string(i), "github/push");
  const auto stats = say_through_binds(
      f, "binds: [{type: webhook, mask: \"github/*\", say: {to: [\"#ops\"], template: \"[B]{{repo}}[/B] {{text}}\"}}]\n");
  CHECK(f.irc.texts() == std::vector<std::string>{"\x02org/repo\x02 push 1", "… and 99 more events in org/repo (latest: org/repo push 100)"});
  CHECK(stats.events_done == 100);
}
