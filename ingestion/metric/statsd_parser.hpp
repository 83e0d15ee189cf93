#pragma once
// StatsD's line protocol, with DogStatsD's tags: `<name>:<value>|<type>[|@<rate>][|#<tag>[:<v>],…]`,
// one metric per line (a datagram or a TCP stream holds several, separated by \n). Types: c
// (counter), g (gauge; a leading + or - is a change, not a value), ms (timer), h (histogram),
// d (distribution, as a histogram), s (set: the value is a member, any text). DogStatsD's other
// fields (|c:<container>, |T<timestamp>) are accepted and ignored. Nothing is copied: views into
// the line.
#include <expected>
#include <string_view>
#include <utility>
#include <vector>

namespace chatops::ingestion::metric::statsd {

enum class Type { Counter, Gauge, Timer, Histogram, Set };

struct Line {
  std::string_view name;
  Type type = Type::Counter;
  double value = 0;            // every type but sets
  std::string_view member;     // sets
  bool delta = false;          // a gauge's +/- change
  double rate = 1;             // sample rate, (0, 1]
  std::vector<std::pair<std::string_view, std::string_view>> tags;  // a tag without ':' has value ""
};

// Longest metric name, tag and line accepted.
inline constexpr std::size_t kMaxName = 256, kMaxTag = 256, kMaxTags = 32;

// One line (without its \n); the error says what is wrong.
std::expected<Line, std::string_view> parse_line(std::string_view line);

}  // namespace chatops::ingestion::metric::statsd
