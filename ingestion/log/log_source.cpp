#include "ingestion/log/log_source.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>

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
  if (wake_ < 0) return std::unexpected(SourceError::transient(std::string("no eventfd: ") + std::strerror(errno)));
  topic_prefix_ = "log/" + runtime().name() + "/";
  lines_ = runtime().metrics().counter("chatops_log_lines_total", "Lines a log source read, by outcome.", {"outcome"});
  auto cursor = runtime().cursor();
  if (!cursor) return std::unexpected(SourceError::transient("cannot read the checkpoint: " + cursor.error().message));
  std::optional<std::vector<Checkpoint>> saved;
  committed_.clear();
  if (*cursor) {
    auto decoded = decode_checkpoints(**cursor);
    if (!decoded) return std::unexpected(SourceError::configuration(decoded.error().message));
    saved = std::move(*decoded);
    committed_ = **cursor;
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
  tailer_.reset();
  joiner_.reset();
  if (inotify_ >= 0) ::close(inotify_);
  inotify_ = -1;
}

void LogSource::interrupt() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_, &one, sizeof one);
}

void LogSource::watch_directories() {
  if (inotify_ < 0) return;
  // Adding a watch again is harmless (the same one is returned), and re-adds a directory that was
  // removed and created again.
  for (const auto& dir : tailer_->directories()) ::inotify_add_watch(inotify_, dir.c_str(), kWatchMask);
}

bool LogSource::wait_for_change(Clock::time_point deadline) {
  auto due = next_check_;
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

SourceResult<Received> LogSource::receive(Clock::time_point deadline) {
  Received r;
  if (!more_ && !wait_for_change(deadline)) return r;
  if (stopping()) return r;
  next_check_ = Clock::now() + o_.check_interval;
  tailer_->scan();
  watch_directories();
  std::vector<Line> lines;
  more_ = tailer_->read(lines, o_.budget);
  auto checkpoints = tailer_->checkpoints();
  if (joiner_) {
    std::vector<Line> records;
    const auto now = Clock::now();
    joiner_->add(lines, records, now);
    joiner_->flush(records, now, checkpoints);
    joiner_->hold_back(checkpoints);
    lines = std::move(records);
  }
  auto& status = runtime().status();
  // Counted per batch: a labelled counter's lookup per line would cost more than the line.
  std::uint64_t cut = 0, filtered = 0, said = 0, malformed = 0;
  r.events.reserve(lines.size());
  for (const auto& line : lines) {
    const auto name = filter_.topic_of(line.text);
    cut += line.cut;
    if (!name) {
      ++filtered;
      continue;
    }
    auto e = parser_.event(line, topic_prefix_ + std::string(*name));
    if (e) {
      ++said;
      r.events.push_back(std::move(*e));
      continue;
    }
    ++malformed;
    const auto why = line.path + " at byte " + std::to_string(line.offset) + ": " + e.error();
    if (!o_.malformed_events) {
      ++status.consumed;
      ++status.failed;
      status.set_error("a malformed line in " + why);
      continue;
    }
    IngestionEvent bad;
    bad.topic = topic_prefix_ + "malformed";
    bad.severity = Severity::Warning;
    bad.fields = {{"line", line.text}, {"file", line.path}, {"offset", line.offset}, {"error", e.error()}};
    bad.default_template = "[{{_event.source}}] malformed line in {{file}} at byte {{offset}}: {{error}}";
    r.events.push_back(std::move(bad));
  }
  status.consumed += filtered;
  status.skipped += filtered;
  for (const auto& [outcome, n] : {std::pair{"cut", cut}, {"filtered", filtered}, {"said", said}, {"malformed", malformed}})
    if (n > 0) lines_.inc({outcome}, static_cast<double>(n));
  auto cursor = encode_checkpoints(checkpoints);
  if (cursor != committed_) r.cursor = std::move(cursor);
  return r;
}

SourceResult<> LogSource::acknowledge(const Received& batch) {
  if (batch.cursor) committed_ = *batch.cursor;
  return {};
}

// --- configuration

config::Schema log_source_schema() {
  config::Schema s("log", "");
  s.field("paths", config::Kind::List,
          "The files to follow: paths or glob patterns (`*`, `?`, `[…]`, `**` for any depth of directories). Compressed files (.gz, .xz, .bz2, .zst, "
          ".lz4, .zip, .Z) are never read.")
      .items(config::Kind::String)
      .required()
      .example("[/var/log/nginx/error.log, \"/var/log/app/*.log\"]");
  s.field("start_at", config::Kind::String,
          "Where the files found on the source's first start are read from: end (only lines written from now on) "
          "or beginning. Later the saved checkpoint decides, and files that appear afterwards are read from their "
          "start.")
      .fallback("end")
      .one_of({"end", "beginning"});
  s.field("format", config::Kind::String,
          "How a line is parsed: plain (the line as it is), syslog (RFC 5424 or RFC 3164; severity from the "
          "priority), json (one object per line, through `json:`), regex (`pattern:`'s named groups).")
      .fallback("plain")
      .one_of({"plain", "syslog", "json", "regex"});
  s.field("pattern", config::Kind::String,
          "For format: regex — an RE2 pattern whose named groups become fields; a `severity` or `level` group gives "
          "the event's severity. A line it does not match is malformed.")
      .example("'^(?P<time>\\S+ \\S+) \\[(?P<level>\\w+)\\] (?P<message>.*)$'");
  config::Schema json("log/json", "For format: json — how each line's object becomes an event (its top-level fields "
                                  "are the event's fields). Without a topic the event's topic is the line's.");
  payload::add_mapping_fields(json, {.headers = false, .topic_required = false});
  s.field("json", config::Kind::Map, "The mapping of JSON lines (see log/json).").schema(json).fallback("{}");
  s.field("match", config::Kind::Map,
          "Only the lines one of these RE2 patterns finds (name → pattern) are said, with topic "
          "log/<source>/<name> (the first pattern declared that matches). Without it every line is said as "
          "log/<source>/line.")
      .example("{error: '\\b(ERROR|FATAL)\\b', auth_failed: 'Failed password for'}");
  s.field("exclude", config::Kind::List, "Lines any of these RE2 patterns finds are dropped (before match:).")
      .items(config::Kind::String)
      .example("['healthcheck', '^DEBUG']");
  config::Schema multiline("log/multiline",
                            "Joining the lines of one record (a stack trace, a pretty-printed JSON object) into one "
                            "event, per file. Give start or continuation.");
  multiline.field("start", config::Kind::String,
                  "RE2: a line it finds begins a record; the lines after it that it does not find belong to it.")
      .example("'^\\d{4}-\\d{2}-\\d{2} '");
  multiline.field("continuation", config::Kind::String,
                  "RE2: a line it finds continues the record before it; any other line begins one.")
      .example("'^(\\s|Caused by:)'");
  multiline.field("timeout", config::Kind::Duration,
                  "A record is said once no line has come for it for this long (or when the next one begins).")
      .fallback("1s")
      .range(0.01, 3600);
  multiline.field("max_lines", config::Kind::Integer,
                  "Lines of one record; those beyond are dropped (the event has cut: true). The record's text is "
                  "also cut at max_line_bytes.")
      .fallback("500")
      .range(2, 100000);
  s.field("multiline", config::Kind::Map, "Multi-line records (see log/multiline); one line per event without it.")
      .schema(multiline);
  s.field("max_line_bytes", config::Kind::Size,
          "Longer lines are cut here (the event has cut: true) and the rest of them dropped: memory stays bounded.")
      .fallback("64KiB")
      .range(256, 16 * 1024 * 1024);
  s.field("malformed", config::Kind::String,
          "A line the format cannot parse: event (topic log/<source>/malformed, with the error) or count (only "
          "counted in chatops_log_lines_total and the source's status).")
      .fallback("event")
      .one_of({"event", "count"});
  s.field("check_interval", config::Kind::Duration,
          "How often the files are checked without an inotify event (inotify drops events when its queue "
          "overflows, and sees nothing on network file systems).")
      .fallback("1s")
      .range(0.01, 3600);
  s.field("rotate_wait", config::Kind::Duration,
          "How long a file renamed away (rotated) or deleted is still read after its last change, for the lines its "
          "writer adds before it reopens the new file.")
      .fallback("5s")
      .range(0, 86400);
  s.field("partial_timeout", config::Kind::Duration,
          "A last line without its newline is said once it has not grown for this long (what its writer adds "
          "later is then a line of its own); 0: it waits for its newline.")
      .fallback("0s")
      .range(0, 86400);
  s.field("batch_lines", config::Kind::Integer, "At most this many lines per journal transaction.")
      .fallback("1000")
      .range(1, 100000);
  s.field("template", config::Kind::String,
          "Default template for binds that give none; by default the line (syslog: host, app and message).");
  return common_source_schema().merged(s, "log");
}

Result<config::Node> validate_log_source(const config::Node& raw) {
  auto validated = config::validate(log_source_schema(), raw);
  if (!validated) return validated;
  if (validated->strings("paths").empty())
    return std::unexpected((*validated)["paths"].error("give at least one path or pattern"));
  if (auto parser = LineParser::from_config(*validated); !parser) return std::unexpected(parser.error());
  if (auto filter = LineFilter::from_config(*validated); !filter) return std::unexpected(filter.error());
  if (auto multiline = multiline_options(*validated); !multiline) return std::unexpected(multiline.error());
  return validated;
}

Result<std::unique_ptr<IngestionSource>> make_log_source(const config::Node& v) {
  auto parser = LineParser::from_config(v);
  if (!parser) return std::unexpected(parser.error());
  auto filter = LineFilter::from_config(v);
  if (!filter) return std::unexpected(filter.error());
  LogOptions o;
  o.tail.patterns = v.strings("paths");
  o.tail.start_at_end = v.str("start_at") == "end";
  o.tail.max_line_bytes = v.size("max_line_bytes");
  o.tail.rotate_wait = v.duration("rotate_wait");
  o.tail.partial_timeout = v.duration("partial_timeout");
  o.check_interval = v.duration("check_interval");
  o.budget.lines = static_cast<std::size_t>(v.integer("batch_lines"));
  o.budget.bytes = std::max<std::size_t>(1 << 20, 4 * o.tail.max_line_bytes);
  o.malformed_events = v.str("malformed") == "event";
  auto multiline = multiline_options(v);
  if (!multiline) return std::unexpected(multiline.error());
  o.multiline = std::move(*multiline);
  return std::make_unique<LogSource>(std::move(o), std::move(*parser), std::move(*filter));
}

SourceKind log_source_kind() {
  return {
      .name = "log",
      .family = "log",
      .doc = "Log tailing: follows files (paths, globs) across rotations, parses their lines (plain, syslog, JSON, "
             "RE2) and says them as events log/<name>/<pattern>, exactly once across restarts. See "
             "docs/sources/log.md.",
      .validate = validate_log_source,
      .make = [](const config::Node& validated, SourceServices&) { return make_log_source(validated); },
      .schemas =
          [] {
            const auto schema = log_source_schema();
            std::vector<config::Schema> schemas{schema};
            for (const auto& field : schema.fields())
              if (field.nested()) schemas.push_back(*field.nested());
            return schemas;
          },
  };
}

}  // namespace chatops::ingestion::log
