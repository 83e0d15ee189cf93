#pragma once
// The version `chatops-bot --version` prints: `git describe` of the source tree when it was built
// (cmake/version.cmake), e.g. "1.2.0", "1.2.0-4-gabcdef0", or "0.1.0-gabcdef0-dirty" before the
// first release tag. Linked into the chatops-bot executable only, so a new commit relinks nothing else.
#include <string_view>

namespace chatops::bot {

std::string_view version();

}  // namespace chatops::bot
