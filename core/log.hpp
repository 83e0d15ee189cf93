#pragma once
// Process-wide logging (spdlog's default logger, to stderr) and redaction of secrets.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chatops::log {

// The level names init() accepts, from the most verbose: for a config field's one_of().
const std::vector<std::string>& level_names();

// Sets up the default logger; `level` is one of level_names() (anything else is a bug and throws
// std::logic_error). `json` writes one JSON object per line instead of text.
void init(std::string_view level, bool json = false);

// `text` with every occurrence of each non-empty secret replaced by "***".
std::string redact(std::string_view text, std::span<const std::string> secrets);

}  // namespace chatops::log
