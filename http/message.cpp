#include "http/message.hpp"

#include <http_parser.h>

#include "core/text/casemap.hpp"

namespace chatops::http {

std::optional<std::string> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (text::equal_folded(key, name, text::CaseMapping::Ascii)) return value;
  return std::nullopt;
}

Response Response::json(int status, std::string body) {
  return Response{status, "application/json", std::move(body), {}};
}

std::string_view reason_phrase(int status) {
  const char* phrase = http_status_str(static_cast<enum http_status>(status));
  return phrase && *phrase != '<' ? phrase : "Unknown";
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace chatops::http
