#pragma once
// Shared by the IRC protocol tests: what a state machine sends, as the lines on the wire.
#include <string>
#include <vector>

#include "bot/irc/message.hpp"

namespace chatops::irc::test {

inline std::vector<std::string> lines(const std::vector<Message>& out) {
  std::vector<std::string> s;
  for (const auto& m : out) s.push_back(serialize(m));
  return s;
}

}  // namespace chatops::irc::test
