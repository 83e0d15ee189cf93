#pragma once
// UTF-8 well-formedness (Unicode 15, table 3-7): no overlongs, no surrogates, nothing above U+10FFFF.
#include <cstddef>
#include <string>
#include <string_view>

namespace chatops::text {

struct Utf8Sequence {
  std::size_t length;  // bytes of the sequence, or of the maximal ill-formed subpart (always ≥ 1)
  bool valid;
};

// The sequence at the start of `s` (which must not be empty). An ill-formed one reports the
// maximal subpart that Unicode recommends replacing with a single U+FFFD.
Utf8Sequence next_sequence(std::string_view s);

constexpr bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

// `text` cut to at most `max_bytes` bytes at a code point boundary, with "…" appended when cut.
std::string shortened(std::string_view text, std::size_t max_bytes);

}  // namespace chatops::text
