#pragma once
// Certificate pinning: a server certificate matches a pin when the SHA-256 of its DER encoding,
// or of its public key (SubjectPublicKeyInfo), is one of the pins (lowercase hex).
#include <string>
#include <string_view>
#include <vector>

namespace chatops::irc {

// `der`: the certificate, DER-encoded. False for anything that does not parse.
bool matches_pin(std::string_view der, const std::vector<std::string>& pins);

}  // namespace chatops::irc
