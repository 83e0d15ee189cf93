// The tailer on real files: whole lines, partial lines held, where a first run starts, rotation by
// rename and by copytruncate, truncation, deletion, restarts from a checkpoint (also after a
// rotation while stopped, and with the file rewritten), long lines and binary garbage.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <fstream>
#include <thread>

#include "ingestion/log/tailer.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::log;
using namespace std::chrono_literals;

namespace {

void append_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::vector<std::string> texts_of(const std::vector<Line>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.text);
  return out;
}

// Scans and reads everything there is now.
std::vector<std::string> read_all(Tailer& t) {
  std::vector<Line> lines;
  t.scan();
  while (t.read(lines, {}))
    ;
  return texts_of(lines);
}

TailOptions tail_options(const std::string& pattern, bool start_at_end = false) {
  return {.patterns = {pattern}, .start_at_end = start_at_end, .max_line_bytes = 1024, .rotate_wait = 0ms};
}

using Texts = std::vector<std::string>;

}  // namespace

TEST_CASE("whole lines are read, a last line without its newline waits for it", "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "one\ntwo\r\nthr");
  Tailer t(tail_options(path), std::nullopt);
  CHECK(read_all(t) == Texts{"one", "two"});
  append_text(path, "ee\n");
  CHECK(read_all(t) == Texts{"three"});
  CHECK(read_all(t).empty());
  CHECK(t.checkpoints().at(0).offset == 15);
}

TEST_CASE("partial_timeout: a last line without its newline is said once it has not grown for that long",
          "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "whole\nhalf");
  auto o = tail_options(path);
  o.partial_timeout = 50ms;
  Tailer t(o, std::nullopt);
  CHECK(read_all(t) == Texts{"whole"});
  append_text(path, " a line");  // it grew: the wait starts again
  CHECK(read_all(t).empty());
  REQUIRE(chatops::test::compliance::eventually([&] { return read_all(t) == Texts{"half a line"}; }, 30s));
  append_text(path, " and the rest\n");
  CHECK(read_all(t) == Texts{" and the rest"});
}

TEST_CASE("a first run starts at the end or the beginning, files that appear later from their start",
          "[log][tailer]") {
  testing::TempDir dir;
  append_text(dir.file("a.log"), "old\n");
  SECTION("end") {
    Tailer t(tail_options(dir.file("*.log"), true), std::nullopt);
    CHECK(read_all(t).empty());
    append_text(dir.file("a.log"), "new\n");
    append_text(dir.file("b.log"), "fresh\n");
    CHECK(read_all(t) == Texts{"new", "fresh"});
  }
  SECTION("beginning") {
    Tailer t(tail_options(dir.file("*.log")), std::nullopt);
    CHECK(read_all(t) == Texts{"old"});
  }
  SECTION("end does not apply once a checkpoint was saved: a file new since then is read whole") {
    Tailer t(tail_options(dir.file("*.log"), true), std::vector<Checkpoint>{});
    CHECK(read_all(t) == Texts{"old"});
  }
}

TEST_CASE("rotation by rename: the rest of the old file is read, then the new one", "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "1\n");
  Tailer t(tail_options(path), std::nullopt);
  CHECK(read_all(t) == Texts{"1"});
  append_text(path, "2\n");
  std::filesystem::rename(path, dir.file("app.log.1"));
  append_text(dir.file("app.log.1"), "3\n");  // the writer has not reopened yet
  append_text(path, "4\n");                   // now it has
  CHECK(read_all(t) == Texts{"2", "3", "4"});
  append_text(path, "5\n");
  CHECK(read_all(t) == Texts{"5"});
  CHECK(t.files() == 1);  // the rotated one, unchanged for rotate_wait (0 here), is closed
}

TEST_CASE("a rotated file stays open for rotate_wait after its last change", "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "1\n");
  auto o = tail_options(path);
  o.rotate_wait = 1h;
  Tailer t(o, std::nullopt);
  CHECK(read_all(t) == Texts{"1"});
  std::filesystem::rename(path, dir.file("app.log.1"));
  append_text(path, "2\n");
  CHECK(read_all(t) == Texts{"2"});
  append_text(dir.file("app.log.1"), "late\n");
  CHECK(read_all(t) == Texts{"late"});
  CHECK(t.files() == 2);
}

// app.log with 20 lines (more than a fingerprint), all read by a tailer of app.log*.
struct FirstGeneration {
  testing::TempDir dir;
  std::string path = dir.file("app.log");
  Tailer t{tail_options(dir.file("app.log*")), std::nullopt};
  FirstGeneration() {
    std::string first;
    for (int i = 1; i <= 20; ++i) first += "line " + std::to_string(i) + " of the first generation\n";
    append_text(path, first);
    CHECK(read_all(t).size() == 20);
  }
  void copy() { std::filesystem::copy_file(path, dir.file("app.log.1")); }
};

TEST_CASE("copytruncate, the copy matched too: nothing lost, nothing twice", "[log][tailer]") {
  FirstGeneration g;
  auto& [dir, path, t] = g;
  append_text(path, "21 unread before the copy\n");
  g.copy();
  std::filesystem::resize_file(path, 0);
  append_text(path, "after truncation\n");
  CHECK(read_all(t) == Texts{"21 unread before the copy", "after truncation"});
  CHECK(t.truncations() == 1);
  CHECK(read_all(t).empty());
}

TEST_CASE("copytruncate seen between the copy and the truncation: what both hold is read once",
          "[log][tailer]") {
  FirstGeneration g;
  auto& [dir, path, t] = g;
  append_text(path, "21 before the copy\n");
  g.copy();
  CHECK(read_all(t) == Texts{"21 before the copy"});  // from the original, not from the copy as well
  append_text(path, "22 between the copy and the truncation\n");
  CHECK(read_all(t) == Texts{"22 between the copy and the truncation"});
  std::filesystem::resize_file(path, 0);
  append_text(path, "after truncation\n");
  CHECK(read_all(t) == Texts{"after truncation"});
  CHECK(read_all(t).empty());
}

TEST_CASE("a truncated file is read again from its start, so is one rewritten past the offset", "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "a fairly long first line\nsecond\n");
  Tailer t(tail_options(path), std::nullopt);
  CHECK(read_all(t).size() == 2);
  SECTION("truncated") {
    std::filesystem::resize_file(path, 0);
    append_text(path, "x\n");
    CHECK(read_all(t) == Texts{"x"});
  }
  SECTION("rewritten: other first bytes, longer than before") {
    std::ofstream(path, std::ios::trunc) << "completely different content, and longer than the old one\n";
    CHECK(read_all(t) == Texts{"completely different content, and longer than the old one"});
  }
  CHECK(t.truncations() == 1);
}

TEST_CASE("a deleted file is read to its end, then closed", "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "1\n");
  Tailer t(tail_options(path), std::nullopt);
  CHECK(read_all(t) == Texts{"1"});
  append_text(path, "2\npartial");
  std::filesystem::remove(path);
  CHECK(read_all(t) == Texts{"2"});
  CHECK(read_all(t) == Texts{"partial"});  // its last line said when it is closed
  CHECK(t.files() == 0);
  CHECK(t.checkpoints().empty());
}

TEST_CASE("a restart goes on from the checkpoint: after a rotation while stopped, and not on a rewritten file",
          "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "1\n2\n");
  std::vector<Checkpoint> saved;
  {
    Tailer t(tail_options(path), std::nullopt);
    CHECK(read_all(t) == Texts{"1", "2"});
    saved = t.checkpoints();
  }
  append_text(path, "3\n");
  SECTION("same file") {
    Tailer t(tail_options(path), saved);
    CHECK(read_all(t) == Texts{"3"});
  }
  SECTION("rotated by rename while stopped: the rest of the old file first") {
    std::filesystem::rename(path, dir.file("app.log.1"));
    append_text(path, "4\n");
    Tailer t(tail_options(path), saved);
    CHECK(read_all(t) == Texts{"3", "4"});
  }
  SECTION("the same inode with other first bytes is another file: read whole") {
    std::ofstream(path, std::ios::in | std::ios::out) << "X";
    Tailer t(tail_options(path), saved);
    CHECK(read_all(t) == Texts{"X", "2", "3"});
  }
  SECTION("a damaged checkpoint is refused") {
    CHECK_FALSE(decode_checkpoints("{\"v\":1,\"files\":[{\"path\":1}]}"));
    CHECK_FALSE(decode_checkpoints("not json"));
    CHECK(decode_checkpoints(encode_checkpoints(saved)).value() == saved);
  }
}

TEST_CASE("a line longer than the maximum is cut there and the rest dropped, also across reads and restarts",
          "[log][tailer][hostile]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "short\n" + std::string(3000, 'x'));
  std::vector<Checkpoint> saved;
  {
    Tailer t(tail_options(path), std::nullopt);
    std::vector<Line> lines;
    t.scan();
    while (t.read(lines, {})) {
    }
    REQUIRE(lines.size() == 2);
    CHECK(lines[1].cut);
    CHECK(lines[1].text == std::string(1024, 'x'));
    CHECK(t.lines_cut() == 1);
    saved = t.checkpoints();
    CHECK(saved.at(0).discarding);
  }
  append_text(path, std::string(5000, 'y') + "\nnext\n");
  Tailer t(tail_options(path), saved);
  CHECK(read_all(t) == Texts{"next"});
}

TEST_CASE("binary garbage and NULs are lines like any other, compressed rotations are never read",
          "[log][tailer][hostile]") {
  testing::TempDir dir;
  append_text(dir.file("app.log"), std::string("\0\xff\xfe\x01garbage\n\x1b[31mred\n", 21));
  append_text(dir.file("app.log.2.gz"), "\x1f\x8b compressed\n");
  Tailer t(tail_options(dir.file("app.log*")), std::nullopt);
  const auto lines = read_all(t);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == std::string("\0\xff\xfe\x01garbage", 11));
  CHECK(t.files() == 1);
}

TEST_CASE("the budget bounds one read, the rest comes with the next", "[log][tailer]") {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 2500; ++i) text += std::to_string(i) + "\n";
  append_text(dir.file("app.log"), text);
  Tailer t(tail_options(dir.file("app.log")), std::nullopt);
  t.scan();
  std::vector<Line> lines;
  CHECK(t.read(lines, {.lines = 1000}));
  CHECK(lines.size() == 1000);
  CHECK(t.read(lines, {.lines = 1000}));
  CHECK_FALSE(t.read(lines, {.lines = 1000}));
  REQUIRE(lines.size() == 2500);
  CHECK(lines.back().text == "2499");
}

TEST_CASE("a file rotated away before a scan saw it is read from its rotated name beside the path",
          "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "1\n");
  Tailer t(tail_options(path), std::nullopt);
  CHECK(read_all(t) == Texts{"1"});
  std::filesystem::rename(path, dir.file("app.log.1"));
  append_text(path, "2 never seen under app.log\n");
  std::filesystem::rename(path, dir.file("app.log.2"));
  append_text(path, "3\n");
  CHECK(read_all(t) == Texts{"2 never seen under app.log", "3"});
  CHECK(read_all(t).empty());
  std::filesystem::rename(dir.file("app.log.2"), dir.file("app.log.3"));  // rotated again, already read
  std::filesystem::rename(dir.file("app.log.1"), dir.file("app.log.2"));
  CHECK(read_all(t).empty());
}

TEST_CASE("copytruncate with only the original matched: the copy beside it still gives the unread rest",
          "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  std::string first;
  for (int i = 1; i <= 20; ++i) first += "line " + std::to_string(i) + " of the first generation\n";
  append_text(path, first);
  Tailer t(tail_options(path), std::nullopt);
  CHECK(read_all(t).size() == 20);
  append_text(path, "21 unread before the copy\n");
  std::filesystem::copy_file(path, dir.file("app.log.1"));
  std::filesystem::resize_file(path, 0);
  append_text(path, "after truncation\n");
  CHECK(read_all(t) == Texts{"21 unread before the copy", "after truncation"});
  CHECK(read_all(t).empty());
}

TEST_CASE("only logrotate's names beside a file are taken as its rotations", "[log][tailer]") {
  testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_text(path, "1\n");
  Tailer t(tail_options(path), std::nullopt);
  CHECK(read_all(t) == Texts{"1"});
  append_text(dir.file("app.log.lock"), "not a log\n");
  append_text(dir.file("app.log-debug"), "another log\n");
  append_text(dir.file("app.log-20261130"), "rotated by date\n");
  CHECK(read_all(t) == Texts{"rotated by date"});
}

TEST_CASE("max_open_files: many files are read through a few descriptors, each line once, also after changes",
          "[log][tailer][fds]") {
  testing::TempDir dir;
  auto o = tail_options(dir.file("*.log"));
  o.max_open_files = 4;
  for (int i = 0; i < 40; ++i)
    append_text(dir.file(fmt::format("f{}.log", i)), fmt::format("a{0}\nb{0}\n", i));
  Tailer t(o, std::nullopt);
  auto first = read_all(t);
  CHECK(first.size() == 80);
  CHECK(std::set<std::string>(first.begin(), first.end()).size() == 80);
  CHECK(t.files() == 40);
  CHECK(t.open_files() <= 4);
  for (int i = 0; i < 40; i += 3) append_text(dir.file(fmt::format("f{}.log", i)), fmt::format("c{}\n", i));
  const auto second = read_all(t);
  CHECK(second.size() == 14);
  CHECK(std::set<std::string>(second.begin(), second.end()).size() == 14);
  CHECK(t.open_files() <= 4);
  // A restart from the checkpoints reads nothing again, and what comes next once.
  Tailer again(o, t.checkpoints());
  CHECK(read_all(again).empty());
  append_text(dir.file("f7.log"), "d7\n");
  CHECK(read_all(again) == Texts{"d7"});
  CHECK(again.open_files() <= 4);
}

TEST_CASE("max_open_files: a parked file rotated by rename still gives the lines its writer adds, then the new file's",
          "[log][tailer][fds]") {
  testing::TempDir dir;
  auto o = tail_options(dir.file("*.log"));
  o.max_open_files = 1;  // app.log, read first, is parked once the others are read
  o.rotate_wait = 200ms;
  for (int i = 0; i < 5; ++i) append_text(dir.file(fmt::format("f{}.log", i)), fmt::format("x{}\n", i));
  const auto app = dir.file("app.log");
  std::ofstream writer(app, std::ios::app | std::ios::binary);
  writer << "one\n" << std::flush;
  Tailer t(o, std::nullopt);
  CHECK(read_all(t).size() == 6);
  CHECK(t.open_files() == 1);
  std::filesystem::rename(app, dir.file("app.log.1"));
  writer << "two\n" << std::flush;  // the writer has not reopened yet
  writer.close();
  append_text(app, "three\n");
  CHECK(read_all(t) == Texts{"two", "three"});
  std::this_thread::sleep_for(300ms);
  CHECK(read_all(t).empty());
  CHECK(t.open_files() <= 1);
}
