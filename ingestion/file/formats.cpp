#include "ingestion/file/formats.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/modules/module_loader.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::file {

namespace {

constexpr std::array<std::pair<std::string_view, Format>, 5> kNames = {
    {{"json", Format::Json}, {"yaml", Format::Yaml}, {"csv", Format::Csv}, {"xml", Format::Xml}, {"text", Format::Text}}};

// nlohmann's messages say "at line N, column M": the line, for the error's own field.
std::size_t line_in_message(std::string_view message) {
  const auto at = message.find("at line ");
  if (at == std::string_view::npos) return 0;
  std::size_t line = 0;
  for (auto i = at + 8; i < message.size() && message[i] >= '0' && message[i] <= '9'; ++i)
    line = line * 10 + static_cast<std::size_t>(message[i] - '0');
  return line;
}

}  // namespace

std::string_view to_string(Format f) {
  for (const auto& [name, format] : kNames)
    if (format == f) return name;
  return "text";
}

std::optional<Format> format_named(std::string_view name) {
  for (const auto& [n, format] : kNames)
    if (n == name) return format;
  return std::nullopt;
}

Format format_of_path(std::string_view path) {
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return Format::Text;
  const auto extension = payload::ascii_lower(path.substr(dot + 1));
  if (extension == "yml") return Format::Yaml;
  const auto named = format_named(extension);
  return named && *named != Format::Text ? *named : Format::Text;
}

std::size_t line_at(std::string_view text, std::size_t offset) {
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + std::min(offset, text.size()), '\n'));
}

Content parse_json_content(const std::string& text, const ContentOptions&) {
  auto doc = payload::parse_json(text);  // bounded: simdjson refuses nesting deeper than kMaxJsonDepth
  if (!doc) return std::unexpected(ParseError{line_in_message(doc.error()), doc.error()});
  return payload::to_json(doc->root());
}

Result<const XmlModule*> load_xml_module() { return modules::load<XmlModule>("xml"); }

Content parse_content(const std::string& text, Format format, const ContentOptions& options) {
  switch (format) {
    case Format::Json: return parse_json_content(text, options);
    case Format::Yaml: return parse_yaml_content(text, options);
    case Format::Csv: return parse_csv_content(text, options);
    case Format::Xml: {
      auto xml = load_xml_module();
      if (!xml) return std::unexpected(ParseError{0, xml.error().message});
      return (*xml)->parse(text, options);
    }
    case Format::Text: break;
  }
  return nlohmann::json(text);
}

}  // namespace chatops::ingestion::file
