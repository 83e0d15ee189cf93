#include "ingestion/metric/statsd_parser.hpp"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <optional>

namespace chatops::ingestion::metric::statsd {

namespace {

// Printable ASCII and UTF-8 bytes; no controls, spaces or the protocol's separators.
bool clean(std::string_view s, std::string_view also_forbidden) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || also_forbidden.find(c) != std::string_view::npos) return false;
  }
  return true;
}

std::optional<double> number(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<Type> type_of(std::string_view t) {
  if (t == "c") return Type::Counter;
  if (t == "g") return Type::Gauge;
  if (t == "ms") return Type::Timer;
  if (t == "h" || t == "d") return Type::Histogram;
  if (t == "s") return Type::Set;
  return std::nullopt;
}

}  // namespace

std::expected<Line, std::string_view> parse_line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::unexpected("no ':' after the name");
  Line line;
  line.name = text.substr(0, colon);
  if (line.name.empty() || line.name.size() > kMaxName || !clean(line.name, "|#@"))
    return std::unexpected("the name is empty, too long, or holds a control character, space, | # or @");
  std::string_view rest = text.substr(colon + 1);
  std::vector<std::string_view> fields;
  for (std::size_t at = 0;;) {
    const auto bar = rest.find('|', at);
    fields.push_back(rest.substr(at, bar == std::string_view::npos ? std::string_view::npos : bar - at));
    if (bar == std::string_view::npos) break;
    at = bar + 1;
  }
  if (fields.size() < 2) return std::unexpected("no '|<type>' after the value");
  const auto type = type_of(fields[1]);
  if (!type) return std::unexpected("unknown type (c, g, ms, h, d or s)");
  line.type = *type;
  const auto value = fields[0];
  if (line.type == Type::Set) {
    if (value.empty() || value.size() > kMaxTag || !clean(value, "")) return std::unexpected("a set member is 1 to 256 printable characters");
    line.member = value;
  } else {
    const auto v = number(value);
    if (!v) return std::unexpected("the value is not a finite number");
    line.value = *v;
    line.delta = line.type == Type::Gauge && (value.starts_with('+') || value.starts_with('-'));
  }
  for (std::size_t i = 2; i < fields.size(); ++i) {
    const auto f = fields[i];
    if (f.starts_with('@')) {
      const auto rate = number(f.substr(1));
      if (!rate || *rate <= 0 || *rate > 1) return std::unexpected("the sample rate is not in (0, 1]");
      line.rate = *rate;
    } else if (f.starts_with('#')) {
      for (std::size_t at = 1; at <= f.size();) {
        const auto comma = std::min(f.find(',', at), f.size());
        const auto tag = f.substr(at, comma - at);
        at = comma + 1;
        if (tag.empty()) continue;
        if (tag.size() > kMaxTag || !clean(tag, "")) return std::unexpected("a tag is too long or holds a control character or space");
        if (line.tags.size() == kMaxTags) return std::unexpected("more than 32 tags");
        const auto sep = tag.find(':');
        if (sep == 0) return std::unexpected("a tag without a name");
        line.tags.emplace_back(tag.substr(0, sep), sep == std::string_view::npos ? "" : tag.substr(sep + 1));
      }
    } else if (!f.starts_with("c:") && !f.starts_with('T')) {
      return std::unexpected("an unknown field after the type");
    }
  }
  return line;
}

}  // namespace chatops::ingestion::metric::statsd
