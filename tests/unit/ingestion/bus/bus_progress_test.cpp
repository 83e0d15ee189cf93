// What the speaker commits: the offset after the longest run of messages that are done (said or
// ended), per partition — never past a message that is only journaled.
#include <catch2/catch.hpp>

#include "ingestion/bus/bus_progress.hpp"

using namespace chatops::ingestion;
using chatops::ingestion::bus::BusProgress;
using chatops::ingestion::bus::Partition;

namespace {

struct ProgressWithCommits {
  BusProgress progress;
  std::map<Partition, std::int64_t> committed;
  ProgressWithCommits() {
    progress.attach([this](const std::map<Partition, std::int64_t>& next) {
      for (const auto& [p, o] : next) committed[p] = o;
    });
  }
  std::int64_t at(int partition) const {
    const auto it = committed.find({"bus", partition});
    return it == committed.end() ? -1 : it->second;
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
  CHECK(p.at(0) == -1);  // 11 is not said yet
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
  CHECK(p.at(0) == -1);
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
  CHECK(p.at(0) == -1);  // still waits for 51
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
  std::map<Partition, std::int64_t> committed;
  progress.attach([&](const std::map<Partition, std::int64_t>& next) { committed = next; });
  CHECK(committed[Partition{"bus", 0}] == 1);
}
