#include "core/text/casemap.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

std::optional<std::string> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (text::equal_folded(key, name, text::CaseMapping::Ascii)) return value;
  return std::nullopt;
}

}  // namespace chatops::ingestion::webhook
