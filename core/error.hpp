#pragma once
// Errors as values: every expected failure (parsing, I/O, validation) is returned, not thrown.
#include <expected>
#include <string>
#include <utility>

namespace chatops {

struct Error {
  std::string message;  // says what and where, e.g. "config.yml:12:5: irc.nick: expected a string"
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) { return std::unexpected(Error{std::move(message)}); }

}  // namespace chatops
