#include "ingestion/file/file_source.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include <spdlog/spdlog.h>

namespace chatops::ingestion::file {

namespace {

constexpr const char* kScanned = "scanned";  // the cursor: the first scan is committed
constexpr std::chrono::milliseconds kCoalesce{20};

}  // namespace

FileSource::FileSource(FileOptions options, EventOptions events)
    : StreamSource({.receive_wait = std::chrono::milliseconds(500)}),
      o_(std::move(options)),
      event_options_(std::move(events)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

FileSource::~FileSource() {
  stop();
  if (wake_ >= 0) ::close(wake_);
}

SourceResult<> FileSource::connect() {
  if (wake_ < 0) return std::unexpected(SourceError::transient(std::string("no eventfd: ") + std::strerror(errno)));
  std::uint64_t ignored = 0;
  while (::read(wake_, &ignored, sizeof ignored) > 0) {
  }
  events_.emplace(runtime().name(), event_options_);
  files_ = runtime().metrics().counter("chatops_file_changes_total",
                                       "Files a file source looked at, by what it found.", {"change"});
  auto cursor = runtime().cursor();
  if (!cursor) return std::unexpected(SourceError::transient("cannot read the cursor: " + cursor.error().message));
  first_pass_ = !cursor->has_value();
  baseline_ = first_pass_ && !o_.initial_scan;
  auto state = runtime().list_state();
  if (!state) return std::unexpected(SourceError::transient("cannot read what was seen: " + state.error().message));
  known_.clear();
  for (const auto& [path, value] : *state)
    if (auto s = decode_snapshot(value)) known_.emplace(path, std::move(*s));
  pending_.clear();
  todo_.clear();
  changes_ = {};
  watcher_ = std::make_unique<DirectoryWatcher>(o_.limits.directories);
  if (!watcher_->available())
    spdlog::warn("source {}: no inotify ({}): files are found by the rescan every {} ms only", runtime().name(),
                 std::strerror(errno), o_.rescan_interval.count());
  rescan_due_ = true;
  return {};
}

void FileSource::disconnect() {
  watcher_.reset();
  pending_.clear();
  todo_.clear();
}

void FileSource::interrupt() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_, &one, sizeof one);
}

bool FileSource::wait_for_change(Clock::time_point deadline) {
  if (rescan_due_) return true;
  auto due = next_rescan_;
  for (const auto& [path, p] : pending_) due = std::min(due, p.since + o_.settle);
  const auto until = std::min(deadline, due);
  const auto now = Clock::now();
  const int inotify = watcher_ && watcher_->available() ? watcher_->fd() : -1;
  pollfd fds[2] = {{wake_, POLLIN, 0}, {inotify, POLLIN, 0}};
  const auto ms = until > now ? std::chrono::ceil<std::chrono::milliseconds>(until - now).count() : 0;
  const bool changed = ::poll(fds, 2, static_cast<int>(ms)) > 0 && (fds[1].revents & POLLIN);
  // A writer's events come in bursts (every write is one): taken together, not one wake each.
  if (changed) ::poll(fds, 1, static_cast<int>(kCoalesce.count()));
  return changed || Clock::now() >= due;
}

void FileSource::rescan() {
  auto found = expand_globs(o_.globs, o_.limits);
  const auto unwatched = watcher_ ? watcher_->watch(found.directories) : 0;
  if ((found.truncated || unwatched > 0) && !truncated_warned_) {
    truncated_warned_ = true;
    const auto why = found.truncated ? "the patterns match more than max_files files or max_directories directories"
                                     : std::to_string(unwatched) + " directories could not be watched (inotify's limit)";
    spdlog::warn("source {}: {}: the rest is not seen", runtime().name(), why);
    runtime().status().set_error(why);
  }
  for (auto& path : found.files) todo_.insert(std::move(path));
  for (const auto& [path, s] : known_) todo_.insert(path);  // deleted ones too
  changes_.rescan = rescan_due_ = false;
  next_rescan_ = Clock::now() + o_.rescan_interval;
}

void FileSource::note(Received& out, const std::string& path, const Snapshot& s) {
  out.state.push_back({path, encode(s)});
}

std::size_t FileSource::examine(const std::string& path, Received& out, Clock::time_point now) {
  const auto known = known_.find(path);
  const bool closed = changes_.closed.erase(path) > 0;
  changes_.paths.erase(path);  // looked at now: an event for it from now on is news
  struct ::stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    pending_.erase(path);
    if (known == known_.end()) return 0;
    if (!baseline_) out.events.push_back(events_->deleted({path, "deleted", known->second.size, known->second.mtime_ns}));
    files_.inc({"deleted"});
    out.state.push_back({path, std::nullopt});
    return 0;
  }
  if (known != known_.end() && known->second.same_stat(st)) {
    pending_.erase(path);
    return 0;
  }
  // Read once complete: closed after writing (or moved in), or unchanged for `settle`.
  const Pending seen{static_cast<std::uint64_t>(st.st_size), mtime_ns_of(st), now};
  auto [it, fresh] = pending_.try_emplace(path, seen);
  if (!fresh && (it->second.size != seen.size || it->second.mtime_ns != seen.mtime_ns)) {
    it->second = seen;
    fresh = true;
  }
  if (!closed && !baseline_ && (fresh || now - it->second.since < o_.settle)) return 0;

  auto read = read_file(path, o_.max_file_size);
  using Outcome = FileRead::Outcome;
  // Written again since it was closed (the close was an earlier writer's): not complete.
  if (watcher_) watcher_->read(changes_, o_.limits.files);
  if (read.outcome == Outcome::Read && changes_.paths.contains(path)) read.outcome = Outcome::Changing;
  if (read.outcome == Outcome::Gone) {
    pending_.erase(path);
    todo_.insert(path);  // said deleted if it was known
    return 1;
  }
  if (read.outcome == Outcome::Changing) {
    it->second = {static_cast<std::uint64_t>(read.st.st_size), mtime_ns_of(read.st), now};
    return 1;
  }
  pending_.erase(it);
  Snapshot s{static_cast<std::uint64_t>(read.st.st_size), mtime_ns_of(read.st), {}};
  std::string problem;
  if (read.outcome == Outcome::Read) s.hash = content_hash(read.text);
  else if (read.outcome == Outcome::TooLarge) {
    s.hash = "size:" + std::to_string(s.size) + ":" + std::to_string(s.mtime_ns);  // not read: any change is one
    problem = std::to_string(s.size) + " bytes, more than max_file_size (" + std::to_string(o_.max_file_size) + ")";
  } else {
    s.hash = "unreadable";
    s.mtime_ns = -1;  // tried again at each rescan (permissions change no file time), said once
    problem = "cannot read it: " + read.error;
  }
  const bool is_new = known == known_.end();
  if (!is_new && known->second.hash == s.hash) {
    files_.inc({"unchanged"});  // touched, or written with the same content
  } else if (!baseline_) {
    const FileChange change{path, is_new ? "created" : "modified", s.size, s.mtime_ns};
    if (!problem.empty()) {
      out.events.push_back(events_->error(change, 0, problem));
      files_.inc({"error"});
    } else {
      auto made = events_->changed(change, read.text);
      files_.inc({made.size() == 1 && made[0].topic.ends_with("/error") ? "error" : change.change});
      std::ranges::move(made, std::back_inserter(out.events));
    }
  }
  note(out, path, s);
  return 1;
}

SourceResult<Received> FileSource::receive(Clock::time_point deadline) {
  Received r;
  if (todo_.empty() && changes_.empty() && !wait_for_change(deadline)) return r;
  if (stopping()) return r;
  const auto now = Clock::now();
  if (watcher_) watcher_->read(changes_, o_.limits.files);
  if (changes_.rescan || rescan_due_ || now >= next_rescan_) rescan();
  for (const auto& path : changes_.paths) {
    const bool watched = known_.contains(path) || std::ranges::any_of(o_.globs, [&](const auto& g) { return g.matches(path); });
    if (watched) todo_.insert(path);
    else changes_.closed.erase(path);
  }
  changes_.paths.clear();
  for (const auto& [path, p] : pending_)
    if (now - p.since >= o_.settle) todo_.insert(path);
  std::size_t read = 0;
  while (!todo_.empty() && read < o_.batch_files && r.events.size() < o_.batch_events && !stopping()) {
    auto path = std::move(todo_.extract(todo_.begin()).value());
    read += examine(path, r, now);
  }
  if (first_pass_ && todo_.empty()) r.cursor = kScanned;
  return r;
}

SourceResult<> FileSource::acknowledge(const Received& batch) {
  for (const auto& change : batch.state) {
    if (!change.value) known_.erase(change.key);
    else if (auto s = decode_snapshot(*change.value)) known_.insert_or_assign(change.key, std::move(*s));
  }
  if (batch.cursor) first_pass_ = baseline_ = false;
  return {};
}

}  // namespace chatops::ingestion::file
