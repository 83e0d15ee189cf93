// XML files through pugixml, which never expands entities a document declares (no "billion
// laughs") nor fetches external ones. An element becomes an object: its attributes as "@name",
// its text as "#text", its child elements by name, a name repeated becoming a list; an element
// with only text becomes that text. Nesting and the number of values are bounded.
#include <pugixml.hpp>

#include <set>

#include "ingestion/file/formats.hpp"

namespace chatops::ingestion::file {

namespace {

struct XmlLimitReached {
  std::string why;
};

class XmlConverter {
 public:
  explicit XmlConverter(const ContentOptions& options) : options_(options) {}

  nlohmann::json element(const pugi::xml_node& node, std::size_t depth) {
    if (depth > options_.depth) throw XmlLimitReached{"nested deeper than " + std::to_string(options_.depth)};
    auto out = nlohmann::json::object();
    for (const auto& attribute : node.attributes()) {
      count();
      out[std::string("@") + attribute.name()] = attribute.value();
    }
    std::string text;
    std::set<std::string> repeated;  // names whose values are already a list of repeated elements
    for (const auto& child : node.children()) {
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        text += child.value();
        continue;
      }
      if (child.type() != pugi::node_element) continue;
      count();
      auto value = element(child, depth + 1);
      auto& slot = out[child.name()];
      if (slot.is_null()) slot = std::move(value);
      else if (repeated.contains(child.name())) slot.push_back(std::move(value));
      else {
        slot = nlohmann::json::array({std::move(slot), std::move(value)});
        repeated.insert(child.name());
      }
    }
    if (out.empty()) return text;
    if (!text.empty()) out["#text"] = text;
    return out;
  }

 private:
  void count() {
    if (++values_ > options_.values) throw XmlLimitReached{"more than " + std::to_string(options_.values) + " values"};
  }

  const ContentOptions& options_;
  std::size_t values_ = 0;
};

Content parse_xml_content(const std::string& text, const ContentOptions& options) {
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed)
    return std::unexpected(ParseError{line_at(text, static_cast<std::size_t>(parsed.offset)),
                                      std::string("malformed XML: ") + parsed.description()});
  const auto root = doc.document_element();
  if (!root) return std::unexpected(ParseError{1, "malformed XML: no root element"});
  try {
    auto out = nlohmann::json::object();
    out[root.name()] = XmlConverter(options).element(root, 1);
    return out;
  } catch (const XmlLimitReached& e) {
    return std::unexpected(ParseError{0, "XML refused: " + e.why});
  }
}

}  // namespace
}  // namespace chatops::ingestion::file

extern "C" const chatops::ingestion::file::XmlModule* chatops_module_xml() {
  static const chatops::ingestion::file::XmlModule module{chatops::ingestion::file::parse_xml_content};
  return &module;
}
