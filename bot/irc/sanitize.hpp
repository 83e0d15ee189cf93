#pragma once
// Turns untrusted text (payload fields, log lines, rendered templates) into text that is safe to
// put in an IRC parameter: nothing that reaches the server can end the line or start a command.
#include <string>
#include <string_view>
#include <vector>

namespace chatops::irc {

// Splits on CR LF, LF or a lone CR into lines; in each line drops NUL, DEL and the other C0
// controls (CTCP's \x01 included) except TAB (becomes a space) and the mIRC formatting codes
// \x02 \x03 \x0F \x11 \x16 \x1D \x1E \x1F; replaces ill-formed UTF-8 with U+FFFD; drops lines left
// empty. Lines are not length-limited: see split.hpp.
std::vector<std::string> to_lines(std::string_view text);

// For single-token parameters (targets, channel keys): removes spaces, all C0 controls and DEL,
// and leading ':' (which would turn the parameter into a trailing one). Commas are kept: "#a,#b"
// is a legitimate target list. The result may be empty; callers must refuse an empty parameter.
std::string sanitize_param(std::string_view text);

}  // namespace chatops::irc
