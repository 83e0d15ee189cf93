// What a file source keeps of a file (its state in the journal), and reading a file whole within
// the size cap.
#include <catch2/catch.hpp>

#include <fstream>

#include "ingestion/file/snapshot.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion::file;

TEST_CASE("file snapshots survive the journal's text form, malformed ones are refused", "[file]") {
  const Snapshot s{.size = 42, .mtime_ns = 1764500000123456789, .hash = content_hash("hello")};
  const auto back = decode_snapshot(encode(s));
  REQUIRE(back);
  CHECK(back->size == 42);
  CHECK(back->mtime_ns == s.mtime_ns);
  CHECK(back->hash == s.hash);
  CHECK(s.hash.size() == 16);
  CHECK(content_hash("hello") != content_hash("hello!"));
  CHECK_FALSE(decode_snapshot(""));
  CHECK_FALSE(decode_snapshot("12 x abc"));
  CHECK_FALSE(decode_snapshot("12 34"));
}

TEST_CASE("read_file reads a file whole, refuses one above the cap and says when it is gone", "[file]") {
  chatops::ingestion::testing::TempDir dir;
  const auto path = dir.file("a.txt");
  std::ofstream(path) << "0123456789";
  const auto read = read_file(path, 100);
  CHECK(read.outcome == FileRead::Outcome::Read);
  CHECK(read.text == "0123456789");
  CHECK(read.st.st_size == 10);
  CHECK(read_file(path, 9).outcome == FileRead::Outcome::TooLarge);
  CHECK(read_file(path, 9).text.empty());
  CHECK(read_file(dir.file("missing"), 100).outcome == FileRead::Outcome::Gone);
  CHECK(read_file(dir.file(""), 100).outcome == FileRead::Outcome::Gone);  // a directory
}
