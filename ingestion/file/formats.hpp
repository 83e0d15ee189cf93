#pragma once
// What a watched file holds, as JSON: JSON and YAML documents, CSV with a header row (an array of
// row objects), XML (an object per element: attributes as "@name", text as "#text", repeated child
// elements as lists) and plain text (a string). Every parser faces hostile files: nesting and the
// number of values are bounded, entities are never expanded, and a malformed file gives an error
// with its line, never an exception.
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace chatops::ingestion::file {

enum class Format { Json, Yaml, Csv, Xml, Text };

std::string_view to_string(Format f);
std::optional<Format> format_named(std::string_view name);  // json, yaml, csv, xml, text
// By extension (.json, .yaml/.yml, .csv, .xml; case-insensitive), plain text otherwise.
Format format_of_path(std::string_view path);

struct ContentOptions {
  std::size_t depth = 128;      // nesting of objects and lists
  std::size_t values = 100000;  // values in one file (elements, rows × columns, YAML nodes)
  char csv_delimiter = ',';
};

struct ParseError {
  std::size_t line = 0;  // 1-based; 0 when not known
  std::string message;
};

using Content = std::expected<nlohmann::json, ParseError>;

Content parse_content(const std::string& text, Format format, const ContentOptions& options);

// One parser each (formats.cpp dispatches).
Content parse_json_content(const std::string& text, const ContentOptions& options);
Content parse_yaml_content(const std::string& text, const ContentOptions& options);
Content parse_csv_content(const std::string& text, const ContentOptions& options);

// XML is read by pugixml, from the xml module (chatops-xml.so, xml_content.cpp): loaded by a file
// source that may read XML (format auto or xml), so that other bots do not map pugixml.
struct XmlModule {
  Content (*parse)(const std::string& text, const ContentOptions& options);
};
Result<const XmlModule*> load_xml_module();

// The line of byte `offset` in `text` (1-based).
std::size_t line_at(std::string_view text, std::size_t offset);

}  // namespace chatops::ingestion::file
