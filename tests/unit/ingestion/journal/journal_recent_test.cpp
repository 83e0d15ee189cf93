// The journal hands the events it has just committed to the reader from memory: the same events
// as the file gives back, every one once and in order, and the file whenever memory is not sure.
#include <catch2/catch.hpp>

#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::testing;

namespace {

std::vector<std::int64_t> recent_ids(const std::vector<IngestionEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.id);
  return out;
}

// A journal that keeps what it commits for the reader, past its first commit (what the first
// commit holds is read from the file, like anything from before the start).
struct RecentJournal {
  TempDir dir;
  std::unique_ptr<Journal> journal = open_journal(dir.file("j.db"));
  std::int64_t first = 0;
  RecentJournal() {
    journal->hand_committed_to_reader();
    first = append(*journal, make_event("first")).id;
  }
  // The events after `after` as the file has them, whatever memory holds.
  std::vector<IngestionEvent> from_file(std::int64_t after) {
    auto all = journal->pending_events(0, 100000).value();  // 0 is below the floor: the file
    std::erase_if(all, [&](const IngestionEvent& e) { return e.id <= after; });
    return all;
  }
};

void require_same(const IngestionEvent& memory, const IngestionEvent& file) {
  CHECK(memory.id == file.id);
  CHECK(memory.source == file.source);
  CHECK(memory.family == file.family);
  CHECK(memory.topic == file.topic);
  CHECK(memory.time == file.time);
  CHECK(memory.severity == file.severity);
  CHECK(memory.dedupe_key == file.dedupe_key);
  CHECK(memory.fields == file.fields);
  CHECK(memory.raw.empty());
  CHECK(memory.raw_compressed == file.raw_compressed);
  CHECK(payload_text(memory) == payload_text(file));
  CHECK(memory.default_template == file.default_template);
}

}  // namespace

TEST_CASE("Events handed from memory are those the file gives back, field for field", "[journal]") {
  RecentJournal j;
  auto plain = make_event("github/push", "d-1");
  plain.severity = Severity::Warning;
  plain.raw = R"({"ref":"main"})";
  plain.default_template = "pushed to {{ref}}";
  auto written = make_event("db/orders");
  written.fields = EventFields::from_text(R"({"id":7,"name":"x"})");  // a source that writes the journal form itself
  auto invalid = make_event("generic/x");
  invalid.fields = {{"text", "caf\xe9"}};  // not UTF-8: journaled with U+FFFD
  for (auto* e : {&plain, &written, &invalid}) REQUIRE(append(*j.journal, *e).result == Submission::Accepted);

  auto memory = j.journal->pending_events(j.first, 10).value();
  auto file = j.from_file(j.first);
  REQUIRE(memory.size() == 3);
  // Text stays text: the dispatcher reads a few names of it, and parses it only to render.
  CHECK(memory[1].fields.holds_text());
  CHECK(file[1].fields.holds_text());
  REQUIRE(file.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) require_same(memory[i], file[i]);
  CHECK(memory[1].fields == nlohmann::json{{"id", 7}, {"name", "x"}});
  CHECK(memory[2].fields["text"] == "caf\xef\xbf\xbd");
}

TEST_CASE("Walking forward in chunks gives every committed event once, in order, past the memory bound",
          "[journal]") {
  RecentJournal j;
  std::int64_t walked_to = j.first;
  // Round 0 fits in memory; the others commit more than memory keeps while nobody reads: the
  // reader goes to the file, then back to memory.
  for (std::size_t per_round : {std::size_t{40}, RecentEvents::kMaxEvents + 40, 2 * RecentEvents::kMaxEvents}) {
    std::vector<std::int64_t> committed;
    while (committed.size() < per_round) {
      EventBatch batch{"test", {}, std::nullopt};
      for (int i = 0; i < 8; ++i) batch.events.push_back(make_event("t/" + std::to_string(committed.size())));
      auto r = j.journal->submit_and_wait(std::move(batch));
      committed.insert(committed.end(), r.ids.begin(), r.ids.end());
    }
    std::vector<std::int64_t> walked;
    for (;;) {
      auto chunk = j.journal->pending_events(walked_to, 100).value();
      if (chunk.empty()) break;
      for (const auto& e : chunk) walked.push_back(e.id);
      walked_to = chunk.back().id;
    }
    CHECK(walked == committed);
  }
}

TEST_CASE("A reader walking back below what it was handed reads the file, done events left out", "[journal]") {
  RecentJournal j;
  auto a = append(*j.journal, make_event("a")).id;
  auto b = append(*j.journal, make_event("b")).id;
  auto c = append(*j.journal, make_event("c")).id;
  REQUIRE(recent_ids(j.journal->pending_events(j.first, 2).value()) == std::vector{a, b});
  REQUIRE(j.journal->mark_done(a));
  // Back to the start (a target joined late, the link dropped): b was handed out, not done.
  REQUIRE(recent_ids(j.journal->pending_events(j.first, 10).value()) == std::vector{b, c});
  REQUIRE(recent_ids(j.journal->pending_events(b, 10).value()) == std::vector{c});
  REQUIRE(j.journal->pending_events(c, 10).value().empty());
}

TEST_CASE("Deliveries of an event handed from memory are none until one is recorded", "[journal]") {
  RecentJournal j;
  auto a = append(*j.journal, make_event("a")).id;
  REQUIRE(recent_ids(j.journal->pending_events(j.first, 10).value()) == std::vector{a});
  CHECK(j.journal->deliveries(a).value().empty());
  REQUIRE(j.journal->mark_sent(a, "bind0:#ops"));
  auto d = j.journal->deliveries(a).value();
  REQUIRE(d.size() == 1);
  CHECK(d[0].handler_key == "bind0:#ops");
}

TEST_CASE("Without a reader asking for them, committed events are not kept in memory", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.file("j.db"));
  append(*journal, make_event("a"));
  auto b = append(*journal, make_event("b")).id;
  auto c = append(*journal, make_event("c")).id;
  REQUIRE(recent_ids(journal->pending_events(b - 1, 10).value()) == std::vector{b, c});
  REQUIRE(recent_ids(journal->pending_events(b - 1, 10).value()) == std::vector{b, c});  // still pending
}
