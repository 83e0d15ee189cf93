#pragma once
// Which lines a log source says, and under which topic: `exclude:` patterns drop a line, and
// `match:` (name → RE2 pattern) keeps only the lines one of them finds, the first declared naming
// the topic. Each set is one RE2::Set, so a hundred patterns cost about one pass over the line.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/set.h>

#include "core/config/node.hpp"

namespace chatops::ingestion::log {

class LineFilter {
 public:
  // From a validated log source (match, exclude); errors name the pattern.
  static Result<LineFilter> from_config(const config::Node& validated);

  // The topic's last part for `line` ("line" without match:; "unmatched" for a line no match:
  // pattern finds, with unmatched: event), or nullopt when it is not said.
  std::optional<std::string_view> topic_of(std::string_view line) const;

 private:
  std::shared_ptr<RE2::Set> match_, exclude_;
  std::vector<std::string> names_;  // of match:'s patterns, by index
  bool unmatched_events_ = false;
};

}  // namespace chatops::ingestion::log
