// The shared path patterns: components matched as glob(7) does, `**` for any depth, and expansion
// that walks only where matches can be, within its limits, through symbolic-link loops.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "ingestion/runtime/path_glob.hpp"
#include "tests/unit/ingestion/journal/temp_journal.hpp"

using chatops::ingestion::expand_globs;
using chatops::ingestion::GlobLimits;
using chatops::ingestion::PathGlob;

namespace {

PathGlob glob_of(const std::string& pattern) {
  auto g = PathGlob::compile(pattern);
  INFO(pattern);
  REQUIRE(g);
  return *g;
}

void glob_touch(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "x";
}

}  // namespace

TEST_CASE("path globs match components as glob(7) does", "[glob]") {
  const auto g = glob_of("/srv/drop/*.json");
  CHECK(g.root() == "/srv/drop");
  CHECK_FALSE(g.recursive());
  CHECK(g.matches("/srv/drop/a.json"));
  CHECK_FALSE(g.matches("/srv/drop/a.yaml"));
  CHECK_FALSE(g.matches("/srv/drop/sub/a.json"));
  CHECK_FALSE(g.matches("/srv/drop/.hidden.json"));
  CHECK_FALSE(g.matches("srv/drop/a.json"));
  CHECK(glob_of("/srv/d?op/[ab].json").matches("/srv/drop/b.json"));
  CHECK(glob_of("logs/*.log").matches("logs/x.log"));
  CHECK(glob_of("*.log").root() == ".");
}

TEST_CASE("** matches any number of directories, none included, but not hidden ones", "[glob]") {
  const auto g = glob_of("/srv/**/deploy/*.json");
  CHECK(g.recursive());
  CHECK(g.root() == "/srv");
  CHECK(g.matches("/srv/deploy/a.json"));
  CHECK(g.matches("/srv/x/y/z/deploy/a.json"));
  CHECK_FALSE(g.matches("/srv/x/.git/deploy/a.json"));
  CHECK_FALSE(g.matches("/srv/x/deploy/sub/a.json"));
  CHECK(g.may_contain("/srv/x/y"));
  CHECK(g.may_contain("/srv/deploy"));
  CHECK_FALSE(g.may_contain("/etc"));
  CHECK_FALSE(g.may_contain("/srv/.git"));
  const auto flat = glob_of("/srv/*/in/*.csv");
  CHECK(flat.may_contain("/srv/a"));
  CHECK(flat.may_contain("/srv/a/in"));
  CHECK_FALSE(flat.may_contain("/srv/a/out"));
}

TEST_CASE("malformed path patterns are refused with the reason", "[glob]") {
  CHECK_FALSE(PathGlob::compile(""));
  CHECK_THAT(PathGlob::compile("/a/b**/c").error().message, Catch::Contains("whole path component"));
  CHECK_THAT(PathGlob::compile("/a/**").error().message, Catch::Contains("last component"));
}

TEST_CASE("expanding walks the tree below the root and lists the directories to watch", "[glob]") {
  chatops::ingestion::testing::TempDir dir;
  const auto root = dir.file("drop");
  glob_touch(root + "/a.json");
  glob_touch(root + "/x/b.json");
  glob_touch(root + "/x/y/c.json");
  glob_touch(root + "/x/y/c.txt");
  glob_touch(root + "/.hidden/d.json");
  const auto found = expand_globs({glob_of(root + "/**/*.json"), glob_of(root + "/*.json")});
  CHECK(found.files == std::vector<std::string>{root + "/a.json", root + "/x/b.json", root + "/x/y/c.json"});
  CHECK(found.directories == std::vector<std::string>{root, root + "/x", root + "/x/y"});
  CHECK_FALSE(found.truncated);
  const auto literal = expand_globs({glob_of(root + "/a.json"), glob_of(root + "/missing.json")});
  CHECK(literal.files == std::vector<std::string>{root + "/a.json"});
  CHECK(literal.directories == std::vector<std::string>{root});
}

TEST_CASE("expanding stops at its limits and ends in symbolic-link loops", "[glob]") {
  chatops::ingestion::testing::TempDir dir;
  const auto root = dir.file("tree");
  for (int i = 0; i < 20; ++i) glob_touch(root + "/d" + std::to_string(i) + "/f.json");
  std::filesystem::create_directory_symlink(root, root + "/d0/loop");
  const auto all = expand_globs({glob_of(root + "/**/*.json")});
  CHECK(all.files.size() == 20);
  CHECK_FALSE(all.truncated);
  const auto few = expand_globs({glob_of(root + "/**/*.json")}, GlobLimits{.files = 5, .directories = 100});
  CHECK(few.files.size() == 5);
  CHECK(few.truncated);
  const auto shallow = expand_globs({glob_of(root + "/**/*.json")}, GlobLimits{.files = 100, .directories = 3});
  CHECK(shallow.directories.size() == 3);
  CHECK(shallow.truncated);
}
