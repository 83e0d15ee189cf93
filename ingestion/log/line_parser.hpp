#pragma once
// How a log line becomes an event: plain (the line), syslog (RFC 5424 / 3164 fields, severity from
// the priority), JSON lines (through the shared payload mapping) or an RE2 pattern with named
// groups (a `severity` or `level` group gives the severity). A line that does not parse is
// refused with the reason; the source makes it a `malformed` event or counts it.
#include <expected>
#include <memory>
#include <optional>
#include <string>

#include <re2/re2.h>

#include "core/config/node.hpp"
#include "ingestion/event.hpp"
#include "ingestion/log/tailer.hpp"
#include "ingestion/payload/mapping.hpp"

namespace chatops::ingestion::log {

enum class Format { Plain, Syslog, Json, Regex };

class LineParser {
 public:
  // From a validated log source: format, pattern, json.
  static Result<LineParser> from_config(const config::Node& validated);

  // The event of `line` with `topic` (a JSON mapping may give its own), fields `line` and `file`
  // and what the format parsed; or why the line does not parse.
  std::expected<IngestionEvent, std::string> event(const Line& line, const std::string& topic) const;

 private:
  Format format_ = Format::Plain;
  std::shared_ptr<const RE2> pattern_;
  std::optional<payload::Mapping> mapping_;
  std::string template_;
};

}  // namespace chatops::ingestion::log
