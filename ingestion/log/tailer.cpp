#include "ingestion/log/tailer.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "ingestion/runtime/path_glob.hpp"

namespace chatops::ingestion::log {

namespace {

using Clock = std::chrono::steady_clock;

// How many truncations back a copy is still recognised (a copy seen late, under load).
constexpr std::size_t kGenerations = 4;
// How many closed files are remembered, so that a rotated one renamed again is not read again.
constexpr std::size_t kClosedRemembered = 256;

// How much of a directory is searched for a file rotated while the source was stopped.
constexpr int kMaxRotatedSearch = 10000;

bool compressed(const std::string& path) {
  static const std::array<std::string_view, 7> extensions = {".gz", ".xz", ".bz2", ".zst", ".lz4", ".zip", ".Z"};
  return std::ranges::any_of(extensions, [&](std::string_view e) { return path.ends_with(e); });
}

// A pattern with `**` (any depth of directories) goes to the shared PathGlob: its files, and the
// directories new ones can appear in.
std::optional<GlobExpansion> expand_recursive(const std::string& pattern) {
  if (pattern.find("**") == std::string::npos) return std::nullopt;
  auto g = PathGlob::compile(pattern);
  return g ? expand_globs({*g}) : GlobExpansion{};
}

std::vector<std::string> expand(const std::string& pattern, int flags = 0) {
  if (auto recursive = expand_recursive(pattern)) return std::move(recursive->files);
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), flags, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  return out;
}

std::string first_bytes(int fd, std::size_t n) {
  std::string buf(n, '\0');
  const auto got = ::pread(fd, buf.data(), n, 0);
  buf.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return buf;
}

// Whether the file at `path` starts with the bytes `fp` was taken of (not a reused inode).
bool starts_like(const std::string& path, const Fingerprint& fp) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(fp.length, '\0');
  in.read(bytes.data(), fp.length);
  return in.gcount() == static_cast<std::streamsize>(fp.length) && fingerprint_of(bytes) == fp;
}

std::uint64_t size_of(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Whether the file's first fp.length bytes are still the ones fingerprinted.
bool starts_with(int fd, const Fingerprint& fp) {
  const auto bytes = first_bytes(fd, fp.length);
  return bytes.size() == fp.length && fingerprint_of(bytes) == fp;
}

}  // namespace

struct Tailer::File {
  std::string path;
  std::uint64_t device = 0, inode = 0;
  int fd = -1;
  std::string head;  // its first bytes (up to kFingerprintBytes), as last seen
  Fingerprint fp;    // of head
  std::uint64_t offset = 0;
  // head and offset before its last truncations, newest first: a copy made just before one is
  // still known by them.
  std::deque<std::pair<std::string, std::uint64_t>> earlier;
  bool discarding = false;
  bool named = true;  // its path (or a name the patterns match) still names it
  // A copy of this file while this one is not truncated yet (copytruncate copies, then truncates):
  // what both hold is read from the original, and the copy goes on from there once it is.
  File* copy_of = nullptr;
  bool copy_growing = false;  // a copy still shorter than the offset taken from its original
  // A partial last line: where it starts, its length and since when it has not grown.
  std::uint64_t partial_at = 0, partial_length = 0;
  Clock::time_point partial_since{};
  bool closed = false;
  std::uint64_t seen_size = 0;
  Clock::time_point changed = Clock::now();
  // Parked (its descriptor closed, beyond max_open_files): its size and time then, and when it
  // last gave lines.
  std::uint64_t parked_size = 0;
  std::int64_t parked_mtime = 0;
  bool parked_unread = false;   // parked before it was read to its end (or with a partial last line)
  bool parked_changed = false;  // a scan saw its size or time change since
  Clock::time_point active = Clock::now();
  bool parked() const { return fd < 0; }

  ~File() {
    if (fd >= 0) ::close(fd);
  }
  // Extends a short head as the file grows (while its start is unchanged).
  void refresh_head() {
    if (head.size() < kFingerprintBytes) {
      head = first_bytes(fd, kFingerprintBytes);
      fp = fingerprint_of(head);
    }
  }
  void restart(const char* why) {
    spdlog::info("log file {} was {}: read again from its start", path, why);
    earlier.emplace_front(head, offset);
    if (earlier.size() > kGenerations) earlier.pop_back();
    offset = 0;
    discarding = false;
    copy_growing = false;
    head.clear();
    refresh_head();
  }
  // Whether a file starting with `other` (its first bytes, not empty) is a copy of this one as it
  // is (Current) or as it was before one of its last truncations (Earlier, with the offset reached
  // in it then), or may be one (Unsure: a copy still being written is shorter than this head).
  enum class Copy { No, Current, Earlier, Unsure };
  std::pair<Copy, std::uint64_t> copied(const std::string& other) const {
    auto compare = [&](const std::string& mine) {
      if (mine.empty()) return Copy::No;
      if (other.size() >= mine.size()) return other.starts_with(mine) ? Copy::Current : Copy::No;
      return mine.starts_with(other) ? Copy::Unsure : Copy::No;
    };
    if (const auto now = compare(head); now != Copy::No) return {now, offset};
    for (const auto& [their_head, their_offset] : earlier)
      if (const auto then = compare(their_head); then != Copy::No)
        return {then == Copy::Current ? Copy::Earlier : then, their_offset};
    return {Copy::No, 0};
  }
};

Tailer::Tailer(TailOptions options, std::optional<std::vector<Checkpoint>> saved)
    : o_(std::move(options)), first_run_(!saved.has_value()) {
  if (saved) restoring_ = std::move(*saved);
}

Tailer::~Tailer() = default;

std::unique_ptr<Tailer::File> Tailer::open_file(const std::string& path, std::uint64_t device, std::uint64_t inode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (unreadable_.insert(path).second) spdlog::warn("log file {} cannot be opened: {}", path, std::strerror(errno));
    return nullptr;
  }
  unreadable_.erase(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_dev != device || st.st_ino != inode) {  // replaced meanwhile
    ::close(fd);
    return nullptr;
  }
  auto f = std::make_unique<File>();
  f->path = path;
  f->device = device;
  f->inode = inode;
  f->fd = fd;
  f->seen_size = static_cast<std::uint64_t>(st.st_size);
  return f;
}

void Tailer::scan() {
  const auto now = Clock::now();
  // File times come from the kernel's coarse clock: read the same one, or a file changed right
  // after this scan could look older than it.
  timespec coarse{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
  const std::int64_t scanned = coarse.tv_sec * 1'000'000'000LL + coarse.tv_nsec;
  std::vector<Found> found;
  std::set<std::pair<std::uint64_t, std::uint64_t>> ids;
  for (const auto& pattern : o_.patterns)
    for (auto& path : expand(pattern)) {
      struct stat st {};
      if (compressed(path) || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (ids.insert({st.st_dev, st.st_ino}).second) found.push_back({std::move(path), st});
    }
  auto followed = [&](std::uint64_t dev, std::uint64_t ino) -> File* {
    for (auto& f : files_)
      if (f->device == dev && f->inode == ino) return f.get();
    return nullptr;
  };
  for (auto& f : files_) f->named = ids.contains({f->device, f->inode});
  // Parked files the patterns no longer name were renamed away (rotated) or deleted: found again
  // by their inode, they are read to their end like any rotated file.
  for (auto& f : files_)
    if (f->parked() && !f->named && !unpark(*f)) {
      spdlog::info("log file {} was deleted while parked (beyond max_open_files): forgotten", f->path);
      f->closed = true;
    }
  if (last_scan_) add_rotated_siblings(found, ids, *last_scan_);
  last_scan_ = scanned;
  // Files already followed, under their name or a new one the patterns match.
  std::vector<File*> known;
  std::vector<const Found*> fresh;
  for (const auto& fd : found) {
    if (File* f = followed(fd.st.st_dev, fd.st.st_ino)) {
      f->path = fd.path;
      if (f->parked()) {  // read() opens it again if it changed
        f->seen_size = static_cast<std::uint64_t>(fd.st.st_size);
        f->parked_changed |= f->seen_size != f->parked_size ||
                             fd.st.st_mtim.tv_sec * 1'000'000'000LL + fd.st.st_mtim.tv_nsec != f->parked_mtime;
        continue;
      }
      known.push_back(f);
    } else {
      fresh.push_back(&fd);
    }
  }
  std::size_t open = open_files();
  // New files first: a copy's original still has the offset it had before it was truncated.
  for (const Found* fd : fresh) {
    if (fd->st.st_size == 0) {  // nothing to read yet, and maybe a copy about to be written
      std::erase_if(restoring_, [&](const Checkpoint& c) { return c.device == fd->st.st_dev && c.inode == fd->st.st_ino; });
      continue;
    }
    auto f = open_file(fd->path, fd->st.st_dev, fd->st.st_ino);
    if (!f) continue;
    const auto size = f->seen_size;
    f->refresh_head();
    auto saved = std::ranges::find_if(restoring_, [&](const Checkpoint& c) {
      return c.device == f->device && c.inode == f->inode;
    });
    std::size_t insert_at = files_.size();
    if (saved != restoring_.end()) {
      if (saved->fingerprint == fingerprint_of(std::string_view(f->head).substr(0, saved->fingerprint.length)) &&
          saved->offset <= size) {
        f->offset = saved->offset;
        f->discarding = saved->discarding;
      }  // else its inode was reused, or it was truncated while the source was stopped: from the start
      restoring_.erase(saved);
    } else {
      File* original = nullptr;
      bool unsure = false;
      for (auto& g : files_) {
        const auto [copy, offset] = g->copied(f->head);
        if (copy == File::Copy::Unsure) unsure = true;
        if (copy != File::Copy::Current && copy != File::Copy::Earlier) continue;
        original = g.get();
        f->offset = offset;
        f->copy_of = copy == File::Copy::Current ? original : nullptr;
      }
      if (unsure && !original) continue;  // a copy still being written: decided at the next scan
      if (original) {
        spdlog::info("log file {} is a copy of {}: read on from where that was", f->path, original->path);
        f->copy_growing = !f->copy_of && size < f->offset;
        insert_at = static_cast<std::size_t>(
            std::ranges::find_if(files_, [&](const auto& g) { return g.get() == original; }) - files_.begin());
      } else if (first_run_ && first_scan_ && o_.start_at_end) {
        f->offset = size;
      }
    }
    f->named = !fd->rotated_name;
    File* added = f.get();
    files_.insert(files_.begin() + static_cast<std::ptrdiff_t>(insert_at), std::move(f));
    // Beyond the limit, a new file waits parked until read() comes to it.
    if (o_.max_open_files > 0 && ++open > o_.max_open_files && parkable(*added)) {
      park(*added);
      --open;
    }
  }
  // Saved files the patterns no longer name: rotated while the source was stopped.
  for (const auto& c : restoring_) find_rotated(c);
  restoring_.clear();
  for (File* f : known) check_changes(*f, now);
  first_scan_ = false;
}

void Tailer::check_changes(File& f, Clock::time_point now) {
  if (f.parked()) return;  // parked again meanwhile: read() looks when it opens it again
  const auto size = size_of(f.fd);
  if (size != f.seen_size) {
    f.seen_size = size;
    f.changed = now;
  }
  if (f.copy_of) return;  // its original says when it goes on
  if (f.copy_growing) {
    f.copy_growing = size < f.offset;
    return;
  }
  const char* restarted = size < f.offset ? "truncated"
                          : !first_bytes(f.fd, f.head.size()).starts_with(f.head) ? "rewritten"
                                                                                  : nullptr;
  if (!restarted) {
    f.refresh_head();
    return;
  }
  ++truncations_;
  const auto reached = f.offset;
  f.restart(restarted);
  release_copies(f, reached);
}

bool Tailer::partial_due(File& f, std::uint64_t length) const {
  if (o_.partial_timeout.count() <= 0) return false;
  const auto now = Clock::now();
  if (f.partial_at != f.offset || f.partial_length != length) {
    f.partial_at = f.offset;
    f.partial_length = length;
    f.partial_since = now;
    return false;
  }
  return now - f.partial_since >= o_.partial_timeout;
}

void Tailer::release_copies(const File& original, std::uint64_t offset) {
  for (auto& g : files_)
    if (g->copy_of == &original) {
      g->copy_of = nullptr;
      g->offset = offset;
      g->copy_growing = size_of(g->fd) < offset;
    }
}

void Tailer::add_rotated_siblings(std::vector<Found>& found, std::set<std::pair<std::uint64_t, std::uint64_t>>& ids,
                                  std::int64_t since_ns) {
  std::set<std::pair<std::filesystem::path, std::string>> names;  // directory, file name
  for (const auto& fd : found) {
    const std::filesystem::path p(fd.path);
    names.insert({p.parent_path(), p.filename().string()});
  }
  std::set<std::filesystem::path> listed;
  std::vector<Found> rotated;
  for (const auto& [dir, ignored] : names) {
    if (!listed.insert(dir).second) continue;
    std::error_code ec;
    int looked = 0;
    for (std::filesystem::directory_iterator it(dir.empty() ? "." : dir, ec), end;
         !ec && it != end && looked < kMaxRotatedSearch; it.increment(ec), ++looked) {
      const auto name = it->path().filename().string();
      // logrotate's names: app.log.1 (a number), app.log-20261130 (dateext: digits and dashes).
      const bool sibling = std::ranges::any_of(names, [&](const auto& n) {
        if (n.first != dir || name.size() < n.second.size() + 2 || !name.starts_with(n.second)) return false;
        const std::string_view suffix = std::string_view(name).substr(n.second.size());
        return (suffix[0] == '.' || suffix[0] == '-') && std::isdigit(static_cast<unsigned char>(suffix[1])) &&
               std::ranges::all_of(suffix.substr(1), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; });
      });
      const auto path = it->path().string();
      struct stat st {};
      if (!sibling || compressed(path) || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
          st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec < since_ns || ids.contains({st.st_dev, st.st_ino}))
        continue;
      const bool seen = std::ranges::any_of(files_, [&](const auto& f) {
        return f->device == st.st_dev && f->inode == st.st_ino;
      });
      const bool closed = std::ranges::any_of(closed_, [&](const auto& c) {
        return c.first == std::pair<std::uint64_t, std::uint64_t>{st.st_dev, st.st_ino} && starts_like(path, c.second);
      });
      if (seen || closed) continue;  // followed already, or read to its end and closed
      ids.insert({st.st_dev, st.st_ino});
      rotated.push_back({path, st, true});
    }
  }
  // Before the files the patterns name: they are older.
  found.insert(found.begin(), std::make_move_iterator(rotated.begin()), std::make_move_iterator(rotated.end()));
}

void Tailer::find_rotated(const Checkpoint& c) {
  std::error_code ec;
  const auto dir = std::filesystem::path(c.path).parent_path();
  int looked = 0;
  for (std::filesystem::directory_iterator it(dir.empty() ? "." : dir, ec), end; !ec && it != end && looked < kMaxRotatedSearch;
       it.increment(ec), ++looked) {
    const auto path = it->path().string();
    struct stat st {};
    if (compressed(path) || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != c.device ||
        st.st_ino != c.inode)
      continue;
    auto f = open_file(path, c.device, c.inode);
    if (!f || !starts_with(f->fd, c.fingerprint) || c.offset > f->seen_size) return;
    spdlog::info("log file {} was rotated to {} while the source was stopped: read to its end", c.path, path);
    f->refresh_head();
    f->offset = c.offset;
    f->discarding = c.discarding;
    f->named = false;
    // Read before the files found under the patterns: it is older than any of them.
    files_.insert(files_.begin(), std::move(f));
    return;
  }
}

bool Tailer::read(std::vector<Line>& out, ReadBudget budget) {
  bool more = false;
  for (auto& f : files_) {
    if (f->closed) continue;
    if (f->parked()) {
      if ((!f->parked_changed && !f->parked_unread) || !unpark(*f)) continue;
      check_changes(*f, Clock::now());
    }
    const auto lines_before = out.size();
    const bool stopped = read_file(*f, out, budget);
    if (out.size() > lines_before) f->active = Clock::now();
    if (stopped) {
      more = true;
      break;
    }
  }
  if (o_.max_open_files > 0) enforce_open_limit(o_.max_open_files);
  for (auto& f : files_)
    if (f->closed) {
      release_copies(*f, f->offset);
      closed_.emplace_front(std::pair{f->device, f->inode}, f->fp);
      if (closed_.size() > kClosedRemembered) closed_.pop_back();
    }
  std::erase_if(files_, [](const auto& f) { return f->closed; });
  return more;
}

bool Tailer::read_file(File& f, std::vector<Line>& out, ReadBudget& budget) {
  const std::size_t window = std::max<std::size_t>(o_.max_line_bytes + 1, 64 * 1024);
  if (buffer_.size() < window) buffer_.resize(window);
  auto emit = [&](std::string_view text, std::uint64_t at, bool cut) {
    if (text.ends_with('\r')) text.remove_suffix(1);
    out.push_back({std::string(text), f.path, at, cut, f.device, f.inode, {}});
    if (cut) ++cut_;
    if (budget.lines > 0) --budget.lines;
  };
  if (f.copy_of || f.copy_growing) return false;
  for (;;) {
    if (budget.lines == 0 || budget.bytes == 0) return true;
    const auto got = ::pread(f.fd, buffer_.data(), window, static_cast<off_t>(f.offset));
    if (got <= 0) break;
    const std::string_view data(buffer_.data(), static_cast<std::size_t>(got));
    std::size_t pos = 0;
    while (pos < data.size() && budget.lines > 0) {
      const auto nl = data.find('\n', pos);
      if (f.discarding) {
        pos = nl == std::string_view::npos ? data.size() : nl + 1;
        f.discarding = nl == std::string_view::npos;
        continue;
      }
      if (nl == std::string_view::npos) {
        if (data.size() - pos <= o_.max_line_bytes) {
          // A partial line: held until its newline, or said once it has not grown for
          // partial_timeout (the file's last bytes: the window was not full).
          if (pos == 0 && data.size() < window && partial_due(f, data.size())) {
            emit(data, f.offset, false);
            pos = data.size();
          }
          break;
        }
        emit(data.substr(pos, o_.max_line_bytes), f.offset + pos, true);
        pos = data.size();
        f.discarding = true;
        break;
      }
      const auto length = nl - pos;
      emit(data.substr(pos, std::min(length, o_.max_line_bytes)), f.offset + pos, length > o_.max_line_bytes);
      pos = nl + 1;
    }
    if (pos == 0) break;
    f.offset += pos;
    budget.bytes -= std::min(budget.bytes, pos);
  }
  if (!f.named) {
    // Renamed away or deleted: closed once it has stayed unchanged for rotate_wait, its last line
    // (if it never got its newline) said then.
    const auto now = Clock::now();
    const auto size = size_of(f.fd);
    if (size != f.seen_size) {
      f.seen_size = size;
      f.changed = now;
    } else if (now - f.changed >= o_.rotate_wait) {
      if (size > f.offset && !f.discarding) {
        const auto rest = bytes_at_offset(f, std::min<std::uint64_t>(size - f.offset, o_.max_line_bytes));
        emit(rest, f.offset, size - f.offset > o_.max_line_bytes);
      }
      spdlog::info("log file {} (rotated or deleted) read to its end: closed", f.path);
      f.closed = true;
    }
  }
  return false;
}

std::string Tailer::bytes_at_offset(const File& f, std::uint64_t n) const {
  std::string buf(n, '\0');
  const auto got = ::pread(f.fd, buf.data(), n, static_cast<off_t>(f.offset));
  buf.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return buf;
}

std::size_t Tailer::open_files() const {
  return static_cast<std::size_t>(std::ranges::count_if(files_, [](const auto& f) { return !f->parked(); }));
}

bool Tailer::parkable(const File& f) const {
  // A renamed or deleted file could not be opened again by its name; copies and their originals
  // are compared by their descriptors.
  return !f.parked() && !f.closed && f.named && !f.copy_of && !f.copy_growing &&
         std::ranges::none_of(files_, [&](const auto& g) { return g->copy_of == &f; });
}

void Tailer::enforce_open_limit(std::size_t limit, const File* keep) {
  auto open = open_files();
  while (open > limit) {
    // The least recently active of those read to their end, else of any that may be parked.
    File* victim = nullptr;
    bool victim_done = false;
    for (auto& f : files_) {
      if (f.get() == keep || !parkable(*f)) continue;
      const bool done = f->offset >= size_of(f->fd);
      if (!victim || (done && !victim_done) || (done == victim_done && f->active < victim->active)) {
        victim = f.get();
        victim_done = done;
      }
    }
    if (!victim) return;  // every open file is needed open for now
    park(*victim);
    --open;
  }
}

void Tailer::park(File& f) {
  struct stat st {};
  ::fstat(f.fd, &st);
  f.parked_size = f.seen_size = static_cast<std::uint64_t>(st.st_size);
  f.parked_mtime = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  f.parked_unread = f.offset != f.parked_size;  // more to read, or truncated
  ::close(f.fd);
  f.fd = -1;
}

bool Tailer::unpark(File& f) {
  if (o_.max_open_files > 0) enforce_open_limit(o_.max_open_files - 1, &f);
  // Under its name (the same inode: if it was truncated or rewritten meanwhile, scan() sees it).
  auto reopened = f.named ? open_file(f.path, f.device, f.inode) : nullptr;
  if (!reopened) {  // renamed meanwhile: looked for by its inode (and first bytes) beside its last name
    std::error_code ec;
    const auto dir = std::filesystem::path(f.path).parent_path();
    int looked = 0;
    for (std::filesystem::directory_iterator it(dir.empty() ? "." : dir, ec), end;
         !reopened && !ec && it != end && looked < kMaxRotatedSearch; it.increment(ec), ++looked) {
      struct stat st {};
      const auto path = it->path().string();
      if (::stat(path.c_str(), &st) == 0 && st.st_dev == f.device && st.st_ino == f.inode)
        reopened = open_file(path, f.device, f.inode);
    }
    if (reopened && !starts_with(reopened->fd, f.fp)) reopened.reset();  // the inode reused
  }
  if (!reopened) return false;
  f.parked_changed = f.parked_unread = false;
  f.fd = std::exchange(reopened->fd, -1);
  f.path = reopened->path;
  f.seen_size = reopened->seen_size;
  return true;
}

std::vector<Checkpoint> Tailer::checkpoints() const {
  std::vector<Checkpoint> out;
  out.reserve(files_.size());
  for (const auto& f : files_) {
    // A copy not yet released: what it holds up to its original's offset was read.
    const auto offset = f->copy_of ? std::min(f->copy_of->offset, size_of(f->fd)) : f->offset;
    out.push_back({f->path, f->device, f->inode, f->fp, offset, f->discarding});
  }
  return out;
}

std::vector<std::string> Tailer::directories() const {
  std::vector<std::string> out;
  for (const auto& pattern : o_.patterns) {
    const auto parent = std::filesystem::path(pattern).parent_path().string();
    auto recursive = expand_recursive(pattern);
    for (auto& dir : recursive ? std::move(recursive->directories) : expand(parent.empty() ? "." : parent, GLOB_ONLYDIR))
      if (std::ranges::find(out, dir) == out.end()) out.push_back(std::move(dir));
  }
  return out;
}

}  // namespace chatops::ingestion::log
