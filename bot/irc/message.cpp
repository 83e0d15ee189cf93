#include "bot/irc/message.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>
#include <unordered_set>

namespace chatops::irc {
namespace {

bool is_command_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// RFC 1459: atoms are separated by one or more spaces; servers do send runs of them.
std::size_t skip_spaces(std::string_view line, std::size_t pos) {
  while (pos < line.size() && line[pos] == ' ') ++pos;
  return pos;
}

std::size_t token_end(std::string_view line, std::size_t pos) {
  const auto end = line.find(' ', pos);
  return end == std::string_view::npos ? line.size() : end;
}

void parse_tags(std::string_view tags, Message& m) {
  struct Item {
    std::string_view key, value;
  };
  std::vector<Item> items;
  std::size_t pos = 0;
  while (pos <= tags.size()) {
    auto end = tags.find(';', pos);
    if (end == std::string_view::npos) end = tags.size();
    const auto item = tags.substr(pos, end - pos);
    const auto eq = item.find('=');
    // An empty item ("@a;;b") carries nothing; tolerating it costs nothing.
    if (eq != 0 && !item.empty())
      items.push_back({item.substr(0, eq), eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1)});
    pos = end + 1;
  }
  // Duplicate keys: the message-tags spec says the last occurrence wins. A set keeps this linear
  // in the number of tags, which the server (not us) decides.
  std::unordered_set<std::string_view> seen;
  for (auto it = items.rbegin(); it != items.rend(); ++it)
    if (seen.insert(it->key).second) m.tags.emplace_back(std::string(it->key), unescape_tag_value(it->value));
  std::reverse(m.tags.begin(), m.tags.end());
}

// Writing these would end the line early or smuggle in another command.
void require_clean(std::string_view what, std::string_view s) {
  if (s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    throw std::invalid_argument(fmt::format("IRC {} contains CR, LF or NUL", what));
}

void require_token(std::string_view what, std::string_view s) {
  require_clean(what, s);
  if (s.empty() || s.find(' ') != std::string_view::npos)
    throw std::invalid_argument(fmt::format("IRC {} must be a non-empty token without spaces", what));
}

}  // namespace

Prefix split_prefix(std::string_view source) {
  Prefix p;
  const auto at = source.find('@');
  const auto bang = source.substr(0, at).find('!');
  const auto nick_end = std::min(bang, at);
  p.nick = std::string(source.substr(0, nick_end));
  if (bang != std::string_view::npos) p.user = std::string(source.substr(bang + 1, at - bang - 1));
  if (at != std::string_view::npos) p.host = std::string(source.substr(at + 1));
  return p;
}

std::optional<std::string> Message::tag(std::string_view key) const {
  for (const auto& [k, v] : tags)
    if (k == key) return v;
  return std::nullopt;
}

const std::string& Message::param(std::size_t i) const {
  static const std::string empty;
  return i < params.size() ? params[i] : empty;
}

Result<Message> parse(std::string_view line) {
  if (const auto bad = line.find_first_of(std::string_view("\r\n\0", 3)); bad != std::string_view::npos)
    return fail(fmt::format("IRC line: CR, LF or NUL at byte {}", bad));

  Message m;
  std::size_t pos = 0;
  if (pos < line.size() && line[pos] == '@') {
    const auto end = token_end(line, pos);
    if (end == line.size()) return fail(fmt::format("IRC line: tags not followed by a command at byte {}", end));
    parse_tags(line.substr(pos + 1, end - pos - 1), m);
    pos = skip_spaces(line, end);
  }
  if (pos < line.size() && line[pos] == ':') {
    const auto end = token_end(line, pos);
    if (end == pos + 1) return fail(fmt::format("IRC line: empty source at byte {}", pos));
    m.source = std::string(line.substr(pos + 1, end - pos - 1));
    pos = skip_spaces(line, end);
  }

  const auto command_end = token_end(line, pos);
  if (command_end == pos) return fail(fmt::format("IRC line: missing command at byte {}", pos));
  for (auto i = pos; i < command_end; ++i)
    if (!is_command_char(line[i])) return fail(fmt::format("IRC line: invalid character in command at byte {}", i));
  m.command = std::string(line.substr(pos, command_end - pos));
  pos = command_end;

  while ((pos = skip_spaces(line, pos)) < line.size()) {
    if (line[pos] == ':') {
      m.params.emplace_back(line.substr(pos + 1));
      break;
    }
    const auto end = token_end(line, pos);
    m.params.emplace_back(line.substr(pos, end - pos));
    pos = end;
  }
  return m;
}

std::string serialize(const Message& message) {
  std::string out;
  if (!message.tags.empty()) {
    out += '@';
    for (std::size_t i = 0; i < message.tags.size(); ++i) {
      const auto& [key, value] = message.tags[i];
      require_token("tag key", key);
      if (key.find_first_of(";=") != std::string::npos)
        throw std::invalid_argument("IRC tag key contains ';' or '='");
      if (i > 0) out += ';';
      out += key;
      // A valueless tag stays valueless: "k" and "k=" mean the same, "k" is shorter.
      if (!value.empty()) {
        out += '=';
        out += escape_tag_value(value);
      }
    }
    require_clean("tag value", out);
    out += ' ';
  }
  if (!message.source.empty()) {
    require_token("source", message.source);
    out += ':';
    out += message.source;
    out += ' ';
  }
  require_token("command", message.command);
  out += message.command;
  for (std::size_t i = 0; i < message.params.size(); ++i) {
    const auto& p = message.params[i];
    require_clean("parameter", p);
    out += ' ';
    if (p.empty() || p.front() == ':' || p.find(' ') != std::string::npos) {
      if (i + 1 != message.params.size())
        throw std::invalid_argument("IRC middle parameter is empty, starts with ':' or contains a space");
      out += ':';
    }
    out += p;
  }
  return out;
}

std::string escape_tag_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case ';': out += "\\:"; break;
      case ' ': out += "\\s"; break;
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string unescape_tag_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out += value[i];
      continue;
    }
    if (++i == value.size()) break;  // a lone trailing backslash is dropped
    switch (value[i]) {
      case ':': out += ';'; break;
      case 's': out += ' '; break;
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      default: out += value[i];  // "\\" → "\", and an unknown escape drops the backslash
    }
  }
  return out;
}

}  // namespace chatops::irc
