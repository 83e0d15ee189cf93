#pragma once
// Fitting text into IRC's 512-byte lines (RFC 1459 §2.3, CR LF included) without breaking UTF-8.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chatops::irc {

// Splits one sanitised line (see sanitize.hpp) into chunks of at most `max_bytes` bytes. A cut
// goes at the last space within the budget, and that one space is dropped; a word longer than
// the budget is cut hard at a UTF-8 code point boundary. Never yields an empty chunk; an empty
// line yields none. `max_bytes` below 4 (one code point may take 4) is a bug: std::invalid_argument.
std::vector<std::string> split_message(std::string_view line, std::size_t max_bytes);

// The IRC lines `text` becomes: sanitised (to_lines in sanitize.hpp), each split to `width` bytes
// (at least 4), at most `max_lines` of them, and how many more there were.
struct FittedLines {
  std::vector<std::string> lines;
  std::size_t left_out = 0;
};
FittedLines fit_lines(std::string_view text, std::size_t width, std::size_t max_lines);

// Bytes left for the text of `COMMAND target :text` once the server has prepended
// ":own_prefix " for the recipients: 512 − CR LF − ":" own_prefix " " − command " " target " :".
// Returns 0 when nothing fits. `own_prefix` is "nick!user@host" as the server shows it (e.g. from
// our own JOIN echo or RPL_HOSTHIDDEN); until it is known, pass worst_case_prefix(nick).
std::size_t privmsg_budget(std::string_view command, std::string_view target, std::string_view own_prefix);

// A prefix at least as long as the real one: "nick!" + a 10-byte user (USERLEN on common ircds,
// '~' included) + "@" + a 63-byte host (HOSTLEN, the longest a server shows).
std::string worst_case_prefix(std::string_view nick);

}  // namespace chatops::irc
