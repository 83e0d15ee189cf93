#pragma once
// Path patterns with glob(7)'s `*`, `?` and `[…]` in each component, and `**` as a whole component
// for any number of directories (none included): /srv/drop/**/*.json. Shared by the sources that
// watch files (kind: file, kind: log). Like glob(7), a wildcard does not match a leading dot, and
// `**` does not enter hidden directories.
//
// Expanding walks only the directories a match can lie in, from the pattern's literal root, within
// limits (files, directories) so that a huge tree costs a bounded amount of work; directories are
// entered once each by device and inode, so symbolic-link loops end.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace chatops::ingestion {

class PathGlob {
 public:
  // Errors: an empty pattern, `**` inside a component (a**b).
  static Result<PathGlob> compile(std::string pattern);

  const std::string& pattern() const { return pattern_; }
  // The deepest directory without a wildcard that every match lies below ("." for a relative
  // pattern without one).
  const std::string& root() const { return root_; }
  bool recursive() const { return recursive_; }
  bool has_wildcards() const { return wildcards_; }

  // Whether `path` (as the expansion spells it: root, then components) matches.
  bool matches(std::string_view path) const;
  // Whether a match may lie below the directory `dir`.
  bool may_contain(std::string_view dir) const;

 private:
  bool match_from(std::size_t pi, const std::vector<std::string_view>& parts, std::size_t ci, bool prefix) const;

  std::string pattern_, root_;
  std::vector<std::string> segments_;  // the components of the pattern
  bool absolute_ = false, recursive_ = false, wildcards_ = false;
};

struct GlobLimits {
  std::size_t files = 100000;
  std::size_t directories = 10000;
};

struct GlobExpansion {
  std::vector<std::string> files;        // regular files (or links to them) that match, sorted, once each
  std::vector<std::string> directories;  // the directories walked: where new matches may appear
  bool truncated = false;                // a limit was reached: some files or directories are missing
};

// The files matching any of `globs`, walking at most `limits`.
GlobExpansion expand_globs(const std::vector<PathGlob>& globs, GlobLimits limits = {});

}  // namespace chatops::ingestion
