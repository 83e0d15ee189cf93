#include "ingestion/log/log_source.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>
#include <tuple>

#include <spdlog/spdlog.h>

namespace chatops::ingestion::log {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kWatchMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY |
                                     IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

void drain(int fd) {
  alignas(struct inotify_event) char buf[16 * 1024];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

LogSource::LogSource(LogOptions options, LineParser parser, LineFilter filter)
    : StreamSource({.receive_wait = std::chrono::milliseconds(500)}),
      o_(std::move(options)),
      parser_(std::move(parser)),
      filter_(std::move(filter)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

LogSource::~LogSource() {
  stop();
  if (wake_ >= 0) ::close(wake_);
}

SourceResult<> LogSource::connect() {
  if (listener_) return {};  // kept listening across a refused batch, with its held batch and rate cap
  if (wake_ < 0) return std::unexpected(SourceError::transient(std::string("no eventfd: ") + std::strerror(errno)));
  topic_prefix_ = "log/" + runtime().name() + "/";
  lines_ = runtime().metrics().counter("chatops_log_lines_total", "Lines a log source read, by outcome.", {"outcome"});
  auto cursor = runtime().cursor();
  if (!cursor) return std::unexpected(SourceError::transient("cannot read the checkpoint: " + cursor.error().message));
  std::optional<std::vector<Checkpoint>> saved;
  committed_.clear();
  if (o_.rate_cap) cap_.emplace(*o_.rate_cap);
  if (*cursor) {
    auto decoded = decode_checkpoints(**cursor);
    if (!decoded) return std::unexpected(SourceError::configuration(decoded.error().message));
    saved = std::move(*decoded);
    committed_ = **cursor;
    if (cap_) cap_->restore(decode_rate_cap(**cursor));
  }
  if (o_.listen) {
    dropped_ = runtime().metrics().counter("chatops_log_dropped_total",
                                           "What a syslog listener dropped or refused, by reason.", {"reason"});
    auto listener = std::make_unique<SyslogListener>(*o_.listen);
    if (auto opened = listener->open(); !opened) return std::unexpected(opened.error());
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
    return {};
  }
  // Everything is read again from the committed checkpoint: after a refused batch too.
  tailer_ = std::make_unique<Tailer>(o_.tail, std::move(saved));
  if (o_.multiline) joiner_.emplace(*o_.multiline);
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_ < 0)
    spdlog::warn("source {}: no inotify ({}): files are checked every {} ms only", runtime().name(),
                 std::strerror(errno), o_.check_interval.count());
  more_ = true;
  return {};
}

void LogSource::disconnect() {
  // After a refused batch the listener stays: senders keep their connections, and the kernel
  // keeps what comes meanwhile.
  if (stopping()) {
    std::lock_guard lock(listener_mutex_);
    listener_.reset();
    held_.clear();
  }
  tailer_.reset();
  joiner_.reset();
  if (inotify_ >= 0) ::close(inotify_);
  inotify_ = -1;
}

void LogSource::interrupt() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_, &one, sizeof one);
  std::lock_guard lock(listener_mutex_);
  if (listener_) listener_->wake();
}

void LogSource::watch_directories() {
  if (inotify_ < 0) return;
  // Adding a watch again is harmless (the same one is returned), and re-adds a directory that was
  // removed and created again.
  for (const auto& dir : tailer_->directories()) ::inotify_add_watch(inotify_, dir.c_str(), kWatchMask);
}

Clock::time_point LogSource::digest_due(Clock::time_point deadline) const {
  if (!cap_) return deadline;
  const auto due = cap_->next_deadline();
  if (!due) return deadline;
  return std::min(deadline, Clock::now() + std::chrono::ceil<Clock::duration>(*due - RateCap::Clock::now()));
}

bool LogSource::wait_for_change(Clock::time_point deadline) {
  auto due = digest_due(next_check_);
  if (joiner_)
    if (const auto record_due = joiner_->next_deadline()) due = std::min(due, *record_due);
  const auto until = std::min(deadline, due);
  const auto now = Clock::now();
  bool changed = false;
  if (until > now) {
    pollfd fds[2] = {{wake_, POLLIN, 0}, {inotify_, POLLIN, 0}};
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    if (::poll(fds, inotify_ >= 0 ? 2 : 1, static_cast<int>(ms)) > 0) changed = fds[1].revents & POLLIN;
  } else {
    pollfd fd{inotify_, POLLIN, 0};
    changed = inotify_ >= 0 && ::poll(&fd, 1, 0) > 0;
  }
  if (changed) drain(inotify_);  // an overflow (IN_Q_OVERFLOW) means the same: look at everything
  return changed || Clock::now() >= due;
}

void LogSource::read_files(Clock::time_point deadline, std::vector<Line>& lines, std::vector<Checkpoint>& checkpoints,
                           bool& read) {
  read = more_ || wait_for_change(deadline);
  if (!read || stopping()) return;
  next_check_ = Clock::now() + o_.check_interval;
  tailer_->scan();
  watch_directories();
  more_ = tailer_->read(lines, o_.budget);
  checkpoints = tailer_->checkpoints();
  if (joiner_) {
    std::vector<Line> records;
    const auto now = Clock::now();
    joiner_->add(lines, records, now);
    joiner_->flush(records, now, checkpoints);
    joiner_->hold_back(checkpoints);
    lines = std::move(records);
  }
}

void LogSource::export_listener_counters() {
  const auto& c = listener_->counters();
  for (auto [reason, now, exported] :
       {std::tuple{"receive_buffer", c.dropped_datagrams.load(), &exported_dropped_},
        {"connection_refused", c.refused.load(), &exported_refused_}, {"idle_closed", c.idle_closed.load(), &exported_idle_},
        {"framing_error", c.framing_errors.load(), &exported_framing_}})
    if (now > *exported) {
      dropped_.inc({reason}, static_cast<double>(now - *exported));
      *exported = now;
    }
}

SourceResult<Received> LogSource::receive(Clock::time_point deadline) {
  Received r;
  std::vector<Line> lines;
  std::vector<Checkpoint> checkpoints;
  if (listener_) {
    if (!held_.empty()) {  // refused by the journal last time: nothing upstream has them
      r.events = std::move(held_);
      held_.clear();
      return r;
    }
    listener_->receive(lines, o_.budget.lines, digest_due(deadline));
    export_listener_counters();
  } else {
    bool read = false;
    read_files(deadline, lines, checkpoints, read);
    if (!read) return r;
  }
  if (stopping()) return r;
  auto& status = runtime().status();
  const auto now = RateCap::Clock::now();
  if (cap_) r.events = cap_->due(now, topic_prefix_);  // before the lines of a new window
  // Counted per batch: a labelled counter's lookup per line would cost more than the line.
  std::uint64_t cut = 0, filtered = 0, said = 0, malformed = 0, digested = 0;
  r.events.reserve(r.events.size() + lines.size());
  for (const auto& line : lines) {
    const auto name = filter_.topic_of(line.text);
    cut += line.cut;
    if (!name) {
      ++filtered;
      continue;
    }
    const auto malformed_before = malformed;
    auto e = event_of(line, *name, malformed);
    if (!e) continue;
    const bool parsed = malformed == malformed_before;
    const auto from = line.transport.empty() ? line.path : line.transport + "://" + line.path;
    if (cap_ && !cap_->admit(parsed ? std::string(*name) : "malformed", from, *e, now)) {
      ++digested;
      continue;
    }
    said += parsed;
    r.events.push_back(std::move(*e));
  }
  status.consumed += filtered + digested;
  status.skipped += filtered + digested;
  for (const auto& [outcome, n] : {std::pair{"cut", cut}, {"filtered", filtered}, {"said", said},
                                   {"malformed", malformed}, {"digested", digested}})
    if (n > 0) lines_.inc({outcome}, static_cast<double>(n));
  auto cursor = encode_checkpoints(checkpoints, cap_ ? cap_->state() : nlohmann::json());
  if (cursor != committed_) r.cursor = std::move(cursor);
  return r;
}

std::optional<IngestionEvent> LogSource::event_of(const Line& line, std::string_view name, std::uint64_t& malformed) {
  auto e = parser_.event(line, topic_prefix_ + std::string(name));
  if (e) return std::move(*e);
  ++malformed;
  const bool network = !line.transport.empty();
  const auto why = network ? "a message from " + line.path + ": " + e.error()
                           : "a malformed line in " + line.path + " at byte " + std::to_string(line.offset) + ": " + e.error();
  if (!o_.malformed_events) {
    auto& status = runtime().status();
    ++status.consumed;
    ++status.failed;
    status.set_error(why);
    return std::nullopt;
  }
  IngestionEvent bad;
  bad.topic = topic_prefix_ + "malformed";
  bad.severity = Severity::Warning;
  if (network) {
    bad.fields = {{"line", line.text}, {"peer", line.path}, {"transport", line.transport}, {"error", e.error()}};
    bad.default_template = "[{{_event.source}}] malformed message from {{peer}}: {{error}}";
  } else {
    bad.fields = {{"line", line.text}, {"file", line.path}, {"offset", line.offset}, {"error", e.error()}};
    bad.default_template = "[{{_event.source}}] malformed line in {{file}} at byte {{offset}}: {{error}}";
  }
  if (line.cut) bad.fields["cut"] = true;
  return bad;
}

void LogSource::refused(const Received& batch) {
  if (listener_) held_ = batch.events;
}

SourceResult<> LogSource::acknowledge(const Received& batch) {
  if (batch.cursor) committed_ = *batch.cursor;
  return {};
}

}  // namespace chatops::ingestion::log
