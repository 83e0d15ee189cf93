// The tailer with `**` patterns (the shared PathGlob): files at any depth are followed, also in
// directories created later, and those directories are the ones watched.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "ingestion/log/tailer.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using namespace chatops::ingestion;
using namespace std::chrono_literals;

namespace {

void recursive_append(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

std::vector<std::string> recursive_read(log::Tailer& t) {
  std::vector<log::Line> lines;
  t.scan();
  while (t.read(lines, {}))
    ;
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.text);
  return out;
}

}  // namespace

TEST_CASE("log files matched by ** are followed at any depth, new directories too", "[log][tailer][glob]") {
  testing::TempDir dir;
  const auto root = dir.file("apps");
  recursive_append(root + "/a/app.log", "one\n");
  recursive_append(root + "/a/b/c/app.log", "two\n");
  recursive_append(root + "/a/b/c/app.txt", "not a log\n");
  log::Tailer t({.patterns = {root + "/**/*.log"}, .start_at_end = false, .max_line_bytes = 1024, .rotate_wait = 0ms},
                std::nullopt);
  auto first = recursive_read(t);
  std::ranges::sort(first);
  CHECK(first == std::vector<std::string>{"one", "two"});
  recursive_append(root + "/new/deep/app.log", "three\n");
  CHECK(recursive_read(t) == std::vector<std::string>{"three"});
  const auto dirs = t.directories();
  CHECK(std::ranges::find(dirs, root + "/new/deep") != dirs.end());
  CHECK(std::ranges::find(dirs, root + "/a/b/c") != dirs.end());
}
