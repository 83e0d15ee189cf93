#include "ingestion/log/syslog.hpp"

#include <array>
#include <cctype>
#include <optional>

namespace chatops::ingestion::log {

namespace {

using json = nlohmann::json;
using Error = std::unexpected<std::string>;

constexpr std::array<std::string_view, 24> kFacilities = {
    "kern",  "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",  "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
constexpr std::array<std::string_view, 8> kLevels = {"emerg", "alert", "crit", "err",
                                                     "warning", "notice", "info", "debug"};

Severity severity_of(int level) {
  if (level <= 2) return Severity::Critical;
  if (level == 3) return Severity::Error;
  if (level == 4) return Severity::Warning;
  if (level == 5) return Severity::Notice;
  return Severity::Info;
}

bool digit(char c) { return c >= '0' && c <= '9'; }
bool digits(std::string_view s) { return !s.empty() && std::ranges::all_of(s, digit); }

// Reads a cursor over the line.
struct Reader {
  std::string_view rest;
  bool eat(char c) {
    if (rest.empty() || rest.front() != c) return false;
    rest.remove_prefix(1);
    return true;
  }
  // Up to the next space (or the end); the space is consumed.
  std::string_view token() {
    const auto end = rest.find(' ');
    const auto t = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    return t;
  }
};

// "<PRI>": the value, or nullopt when the line has none (an error when it is there but wrong).
std::expected<std::optional<int>, std::string> read_pri(Reader& r) {
  if (!r.eat('<')) return std::nullopt;
  const auto close = r.rest.find('>');
  if (close == std::string_view::npos || close == 0 || close > 5 || !digits(r.rest.substr(0, close)))
    return Error("the priority is not <0> to <191>");
  const int pri = std::stoi(std::string(r.rest.substr(0, close)));
  if (pri > 191) return Error("the priority " + std::to_string(pri) + " is above 191");
  r.rest.remove_prefix(close + 1);
  return pri;
}

// RFC 3339 as RFC 5424 restricts it: 2003-10-11T22:14:15.003Z, …+02:00.
bool rfc3339(std::string_view t) {
  auto at = [&](std::size_t i, char c) { return i < t.size() && t[i] == c; };
  auto num = [&](std::size_t i, std::size_t n) { return i + n <= t.size() && digits(t.substr(i, n)); };
  if (!(num(0, 4) && at(4, '-') && num(5, 2) && at(7, '-') && num(8, 2) && at(10, 'T') && num(11, 2) && at(13, ':') &&
        num(14, 2) && at(16, ':') && num(17, 2)))
    return false;
  std::size_t i = 19;
  if (at(i, '.')) {
    const auto start = ++i;
    while (i < t.size() && digit(t[i])) ++i;
    if (i == start || i - start > 6) return false;
  }
  if (at(i, 'Z')) return i + 1 == t.size();
  return (at(i, '+') || at(i, '-')) && num(i + 1, 2) && at(i + 3, ':') && num(i + 4, 2) && i + 6 == t.size();
}

// "Oct 11 22:14:15" / "Feb  5 17:32:18" at the start of r; consumed with the space after it.
std::optional<std::string> bsd_timestamp(Reader& r) {
  static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto t = r.rest.substr(0, 15);
  if (t.size() < 15 || std::ranges::find(months, t.substr(0, 3)) == months.end() || t[3] != ' ' ||
      !(digit(t[4]) || t[4] == ' ') || !digit(t[5]) || t[6] != ' ' || !digit(t[7]) || !digit(t[8]) || t[9] != ':' ||
      !digit(t[10]) || !digit(t[11]) || t[12] != ':' || !digit(t[13]) || !digit(t[14]))
    return std::nullopt;
  r.rest.remove_prefix(15);
  r.eat(' ');
  return std::string(t);
}

void set_priority(json& fields, Severity& severity, std::optional<int> pri) {
  if (!pri) return;
  fields["priority"] = *pri;
  fields["facility"] = kFacilities[static_cast<std::size_t>(*pri / 8)];
  fields["level"] = kLevels[static_cast<std::size_t>(*pri % 8)];
  severity = severity_of(*pri % 8);
}

std::string_view without_bom(std::string_view msg) {
  return msg.starts_with("\xEF\xBB\xBF") ? msg.substr(3) : msg;
}

// A header field of RFC 5424: NILVALUE ("-") or 1..max printable ASCII characters.
std::expected<std::optional<std::string_view>, std::string> header_field(Reader& r, std::string_view name,
                                                                         std::size_t max) {
  if (r.rest.empty()) return Error("the line ends before " + std::string(name));
  const auto t = r.token();
  if (t.empty() || t.size() > max)
    return Error(std::string(name) + " is empty or longer than " + std::to_string(max) + " characters");
  if (!std::ranges::all_of(t, [](char c) { return c > 32 && c < 127; }))
    return Error(std::string(name) + " holds a character other than printable ASCII");
  if (t == "-") return std::nullopt;
  return t;
}

// [id param="value" …][…]: into `out` ({id: {param: value}}); r is left after it.
std::expected<void, std::string> structured_data(Reader& r, json& out) {
  if (r.eat('-')) return {};
  if (r.rest.empty() || r.rest.front() != '[') return Error("the structured data is neither - nor [ … ]");
  while (r.eat('[')) {
    auto name_end = r.rest.find_first_of(" ]");
    if (name_end == std::string_view::npos || name_end == 0) return Error("an SD-ID is missing or unterminated");
    json& element = out[std::string(r.rest.substr(0, name_end))] = json::object();
    r.rest.remove_prefix(name_end);
    while (r.eat(' ')) {
      const auto eq = r.rest.find("=\"");
      if (eq == std::string_view::npos || eq == 0) return Error("a structured-data parameter has no =\"value\"");
      const std::string param(r.rest.substr(0, eq));
      r.rest.remove_prefix(eq + 2);
      std::string value;
      for (;;) {
        if (r.rest.empty()) return Error("a structured-data value is not closed");
        const char c = r.rest.front();
        r.rest.remove_prefix(1);
        if (c == '"') break;
        if (c == '\\' && !r.rest.empty() && (r.rest.front() == '"' || r.rest.front() == '\\' || r.rest.front() == ']')) {
          value += r.rest.front();
          r.rest.remove_prefix(1);
        } else {
          value += c;
        }
      }
      element[param] = value;
    }
    if (!r.eat(']')) return Error("a structured-data element is not closed with ]");
  }
  return {};
}

std::expected<SyslogMessage, std::string> rfc5424(Reader r, int pri) {
  SyslogMessage m;
  set_priority(m.fields, m.severity, pri);
  m.fields["format"] = "rfc5424";
  m.fields["version"] = std::stoi(std::string(r.token()));
  if (r.rest.empty()) return Error("the line ends after the version");
  const auto timestamp = r.token();
  if (timestamp != "-") {
    if (!rfc3339(timestamp)) return Error("the timestamp is not RFC 3339");
    m.fields["timestamp"] = timestamp;
  }
  const std::array<std::tuple<const char*, const char*, std::size_t>, 4> header = {
      std::tuple{"host", "the host name", 255}, {"app", "the app name", 48}, {"pid", "the process id", 128},
      {"msgid", "the message id", 32}};
  for (const auto& [key, name, max] : header) {
    auto value = header_field(r, name, max);
    if (!value) return Error(value.error());
    if (*value) m.fields[key] = **value;
  }
  if (r.rest.empty()) return Error("the line ends before the structured data");
  json sd = json::object();
  if (auto parsed = structured_data(r, sd); !parsed) return Error(parsed.error());
  if (!sd.empty()) m.fields["structured_data"] = std::move(sd);
  if (!r.rest.empty() && !r.eat(' ')) return Error("no space after the structured data");
  m.fields["message"] = without_bom(r.rest);
  return m;
}

// TAG[PID]: — the program name and its pid, when the token is one.
bool read_tag(std::string_view token, json& fields) {
  if (token.size() < 2 || token.back() != ':') return false;
  token.remove_suffix(1);
  std::string_view pid;
  if (token.ends_with(']')) {
    const auto open = token.find('[');
    if (open == std::string_view::npos || open == 0) return false;
    pid = token.substr(open + 1, token.size() - open - 2);
    token = token.substr(0, open);
  }
  if (token.size() > 48 || !std::ranges::all_of(token, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/';
      }))
    return false;
  fields["app"] = token;
  if (!pid.empty()) fields["pid"] = pid;
  return true;
}

std::expected<SyslogMessage, std::string> rfc3164(Reader r, std::optional<int> pri) {
  SyslogMessage m;
  set_priority(m.fields, m.severity, pri);
  m.fields["format"] = "rfc3164";
  if (auto bsd = bsd_timestamp(r)) {
    m.fields["timestamp"] = *bsd;
  } else {
    // rsyslog's RFC 3339 variant, only after a PRI: a bare one starts RFC 5424's other fields.
    Reader ahead = r;
    const auto t = ahead.token();
    if (!pri || !rfc3339(t)) return Error("no timestamp (Mmm dd hh:mm:ss) where it should start");
    m.fields["timestamp"] = t;
    r = ahead;
  }
  // HOST, unless the first token is already the tag (a host name is often left out in files).
  Reader ahead = r;
  const auto first = ahead.token();
  if (first.empty()) return Error("the line ends after the timestamp");
  if (!read_tag(first, m.fields)) {
    m.fields["host"] = first;
    r = ahead;
    Reader tag = r;
    if (read_tag(tag.token(), m.fields)) r = tag;
  } else {
    r = ahead;
  }
  m.fields["message"] = without_bom(r.rest);
  return m;
}

}  // namespace

std::expected<SyslogMessage, std::string> parse_syslog(std::string_view line) {
  Reader r{line};
  auto pri = read_pri(r);
  if (!pri) return Error(pri.error());
  // VERSION: NONZERO-DIGIT 0*2DIGIT, then a space (or the end, which is an error then).
  const auto version = r.rest.substr(0, r.rest.find(' '));
  if (*pri && digits(version) && version.size() <= 3 && version.front() != '0')
    return rfc5424(r, **pri);
  return rfc3164(r, *pri);
}

}  // namespace chatops::ingestion::log
