#pragma once
// Helpers shared by the files of core/config (not part of its interface).
#include <string>
#include <string_view>

#include "core/config/schema.hpp"

namespace chatops::config {

// Dotted paths of nodes: "irc.servers[0].port".
inline std::string child_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

inline std::string item_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

// "a.b[1]" → "a.b" → "a" → "".
inline std::string_view parent_path(std::string_view path) {
  const auto cut = path.find_last_of(".[");
  return cut == std::string_view::npos ? std::string_view() : path.substr(0, cut);
}

// "between 1s and 3600s", "at least 1024 bytes": range() of a field holding `kind` values.
std::string bounds_text(const Field& field, Kind kind);

// For the references (Markdown and man page): "integer", "list of maps", "list of strings"…
std::string type_of(const Field& field);
// What a reference says about a field after its doc: choices, bounds, shorthand, example, each a
// sentence; `code` marks up a literal (`x` in Markdown, bold in a man page).
std::string field_notes(const Field& field, std::string (*code)(std::string_view));

}  // namespace chatops::config
