// The `kind: log` declaration: its schema (files or a syslog listener, formats, match, rate cap,
// multi-line records), validation and the source built from a validated entry.
#include "ingestion/log/log_source.hpp"

#include "core/config/address.hpp"

namespace chatops::ingestion::log {

config::Schema log_source_schema() {
  config::Schema s("log", "");
  s.field("paths", config::Kind::List,
          "The files to follow: paths or glob patterns (`*`, `?`, `[…]`, `**` for any depth of directories). Compressed files (.gz, .xz, .bz2, .zst, "
          ".lz4, .zip, .Z) are never read.")
      .items(config::Kind::String)
      .example("[/var/log/nginx/error.log, \"/var/log/app/*.log\"]");
  config::Schema listen("log/listen",
                        "Syslog over the network instead of files, as rsyslog, syslog-ng and appliances forward it: "
                        "UDP (one message per datagram, RFC 5426) and TCP (octet-counting or LF framing, RFC 6587). "
                        "Give udp, tcp or both. Messages are parsed by `format:` (give syslog) and matched like "
                        "lines; their events have `peer` (the sender's address) and `transport` instead of "
                        "`file`. A message longer than max_line_bytes is cut. Nothing is acknowledged to the sender: "
                        "what the kernel drops while the source waits for the journal is counted.");
  listen.field("udp", config::Kind::String, "UDP address and port (\"[::]:514\" for IPv6).").example("0.0.0.0:5514");
  listen.field("tcp", config::Kind::String, "TCP address and port.").example("0.0.0.0:5514");
  listen.field("max_connections", config::Kind::Integer, "TCP connections at once; more are closed at once, counted.")
      .fallback("256")
      .range(1, 65536);
  listen.field("max_connections_per_address", config::Kind::Integer,
               "TCP connections from one address at once (0: no limit, behind a relay).")
      .fallback("32")
      .range(0, 65536);
  listen.field("idle_timeout", config::Kind::Duration, "A TCP connection that sends nothing for this long is closed.")
      .fallback("5m")
      .range(0.01, 86400);
  listen.field("receive_buffer", config::Kind::Size,
               "The UDP socket's receive buffer (SO_RCVBUF, capped by net.core.rmem_max): what the kernel holds while "
               "the source waits for the journal; datagrams beyond it are dropped and counted.")
      .fallback("4MiB")
      .range(4096, 1 << 30);
  s.field("listen", config::Kind::Map, "Receive syslog over the network (see log/listen) instead of following `paths`.")
      .schema(listen);
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
  s.field("unmatched", config::Kind::String,
          "The lines no match: pattern finds: count (only counted, in chatops_log_lines_total{outcome=\"filtered\"}) "
          "or event (said with topic log/<source>/unmatched). Lines exclude: drops are never said.")
      .fallback("count")
      .one_of({"count", "event"});
  config::Schema cap("log/rate_cap",
                     "A cap on the events a source says, so that a flood of matching lines does not flood the "
                     "channels: at most `lines` events in a window of `per` (which begins with the first event "
                     "after the previous window). Beyond it, lines are counted per pattern and file, and when the "
                     "window ends each count is said as one digest event (\"… 3,000 more lines matched error in "
                     "app.log\").");
  cap.field("lines", config::Kind::Integer, "Events said per window.").required().range(1, 1000000);
  cap.field("per", config::Kind::Duration, "The window.").fallback("1m").range(1, 86400);
  s.field("rate_cap", config::Kind::Map, "Digests instead of floods (see log/rate_cap); no cap without it.")
      .schema(cap)
      .example("{lines: 20, per: 1m}");
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
  s.field("max_open_files", config::Kind::Integer,
          "Descriptors the source keeps open at most (0: no limit). With more files, those read to their end are "
          "closed and opened again when they change, least recently active first; a closed file renamed away "
          "(rotated) is found again by its inode.")
      .fallback("1024")
      .range(0, 1000000);
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

namespace {

Result<ListenOptions> listen_options(const config::Node& v) {
  const auto node = v.map("listen");
  ListenOptions o;
  for (const auto& [key, to] : {std::pair{"udp", &o.udp}, {"tcp", &o.tcp}}) {
    if (!node.has(key)) continue;
    auto address = config::listen_address(node, key, "0.0.0.0:5514", 0);
    if (!address) return std::unexpected(address.error());
    *to = std::move(*address);
  }
  if (!o.udp && !o.tcp) return std::unexpected(v["listen"].error("give udp, tcp or both"));
  o.max_message = v.size("max_line_bytes");
  o.max_connections = static_cast<std::size_t>(node.integer("max_connections"));
  o.max_connections_per_address = static_cast<std::size_t>(node.integer("max_connections_per_address"));
  o.idle_timeout = node.duration("idle_timeout");
  o.receive_buffer = node.size("receive_buffer");
  return o;
}

}  // namespace

Result<config::Node> validate_log_source(const config::Node& raw) {
  auto validated = config::validate(log_source_schema(), raw);
  if (!validated) return validated;
  const auto& v = *validated;
  if (v.has("listen")) {
    if (v.has("paths")) return std::unexpected(v["paths"].error("give paths or listen, not both (two sources)"));
    if (v.has("multiline")) return std::unexpected(v["multiline"].error("multiline applies to files, not to listen"));
    if (auto listen = listen_options(v); !listen) return std::unexpected(listen.error());
  } else if (v.strings("paths").empty()) {
    return std::unexpected(v.has("paths") ? v["paths"].error("give at least one path or pattern")
                                          : v.error("give paths (files to follow) or listen (syslog over the network)"));
  }
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
  if (v.has("listen")) {
    auto listen = listen_options(v);
    if (!listen) return std::unexpected(listen.error());
    o.listen = std::move(*listen);
  } else {
    o.tail.patterns = v.strings("paths");
  }
  o.tail.start_at_end = v.str("start_at") == "end";
  o.tail.max_line_bytes = v.size("max_line_bytes");
  o.tail.rotate_wait = v.duration("rotate_wait");
  o.tail.partial_timeout = v.duration("partial_timeout");
  o.tail.max_open_files = static_cast<std::size_t>(v.integer("max_open_files"));
  o.check_interval = v.duration("check_interval");
  o.budget.lines = static_cast<std::size_t>(v.integer("batch_lines"));
  o.budget.bytes = std::max<std::size_t>(1 << 20, 4 * o.tail.max_line_bytes);
  o.malformed_events = v.str("malformed") == "event";
  auto multiline = multiline_options(v);
  if (!multiline) return std::unexpected(multiline.error());
  o.multiline = std::move(*multiline);
  o.rate_cap = rate_cap_options(v);
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
