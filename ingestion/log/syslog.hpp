#pragma once
// Syslog lines as log files and relays hold them: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID
// MSGID [SD] MSG`) and RFC 3164 / BSD (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, the PRI absent
// in files rsyslog writes), with the deviations seen in the wild: no host name, no tag, an RFC 3339
// timestamp after a BSD PRI, a UTF-8 BOM before the message. A line that fits neither is refused
// with the reason (no timestamp, a PRI above 191, a field too long, unbalanced structured data).
#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ingestion/event.hpp"

namespace chatops::ingestion::log {

struct SyslogMessage {
  // facility, level (the syslog severity's name), priority, timestamp, host, app, pid, msgid,
  // structured_data ({id: {param: value}}), message, format ("rfc5424" | "rfc3164"); absent
  // parts are left out.
  nlohmann::json fields = nlohmann::json::object();
  Severity severity = Severity::Info;  // from the PRI; Info without one
};

std::expected<SyslogMessage, std::string> parse_syslog(std::string_view line);

}  // namespace chatops::ingestion::log
