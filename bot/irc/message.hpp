#pragma once
// IRC message codec: RFC 1459/2812 lines with IRCv3 message-tags.
//   @tag1=value;tag2 :nick!user@host COMMAND param1 param2 :trailing parameter
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace chatops::irc {

struct Prefix {
  std::string nick;
  std::string user;  // empty when absent
  std::string host;  // empty when absent
};
// Splits "nick!user@host" (any part after nick may be missing).
Prefix split_prefix(std::string_view source);

struct Message {
  std::vector<std::pair<std::string, std::string>> tags;  // values unescaped; "" for a valueless tag
  std::string source;                                      // prefix without ':', "" when absent
  std::string command;                                     // e.g. "PRIVMSG", "001"
  std::vector<std::string> params;                         // the trailing parameter is the last one

  std::optional<std::string> tag(std::string_view key) const;
  // The i-th parameter, or "" when there are fewer.
  const std::string& param(std::size_t i) const;
  Prefix prefix() const { return split_prefix(source); }
};

// Parses one line, without its CR LF. Errors say what is wrong and at which byte offset.
// Tolerates runs of spaces between atoms (RFC 1459); a repeated tag key keeps its last value.
Result<Message> parse(std::string_view line);

// Serialises without CR LF. Uses the ':' trailing form for the last parameter when it is empty,
// contains a space or starts with ':'. Does not sanitise: callers build messages from sanitised
// text (see sanitize.hpp); parameters containing CR, LF or NUL are a bug (std::invalid_argument).
std::string serialize(const Message& message);

std::string escape_tag_value(std::string_view value);
std::string unescape_tag_value(std::string_view value);

}  // namespace chatops::irc
