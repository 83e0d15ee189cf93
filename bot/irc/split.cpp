#include "bot/irc/split.hpp"

#include <stdexcept>

#include "bot/irc/sanitize.hpp"
#include "core/text/utf8.hpp"

namespace chatops::irc {

std::vector<std::string> split_message(std::string_view line, std::size_t max_bytes) {
  if (max_bytes < 4) throw std::invalid_argument("split_message: budget below one UTF-8 code point");
  std::vector<std::string> chunks;
  std::size_t pos = 0;
  while (line.size() - pos > max_bytes) {
    const auto end = pos + max_bytes;  // first byte that does not fit
    // A space at `end` itself is fine: it is the one dropped at the cut.
    if (const auto space = line.rfind(' ', end); space != std::string_view::npos && space > pos) {
      chunks.emplace_back(line.substr(pos, space - pos));
      pos = space + 1;
      continue;
    }
    auto cut = end;
    // A code point is at most 4 bytes, so at most 3 continuation bytes to back over; ill-formed
    // input (not from to_lines) may have longer runs and is then cut at the budget.
    for (int i = 0; i < 3 && cut > pos + 1 && text::is_continuation_byte(line[cut]); ++i) --cut;
    if (text::is_continuation_byte(line[cut])) cut = end;
    chunks.emplace_back(line.substr(pos, cut - pos));
    pos = cut;
  }
  if (pos < line.size()) chunks.emplace_back(line.substr(pos));
  return chunks;
}

FittedLines fit_lines(std::string_view text, std::size_t width, std::size_t max_lines) {
  FittedLines out;
  for (const auto& line : to_lines(text))
    for (auto& piece : split_message(line, width)) {
      if (out.lines.size() < max_lines)
        out.lines.push_back(std::move(piece));
      else
        ++out.left_out;
    }
  return out;
}

std::size_t privmsg_budget(std::string_view command, std::string_view target, std::string_view own_prefix) {
  const std::size_t used = 2 + (1 + own_prefix.size() + 1) + (command.size() + 1 + target.size() + 2);
  return used >= 512 ? 0 : 512 - used;
}

std::string worst_case_prefix(std::string_view nick) {
  return std::string(nick) + "!" + std::string(10, 'u') + "@" + std::string(63, 'h');
}

}  // namespace chatops::irc
