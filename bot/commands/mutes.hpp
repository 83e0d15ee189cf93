#pragma once
// Channels and sources muted from IRC (`!mute #ops 30m`, `!mute github`). While a channel is
// muted nothing from the journal is said there; while a source is muted its events are not said
// anywhere. Either way the events wait in the journal and are said (coalesced when many) once the
// mute ends. A mute without a duration lasts until `!unmute`.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/casemap.hpp"

namespace chatops::bot {

enum class MuteKind { Channel, Source };

struct Mute {
  MuteKind kind = MuteKind::Channel;
  std::string name;
  std::optional<std::chrono::system_clock::time_point> until;  // nullopt: until unmuted
  std::string by;                                               // who muted it
};

class Mutes {
 public:
  // Adds or replaces (a second mute of the same thing sets its new end).
  void add(Mute mute, text::CaseMapping mapping);
  // The mute removed, if there was one.
  std::optional<Mute> remove(MuteKind kind, std::string_view name, text::CaseMapping mapping);
  bool channel_muted(std::string_view channel, text::CaseMapping mapping) const;
  bool source_muted(std::string_view source) const;
  // Removes and returns the mutes that ended at `now`.
  std::vector<Mute> expire(std::chrono::system_clock::time_point now);
  std::optional<std::chrono::system_clock::time_point> next_end() const;
  const std::vector<Mute>& all() const { return mutes_; }

 private:
  std::vector<Mute>::iterator find(MuteKind kind, std::string_view name, text::CaseMapping mapping);

  std::vector<Mute> mutes_;  // few: a linear scan is the fastest lookup
};

// "30s", "10m", "2h", "1d": a mute's duration. Errors name the text.
std::optional<std::chrono::seconds> parse_mute_duration(std::string_view text);
// "2h 5m", "45s": a duration as the channel is told it.
std::string duration_text(std::chrono::seconds d);

}  // namespace chatops::bot
