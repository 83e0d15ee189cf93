#include "ingestion/runtime/path_glob.hpp"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <utility>

namespace chatops::ingestion {

namespace {

// The components of a path, without empty ones and ".".
std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty() && part != ".") out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool has_wildcard(std::string_view segment) { return segment.find_first_of("*?[\\") != std::string_view::npos; }

std::string child_of(const std::string& dir, const char* name) {
  if (dir == ".") return name;
  return dir == "/" ? "/" + std::string(name) : dir + "/" + name;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool is_directory(const std::string& path) {
  struct ::stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// One walk over the globs, sharing the limits and the directories already entered.
class Walk {
 public:
  explicit Walk(GlobLimits limits) : limits_(limits) {}

  void glob(const PathGlob& g) {
    if (!g.has_wildcards()) {
      struct ::stat st{};
      if (::stat(g.pattern().c_str(), &st) == 0 && S_ISREG(st.st_mode)) add_file(g.pattern());
      if (const auto parent = parent_of(g.pattern()); is_directory(parent)) directories_.insert(parent);
      return;
    }
    std::vector<std::string> pending{g.root()};
    while (!pending.empty() && !out_.truncated) {
      auto dir = std::move(pending.back());
      pending.pop_back();
      struct ::stat st{};
      if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      if (!entered_.insert({st.st_dev, st.st_ino}).second) continue;  // a link loop, or another glob's
      if (directories_.size() >= limits_.directories) {
        out_.truncated = true;
        break;
      }
      directories_.insert(dir);
      read_directory(g, dir, pending);
    }
  }

  GlobExpansion finish() && {
    out_.files.assign(files_.begin(), files_.end());
    out_.directories.assign(directories_.begin(), directories_.end());
    return std::move(out_);
  }

 private:
  void read_directory(const PathGlob& g, const std::string& dir, std::vector<std::string>& pending) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (const dirent* entry = ::readdir(d)) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      auto path = child_of(dir, entry->d_name);
      auto type = entry->d_type;
      if (type == DT_UNKNOWN || type == DT_LNK) {
        struct ::stat st{};
        if (::stat(path.c_str(), &st) != 0) continue;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_DIR && g.may_contain(path)) pending.push_back(std::move(path));
      else if (type == DT_REG && g.matches(path) && !add_file(std::move(path))) break;
    }
    ::closedir(d);
  }

  bool add_file(std::string path) {
    if (files_.size() >= limits_.files && !files_.contains(path)) {
      out_.truncated = true;
      return false;
    }
    files_.insert(std::move(path));
    return true;
  }

  GlobLimits limits_;
  GlobExpansion out_;
  std::set<std::string> files_, directories_;
  std::set<std::pair<dev_t, ino_t>> entered_;
};

}  // namespace

Result<PathGlob> PathGlob::compile(std::string pattern) {
  PathGlob g;
  if (pattern.empty()) return std::unexpected(Error{"an empty path pattern"});
  g.absolute_ = pattern.starts_with('/');
  for (const auto part : components(pattern)) {
    if (part != "**" && part.find("**") != std::string_view::npos)
      return std::unexpected(Error{"'" + pattern + "': ** must be a whole path component (a/**/b)"});
    g.segments_.emplace_back(part);
  }
  if (g.segments_.empty()) return std::unexpected(Error{"'" + pattern + "' names no file"});
  if (g.segments_.back() == "**") return std::unexpected(Error{"'" + pattern + "': ** cannot be the last component"});
  std::string root = g.absolute_ ? "/" : "";
  for (std::size_t i = 0; i + 1 < g.segments_.size() && !has_wildcard(g.segments_[i]); ++i)
    root += (root.empty() || root == "/" ? "" : "/") + g.segments_[i];
  g.root_ = root.empty() ? "." : root;
  g.recursive_ = std::ranges::find(g.segments_, "**") != g.segments_.end();
  g.wildcards_ = std::ranges::any_of(g.segments_, [](const auto& s) { return has_wildcard(s); });
  g.pattern_ = std::move(pattern);
  return g;
}

bool PathGlob::match_from(std::size_t pi, const std::vector<std::string_view>& parts, std::size_t ci,
                          bool prefix) const {
  if (pi == segments_.size()) return !prefix && ci == parts.size();
  if (ci == parts.size()) return prefix;
  const auto& segment = segments_[pi];
  if (segment == "**") {
    if (match_from(pi + 1, parts, ci, prefix)) return true;  // no directory
    return !parts[ci].starts_with('.') && match_from(pi, parts, ci + 1, prefix);
  }
  const std::string part(parts[ci]);
  return ::fnmatch(segment.c_str(), part.c_str(), FNM_PERIOD) == 0 && match_from(pi + 1, parts, ci + 1, prefix);
}

bool PathGlob::matches(std::string_view path) const {
  if (path.starts_with('/') != absolute_) return false;
  return match_from(0, components(path), 0, false);
}

bool PathGlob::may_contain(std::string_view dir) const {
  if (dir.starts_with('/') != absolute_ && dir != ".") return false;
  return match_from(0, components(dir), 0, true);
}

GlobExpansion expand_globs(const std::vector<PathGlob>& globs, GlobLimits limits) {
  Walk walk(limits);
  for (const auto& g : globs) walk.glob(g);
  return std::move(walk).finish();
}

}  // namespace chatops::ingestion
