#include "bot/commands/mutes.hpp"

#include <algorithm>
#include <charconv>

namespace chatops::bot {

std::vector<Mute>::iterator Mutes::find(MuteKind kind, std::string_view name, text::CaseMapping mapping) {
  return std::find_if(mutes_.begin(), mutes_.end(), [&](const Mute& m) {
    // Channels compare under the server's casemapping; source names as configured.
    return m.kind == kind && (kind == MuteKind::Channel ? text::equal_folded(m.name, name, mapping) : m.name == name);
  });
}

void Mutes::add(Mute mute, text::CaseMapping mapping) {
  if (auto it = find(mute.kind, mute.name, mapping); it != mutes_.end()) *it = std::move(mute);
  else mutes_.push_back(std::move(mute));
}

std::optional<Mute> Mutes::remove(MuteKind kind, std::string_view name, text::CaseMapping mapping) {
  const auto it = find(kind, name, mapping);
  if (it == mutes_.end()) return std::nullopt;
  Mute removed = std::move(*it);
  mutes_.erase(it);
  return removed;
}

bool Mutes::channel_muted(std::string_view channel, text::CaseMapping mapping) const {
  return std::ranges::any_of(mutes_, [&](const Mute& m) {
    return m.kind == MuteKind::Channel && text::equal_folded(m.name, channel, mapping);
  });
}

bool Mutes::source_muted(std::string_view source) const {
  return std::ranges::any_of(mutes_, [&](const Mute& m) { return m.kind == MuteKind::Source && m.name == source; });
}

std::vector<Mute> Mutes::expire(std::chrono::system_clock::time_point now) {
  std::vector<Mute> ended;
  std::erase_if(mutes_, [&](Mute& m) {
    if (!m.until || *m.until > now) return false;
    ended.push_back(std::move(m));
    return true;
  });
  return ended;
}

std::optional<std::chrono::system_clock::time_point> Mutes::next_end() const {
  std::optional<std::chrono::system_clock::time_point> next;
  for (const auto& m : mutes_)
    if (m.until && (!next || *m.until < *next)) next = m.until;
  return next;
}

std::optional<std::chrono::seconds> parse_mute_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  long long count = 0;
  const auto* end = text.data() + text.size() - 1;
  const auto [ptr, ec] = std::from_chars(text.data(), end, count);
  if (ec != std::errc{} || ptr != end || count <= 0) return std::nullopt;
  long long unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  constexpr long long kMaxSeconds = 366LL * 86400;  // a year: longer is a typo
  if (count > kMaxSeconds / unit) return std::nullopt;
  return std::chrono::seconds(count * unit);
}

std::string duration_text(std::chrono::seconds d) {
  auto s = d.count();
  if (s < 0) s = 0;
  const long long days = s / 86400, hours = s % 86400 / 3600, minutes = s % 3600 / 60, seconds = s % 60;
  std::string out;
  const auto part = [&out](long long n, const char* unit) {
    if (n) out += (out.empty() ? "" : " ") + std::to_string(n) + unit;
  };
  part(days, "d");
  part(hours, "h");
  if (!days) part(minutes, "m");
  if (!days && !hours) part(seconds, "s");
  return out.empty() ? "0s" : out;
}

}  // namespace chatops::bot
