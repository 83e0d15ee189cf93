#include "bot/irc/sanitize.hpp"

#include "core/text/utf8.hpp"

namespace chatops::irc {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool is_formatting(char c) {
  switch (c) {
    case '\x02': case '\x03': case '\x0F': case '\x11': case '\x16': case '\x1D': case '\x1E': case '\x1F':
      return true;
    default:
      return false;
  }
}

std::string clean_line(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  while (!line.empty()) {
    const auto seq = text::next_sequence(line);
    const char c = line[0];
    if (!seq.valid)
      out += text::replacement_character;
    else if (c == '\t')
      out += ' ';
    else if (!is_control(static_cast<unsigned char>(c)) || is_formatting(c))
      out += line.substr(0, seq.length);
    line.remove_prefix(seq.length);
  }
  return out;
}

}  // namespace

std::vector<std::string> to_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto end = text.find_first_of("\r\n");
    if (end == std::string_view::npos) end = text.size();
    if (auto line = clean_line(text.substr(0, end)); !line.empty()) lines.push_back(std::move(line));
    // CR LF is one break; a lone CR or LF is one too.
    const auto skip = text.substr(end).starts_with("\r\n") ? 2 : (end < text.size() ? 1 : 0);
    text.remove_prefix(end + skip);
  }
  return lines;
}

std::string sanitize_param(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == ' ' || is_control(static_cast<unsigned char>(c))) continue;
    if (c == ':' && out.empty()) continue;
    out += c;
  }
  return out;
}

}  // namespace chatops::irc
