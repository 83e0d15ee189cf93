// YAML files through yaml-cpp. Aliases are followed when converting, so the number of values
// converted is bounded (a "billion laughs" of nested aliases stops there), as is the nesting.
#include <yaml-cpp/yaml.h>

#include "ingestion/file/formats.hpp"

namespace chatops::ingestion::file {

namespace {

struct YamlLimitReached {
  std::string why;
};

// A plain scalar as YAML 1.2's core schema reads it: null, a boolean, a number, or a string;
// quoted scalars (tag "!") are strings.
nlohmann::json scalar_of(const YAML::Node& node) {
  const auto& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  try {
    std::size_t used = 0;
    const auto i = std::stoll(text, &used, 10);
    if (used == text.size()) return i;
    const auto d = std::stod(text, &used);
    if (used == text.size()) return d;
  } catch (const std::exception&) {
    // not a number
  }
  return text;
}

class Converter {
 public:
  explicit Converter(const ContentOptions& options) : options_(options) {}

  nlohmann::json convert(const YAML::Node& node, std::size_t depth) {
    if (++values_ > options_.values)
      throw YamlLimitReached{"more than " + std::to_string(options_.values) + " values (aliases included)"};
    if (depth > options_.depth) throw YamlLimitReached{"nested deeper than " + std::to_string(options_.depth)};
    switch (node.Type()) {
      case YAML::NodeType::Scalar: return scalar_of(node);
      case YAML::NodeType::Sequence: {
        auto out = nlohmann::json::array();
        for (const auto& item : node) out.push_back(convert(item, depth + 1));
        return out;
      }
      case YAML::NodeType::Map: {
        auto out = nlohmann::json::object();
        for (const auto& item : node) {
          const auto key = item.first.IsScalar() ? item.first.Scalar() : YAML::Dump(item.first);
          out[key] = convert(item.second, depth + 1);
        }
        return out;
      }
      default: return nullptr;
    }
  }

 private:
  const ContentOptions& options_;
  std::size_t values_ = 0;
};

}  // namespace

Content parse_yaml_content(const std::string& text, const ContentOptions& options) {
  try {
    const auto root = YAML::Load(text);
    return Converter(options).convert(root, 0);
  } catch (const YAML::Exception& e) {
    return std::unexpected(ParseError{static_cast<std::size_t>(e.mark.line + 1), "malformed YAML: " + e.msg});
  } catch (const YamlLimitReached& e) {
    return std::unexpected(ParseError{0, "YAML refused: " + e.why});
  }
}

}  // namespace chatops::ingestion::file
