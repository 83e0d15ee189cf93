#pragma once
// "Did you mean …": the known word closest to a mistyped one.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatops::text {

// Levenshtein distance (insertions, deletions, substitutions).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate within `max_distance` edits of `word` (the closest; the first of equals), if any.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates,
                                   std::size_t max_distance = 2);

// " (did you mean \"x\"?)" for the closest candidate, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace chatops::text
