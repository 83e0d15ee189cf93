#include "ingestion/api/headers.hpp"

#include <charconv>
#include <ctime>

#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::api {

namespace {

bool space(char c) { return c == ' ' || c == '\t'; }

void skip_space(std::string_view s, std::size_t& i) {
  while (i < s.size() && space(s[i])) ++i;
}

// A token or a quoted-string (with its backslash escapes) starting at i.
std::string param_value(std::string_view s, std::size_t& i) {
  std::string value;
  if (i < s.size() && s[i] == '"') {
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      value += s[i];
    }
    if (i < s.size()) ++i;  // the closing quote
    return value;
  }
  while (i < s.size() && !space(s[i]) && s[i] != ';' && s[i] != ',') value += s[i++];
  return value;
}

bool has_rel_next(std::string_view rels) {
  std::size_t i = 0;
  while (i < rels.size()) {
    while (i < rels.size() && space(rels[i])) ++i;
    const auto start = i;
    while (i < rels.size() && !space(rels[i])) ++i;
    if (payload::ascii_lower(rels.substr(start, i - start)) == "next") return true;
  }
  return false;
}

template <class T>
std::optional<T> whole_number(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  T n{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n < 0) return std::nullopt;
  return n;
}

}  // namespace

std::optional<std::string> link_next(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (space(s[i]) || s[i] == ',')) ++i;
    if (i >= s.size() || s[i] != '<') return std::nullopt;  // malformed: no guessing
    const auto close = s.find('>', i);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string target(s.substr(i + 1, close - i - 1));
    i = close + 1;
    bool next = false;
    for (skip_space(s, i); i < s.size() && s[i] == ';'; skip_space(s, i)) {
      ++i;
      skip_space(s, i);
      const auto name_start = i;
      while (i < s.size() && !space(s[i]) && s[i] != '=' && s[i] != ';' && s[i] != ',') ++i;
      const auto name = payload::ascii_lower(s.substr(name_start, i - name_start));
      skip_space(s, i);
      if (i >= s.size() || s[i] != '=') continue;
      ++i;
      skip_space(s, i);
      const auto value = param_value(s, i);
      if (name == "rel" && has_rel_next(value)) next = true;
    }
    if (next) return target;
    if (i < s.size() && s[i] != ',') return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  if (const auto seconds = whole_number<std::int64_t>(value)) return std::chrono::seconds(*seconds);
  // An IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(at - now));
}

std::optional<std::chrono::seconds> rate_limit_reset(std::string_view remaining, std::string_view reset,
                                                     std::chrono::system_clock::time_point now) {
  if (whole_number<std::int64_t>(remaining) != 0) return std::nullopt;
  const auto at = whole_number<std::int64_t>(reset);
  if (!at) return std::nullopt;
  const auto wait = std::chrono::seconds(*at) - std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  return std::max(std::chrono::seconds(0), wait);
}

}  // namespace chatops::ingestion::api
