// Reading YAML and substituting ${NAME} / ${NAME:-default} from the environment.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/config/node.hpp"

namespace chatops::config {
namespace {

bool is_variable_name(std::string_view name) {
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) && std::ranges::all_of(name, is_word);
}

struct Resolved {
  std::string text;
  bool from_environment = false;  // false: the default written in the file
};

// One ${...} reference (without the braces). Never includes a variable's value in an error.
Result<Resolved> resolve(std::string_view reference) {
  const auto split = reference.find(":-");
  const std::string name(reference.substr(0, split));
  if (!is_variable_name(name)) return fail("invalid variable name \"" + name + "\" in ${...}");
  const char* value = std::getenv(name.c_str());
  if (split != std::string_view::npos && (!value || !*value)) return Resolved{std::string(reference.substr(split + 2))};
  if (!value) return fail("environment variable " + name + " is not set (write ${" + name + ":-default} for a default)");
  return Resolved{value, true};
}

// The text with its references replaced; `substitution` records what came from the environment.
Result<std::string> substitute(std::string_view text, detail::Substitution& substitution) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i).starts_with("$${")) {
      out += "${";
      i += 3;
    } else if (text.substr(i).starts_with("${")) {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) return fail("unterminated ${ (write $${ for a literal ${)");
      auto value = resolve(text.substr(i + 2, close - i - 2));
      if (!value) return std::unexpected(value.error());
      out += value->text;
      if (value->from_environment) substitution.values.emplace_back(text.substr(i, close + 1 - i), value->text);
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

struct Substituting {
  std::vector<std::string> errors;
  detail::Substitutions substitutions;
  std::vector<std::pair<YAML::Node, std::string>> done;  // scalars rewritten, and their paths

  // Rewrites scalar values in place (keeping their marks); keys are left alone.
  void all(const Node& node) {
    if (node.is_map()) {
      for (const std::string& key : node.keys()) all(node[key]);
    } else if (node.is_sequence()) {
      for (const Node& item : node.items()) all(item);
    } else if (node.is_scalar()) {
      scalar(node);
    }
  }

  void scalar(const Node& node) {
    // A YAML alias (*name) is the anchored node itself: rewritten once, remembered at each path.
    for (const auto& [yaml, path] : done)
      if (yaml.is(node.yaml())) {
        if (auto found = substitutions.find(path); found != substitutions.end())
          substitutions[node.path()] = detail::Substitution(found->second);
        return;
      }
    const std::string text = node.scalar();
    if (text.find("${") == std::string::npos) return;
    detail::Substitution substitution{text, {}};
    auto value = substitute(text, substitution);
    if (!value) {
      errors.push_back(node.error(value.error().message).message);
      return;
    }
    YAML::Node shared = node.yaml();
    shared = *value;
    done.emplace_back(node.yaml(), node.path());
    if (!substitution.values.empty()) substitutions[node.path()] = std::move(substitution);
  }
};

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(path + ": cannot read: " + std::strerror(errno));
  return text.str();
}

Result<Node> all_or_nothing(Result<LoadedDocument> loaded) {
  if (!loaded) return std::unexpected(loaded.error());
  if (loaded->problems.empty()) return loaded->root;
  std::string message;
  for (const std::string& line : loaded->problems) message += (message.empty() ? "" : "\n") + line;
  return fail(std::move(message));
}

}  // namespace

Result<LoadedDocument> load_document_string(const std::string& text, const std::string& file_name) {
  YAML::Node yaml;
  try {
    yaml = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail(file_name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  LoadedDocument loaded{Node(yaml, std::make_shared<const std::string>(file_name), ""), {}};
  Substituting substituting;
  substituting.all(loaded.root);
  loaded.problems = std::move(substituting.errors);
  loaded.root.substitutions_ = std::make_shared<const detail::Substitutions>(std::move(substituting.substitutions));
  return loaded;
}

Result<LoadedDocument> load_document(const std::string& path) {
  auto text = read_text(path);
  if (!text) return std::unexpected(text.error());
  return load_document_string(*text, path);
}

Result<Node> load_string(const std::string& text, const std::string& file_name) {
  return all_or_nothing(load_document_string(text, file_name));
}

Result<Node> load_file(const std::string& path) { return all_or_nothing(load_document(path)); }

}  // namespace chatops::config
