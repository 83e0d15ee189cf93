#include "core/text/casemap.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

std::optional<std::string> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (text::equal_folded(key, name, text::CaseMapping::Ascii)) return value;
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace chatops::ingestion::webhook
