#include "core/text/casemap.hpp"

namespace chatops::text {

CaseMapping parse_casemapping(std::string_view name) {
  if (name == "ascii") return CaseMapping::Ascii;
  if (name == "strict-rfc1459") return CaseMapping::StrictRfc1459;
  return CaseMapping::Rfc1459;
}

std::string fold(std::string_view s, CaseMapping m) {
  std::string out(s);
  for (char& c : out) c = fold(c, m);
  return out;
}

bool equal_folded(std::string_view a, std::string_view b, CaseMapping m) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i], m) != fold(b[i], m)) return false;
  return true;
}

}  // namespace chatops::text
