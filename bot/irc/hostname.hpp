#pragma once
#include <string_view>

namespace chatops::irc {

// Whether `host` is acceptable as an IRC server or client hostname: LDH labels of 1–63 bytes
// not starting or ending with '-', at most 253 bytes, and at least one dot ("services." is fine,
// a bare "localhost" is not). Internationalised names must already be punycode (xn--…).
bool valid_hostname(std::string_view host);

}  // namespace chatops::irc
