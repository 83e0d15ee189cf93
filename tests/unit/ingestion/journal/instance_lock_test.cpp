// One bot per journal: the lock beside the database.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ingestion/journal/instance_lock.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using chatops::ingestion::InstanceLock;

TEST_CASE("a journal's lock is held once: a second holder is refused with the first one's PID", "[journal][lock]") {
  chatops::ingestion::testing::TempDir dir;
  const std::string journal = dir.file("state/chatops.db");  // its directory does not exist yet
  auto first = InstanceLock::acquire(journal);
  REQUIRE(first);
  CHECK(first->path() == journal + ".lock");
  std::ifstream written(first->path());
  std::string pid;
  written >> pid;
  CHECK(pid == std::to_string(::getpid()));

  auto second = InstanceLock::acquire(journal);
  REQUIRE_FALSE(second);
  CHECK(second.error().message == "another chatops-bot (pid " + std::to_string(::getpid()) + ") is running on the journal " +
                                      journal + " (it holds " + journal + ".lock); one bot per journal");
  CHECK(InstanceLock::acquire(dir.file("other.db")));  // another journal is another lock
}

TEST_CASE("a journal's lock is free again once its holder lets go, whatever PID the file names", "[journal][lock]") {
  chatops::ingestion::testing::TempDir dir;
  const std::string journal = dir.file("chatops.db");
  { auto held = InstanceLock::acquire(journal); REQUIRE(held); }
  std::ofstream(journal + ".lock") << "999999\n";  // left behind by a process that is gone
  auto again = InstanceLock::acquire(journal);
  REQUIRE(again);
  std::ifstream written(journal + ".lock");
  std::string pid;
  written >> pid;
  CHECK(pid == std::to_string(::getpid()));
}

TEST_CASE("a journal's lock that cannot be created says where", "[journal][lock]") {
  auto refused = InstanceLock::acquire("/proc/chatops-no/such.db");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::StartsWith("/proc/chatops-no/such.db.lock: cannot open the journal's lock file: "));
}
