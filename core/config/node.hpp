#pragma once
// A configuration document loaded from YAML, and validated views of it.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/schema.hpp"
#include "core/error.hpp"

namespace chatops::config {

// A node of a loaded document, remembering the file it came from so that every message about
// it can say file:line:column.
class Node {
 public:
  Node() = default;
  Node(YAML::Node yaml, std::shared_ptr<const std::string> file, std::string path);

  // "config.yml:12:5" (the nearest known position for defaults filled in by validation).
  std::string where() const;
  // Dotted path from the root, e.g. "irc.servers[0].port".
  const std::string& path() const { return path_; }
  // "config.yml:12:5: irc.servers[0].port: <what>"
  Error error(std::string_view what) const;

  bool has(std::string_view key) const;  // present and not null
  Node operator[](std::string_view key) const;  // child (may be undefined: check has())
  std::vector<Node> items() const;              // children of a sequence
  std::vector<std::string> keys() const;        // keys of a map, in document order

  // Typed getters. After validation against a schema, they cannot fail for declared keys; on a
  // key the schema does not declare, or a type mismatch, they throw std::logic_error (a bug).
  std::string str(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  double number(std::string_view key) const;
  bool boolean(std::string_view key) const;
  std::chrono::milliseconds duration(std::string_view key) const;
  std::uint64_t size(std::string_view key) const;
  std::vector<std::string> strings(std::string_view key) const;
  std::vector<Node> list(std::string_view key) const;
  Node map(std::string_view key) const;

  // The scalar text of this node itself.
  std::string scalar() const;
  bool is_map() const;
  bool is_sequence() const;
  bool is_scalar() const;
  bool defined() const;

  const YAML::Node& yaml() const { return yaml_; }
  const std::shared_ptr<const std::string>& file() const { return file_; }

 private:
  YAML::Node yaml_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  std::string fallback_where_;  // position of the parent, for nodes filled in from defaults
  friend Result<Node> validate(const Schema&, const Node&);
};

// Reads YAML from a file, substitutes ${NAME} and ${NAME:-default} in scalar values from the
// environment ($${ for a literal "${"), and reports syntax errors or an unset variable with
// file:line:column.
Result<Node> load_file(const std::string& path);
Result<Node> load_string(const std::string& text, const std::string& file_name);

// Checks `node` against `schema`: unknown keys (unless the schema is open), missing required keys,
// types, bounds, choices; fills in defaults. Errors name file:line:column and the path; all
// problems found are reported, one per line.
Result<Node> validate(const Schema& schema, const Node& node);

// Parsing helpers shared with validation (usable on their own).
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace chatops::config
