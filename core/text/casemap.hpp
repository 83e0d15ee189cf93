#pragma once
// IRC case mapping (ISUPPORT CASEMAPPING): how nick and channel names compare case-insensitively.
#include <string>
#include <string_view>

namespace chatops::text {

enum class CaseMapping { Ascii, Rfc1459, StrictRfc1459 };

// "ascii", "rfc1459", "strict-rfc1459"; anything else (e.g. "rfc7613") falls back to rfc1459,
// which is what servers assume when they do not say.
CaseMapping parse_casemapping(std::string_view name);

constexpr char fold(char c, CaseMapping m) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  if (m == CaseMapping::Ascii) return c;
  if (c == '[') return '{';
  if (c == ']') return '}';
  if (c == '\\') return '|';
  if (c == '~' && m == CaseMapping::Rfc1459) return '^';
  return c;
}

std::string fold(std::string_view s, CaseMapping m);
bool equal_folded(std::string_view a, std::string_view b, CaseMapping m);

}  // namespace chatops::text
