// What the speaker commits: the offset after the longest run of messages that are done (said or
// ended), per partition — never past a message that is only journaled.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "ingestion/bus/bus_progress.hpp"

using namespace chatops::ingestion;
using chatops::ingestion::bus::BusProgress;
using chatops::ingestion::bus::Partition;

namespace {

struct ProgressWithCommits {
  BusProgress progress;
  std::map<Partition, bus::CommitPoint> committed;
  ProgressWithCommits() {
    progress.attach([this](const std::map<Partition, bus::CommitPoint>& points) {
      for (const auto& [p, point] : points) committed[p] = point;
    });
  }
  // The first offset not done, as committed (-1 before any commit).
  std::int64_t at(int partition) const {
    const auto it = committed.find({"bus", partition});
    return it == committed.end() ? -1 : it->second.next;
  }
  std::string metadata(int partition) const {
    const auto it = committed.find({"bus", partition});
    return it == committed.end() ? "" : it->second.metadata;
  }
};

BatchResult progress_result(std::vector<Submission> outcomes, std::vector<std::int64_t> ids) {
  BatchResult r;
  r.outcomes = std::move(outcomes);
  r.ids = std::move(ids);
  return r;
}

const auto kNoOriginal = [](std::size_t) -> std::optional<std::int64_t> { return std::nullopt; };

}  // namespace

TEST_CASE("bus progress: offsets move only past messages said, in offset order", "[bus]") {
  ProgressWithCommits p;
  for (int offset = 0; offset < 3; ++offset) p.progress.taken({"bus", 0}, offset, true);
  p.progress.journaled(progress_result({Submission::Accepted, Submission::Accepted, Submission::Accepted}, {11, 12, 13}),
                       kNoOriginal);
  CHECK(p.at(0) == -1);  // journaled is not enough
  p.progress.done(12);
  CHECK(p.at(0) == 0);  // 11 is not said yet, 12 is: in the metadata
  CHECK(p.metadata(0) == "done:1");
  p.progress.done(11);
  CHECK(p.at(0) == 2);
  p.progress.done(13);
  CHECK(p.at(0) == 3);
  CHECK(p.progress.outstanding() == 0);
}

TEST_CASE("bus progress: unreadable messages are done at once, partitions move apart", "[bus]") {
  ProgressWithCommits p;
  p.progress.taken({"bus", 0}, 0, false);
  CHECK(p.at(0) == 1);
  p.progress.taken({"bus", 1}, 5, true);
  p.progress.taken({"bus", 0}, 1, true);
  p.progress.journaled(progress_result({Submission::Accepted, Submission::Accepted}, {7, 8}), kNoOriginal);
  p.progress.done(8);
  CHECK(p.at(0) == 2);
  CHECK(p.at(1) == -1);
  CHECK(p.metadata(0) == "done:");
}

TEST_CASE("bus progress: an event said before its batch's completion was seen still counts", "[bus]") {
  ProgressWithCommits p;
  p.progress.taken({"bus", 0}, 0, true);
  p.progress.done(21);  // the dispatcher was quicker than the completion
  p.progress.journaled(progress_result({Submission::Accepted}, {21}), kNoOriginal);
  CHECK(p.at(0) == 1);
}

TEST_CASE("bus progress: a duplicate waits for its original while that one is not said", "[bus]") {
  ProgressWithCommits p;
  p.progress.taken({"bus", 0}, 0, true);
  p.progress.taken({"bus", 0}, 1, true);
  p.progress.taken({"bus", 0}, 2, true);
  // 1 repeats 0 (a webhook retried on another receiver); 2's original is already said.
  p.progress.journaled(progress_result({Submission::Accepted, Submission::Duplicate, Submission::Duplicate}, {31, 0, 0}),
                       [](std::size_t i) -> std::optional<std::int64_t> {
                         if (i == 1) return 31;
                         return std::nullopt;
                       });
  CHECK(p.at(0) == 0);
  CHECK(p.metadata(0) == "done:2");
  p.progress.done(31);
  CHECK(p.at(0) == 3);
}

TEST_CASE("bus progress: a refused batch is forgotten and tracked again when consumed again", "[bus]") {
  ProgressWithCommits p;
  p.progress.taken({"bus", 0}, 0, true);
  p.progress.refused();
  CHECK(p.progress.outstanding() == 0);
  CHECK(p.progress.taken({"bus", 0}, 0, true));
  p.progress.journaled(progress_result({Submission::Accepted}, {41}), kNoOriginal);
  p.progress.done(41);
  CHECK(p.at(0) == 1);
}

TEST_CASE("bus progress: a message consumed again after a reconnect is tracked once", "[bus]") {
  ProgressWithCommits p;
  p.progress.taken({"bus", 0}, 0, true);
  p.progress.journaled(progress_result({Submission::Accepted}, {51}), kNoOriginal);
  // Consumed again (the group gave it again): it is a duplicate in the journal.
  CHECK_FALSE(p.progress.taken({"bus", 0}, 0, true));
  p.progress.journaled(progress_result({Submission::Duplicate}, {0}), kNoOriginal);
  CHECK(p.at(0) != 1);  // still waits for 51
  p.progress.done(51);
  CHECK(p.at(0) == 1);
  CHECK_FALSE(p.progress.taken({"bus", 0}, 0, true));  // behind the committed offset
}

TEST_CASE("bus progress: offsets done while detached are committed at the next attach", "[bus]") {
  BusProgress progress;
  progress.taken({"bus", 0}, 0, true);
  progress.journaled(progress_result({Submission::Accepted}, {61}), kNoOriginal);
  progress.detach();
  progress.done(61);
  std::map<Partition, bus::CommitPoint> committed;
  progress.attach([&](const std::map<Partition, bus::CommitPoint>& points) { committed = points; });
  CHECK(committed[Partition{"bus", 0}].next == 1);
}

TEST_CASE("bus progress: what the previous speaker said out of order is skipped by the next one", "[bus]") {
  ProgressWithCommits p;
  p.progress.seed({"bus", 0}, {.next = 2, .metadata = "done:3,5-6"});
  CHECK(p.progress.seeded({"bus", 0}));
  for (int offset = 2; offset < 7; ++offset) p.progress.taken({"bus", 0}, offset, true);
  CHECK(p.progress.said_before() == std::vector<bool>{false, true, false, true, true});
  p.progress.journaled(progress_result({Submission::Accepted, Submission::Duplicate, Submission::Accepted,
                                        Submission::Duplicate, Submission::Duplicate},
                                       {71, 0, 72, 0, 0}),
                       kNoOriginal);
  CHECK(p.at(0) == 2);
  p.progress.done(71);
  CHECK(p.at(0) == 4);
  p.progress.done(72);
  CHECK(p.at(0) == 7);
}

TEST_CASE("bus progress: commit metadata is written as ranges, bounded, and read back", "[bus]") {
  CHECK(bus::done_metadata({}) == "done:");
  CHECK(bus::done_metadata({4, 5, 6, 9, 11, 12}) == "done:4-6,9,11-12");
  CHECK(bus::parse_done_metadata("done:4-6,9,11-12") == std::set<std::int64_t>{4, 5, 6, 9, 11, 12});
  std::vector<std::int64_t> scattered;
  for (std::int64_t o = 0; o < 100000; o += 2) scattered.push_back(o);
  const auto bounded = bus::done_metadata(scattered);
  CHECK(bounded.size() <= bus::kMaxCommitMetadata);
  CHECK(bus::parse_done_metadata(bounded).size() > 100);
  for (const char* hostile : {"done:x", "done:5-3", "done:1-99999999999", "other", "done:-4", "done:1,,2"})
    CHECK(bus::parse_done_metadata(hostile).empty());
}

TEST_CASE("bus progress: done offsets past the metadata cap are said again by the next speaker, never skipped",
          "[bus]") {
  // Offset 0 is journaled and never said; of the 6,000 after it every other one is said: far
  // more scattered done offsets than 4,000 bytes of metadata hold.
  constexpr std::int64_t kMessages = 6001;
  ProgressWithCommits p;
  std::vector<Submission> outcomes;
  std::vector<std::int64_t> ids;
  for (std::int64_t offset = 0; offset < kMessages; ++offset) {
    p.progress.taken({"bus", 0}, offset, true);
    outcomes.push_back(Submission::Accepted);
    ids.push_back(1000 + offset);
  }
  p.progress.journaled(progress_result(outcomes, ids), kNoOriginal);
  std::set<std::int64_t> said;
  for (std::int64_t offset = 2; offset < kMessages; offset += 2) {
    p.progress.done(1000 + offset);
    said.insert(offset);
  }
  CHECK(p.at(0) == 0);
  const auto metadata = p.metadata(0);
  CHECK(metadata.size() <= bus::kMaxCommitMetadata);
  const auto listed = bus::parse_done_metadata(metadata);
  REQUIRE_FALSE(listed.empty());
  CHECK(listed.size() < said.size());  // the cap is reached: the rest is left out
  CHECK(std::ranges::includes(said, listed));  // what it lists was said: nothing unsaid is skipped
  CHECK(*listed.rbegin() < *said.rbegin());  // a prefix of the done offsets: the lowest are kept

  // The standby, given the partition with that commit, skips only what the metadata lists: the
  // done offsets left out are consumed, journaled and said again (at-least-once), and every
  // offset not said is said.
  ProgressWithCommits standby;
  standby.progress.seed({"bus", 0}, {.next = p.at(0), .metadata = metadata});
  for (std::int64_t offset = 0; offset < kMessages; ++offset) standby.progress.taken({"bus", 0}, offset, true);
  const auto skipped = standby.progress.said_before();
  REQUIRE(skipped.size() == static_cast<std::size_t>(kMessages));
  std::size_t said_again = 0;
  for (std::int64_t offset = 0; offset < kMessages; ++offset) {
    CHECK(skipped[offset] == listed.contains(offset));
    if (!said.contains(offset)) CHECK_FALSE(skipped[offset]);
    if (said.contains(offset) && !skipped[offset]) ++said_again;
  }
  CHECK(said_again == said.size() - listed.size());
}
