#pragma once
// A configuration document loaded from YAML, and validated views of it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/config/schema.hpp"
#include "core/error.hpp"

// yaml-cpp stays out of this header (it is included by most of the code base and yaml-cpp's
// headers are heavy): only core/config's own files see it.
namespace YAML {
class Node;
struct Mark;
}  // namespace YAML

namespace chatops::config {

namespace detail {
struct Position;   // where a node's key and value are (core/config/positions.hpp)
struct Positions;  // Position by path

// A scalar whose text came (partly) from the environment: as written in the file, and each
// variable's value with the reference that inserted it.
struct Substitution {
  std::string written;                                       // "Bearer ${TOKEN}"
  std::vector<std::pair<std::string, std::string>> values;   // {"${TOKEN}", its value}
};
using Substitutions = std::unordered_map<std::string, Substitution>;  // by path
}  // namespace detail

struct LoadedDocument;

// A node of a loaded document, remembering the file it came from so that every message about
// it can say file:line:column.
//
// Positions are recorded once, by path, when a Node is built from a parsed YAML tree: they survive
// the copies validation makes (YAML::Clone drops marks), and a key filled in from a default
// reports the position of its nearest ancestor.
class Node {
 public:
  Node();  // undefined
  // `yaml` should come straight from the parser: its marks are recorded here.
  Node(YAML::Node yaml, std::shared_ptr<const std::string> file, std::string path);

  // "config.yml:12:5" (the nearest known position for defaults filled in by validation).
  std::string where() const;
  // Dotted path from the root, e.g. "irc.servers[0].port".
  const std::string& path() const { return path_; }
  // "config.yml:12:5: irc.servers[0].port: <what>". A value this node (or a node above or below
  // it) took from the environment is replaced in `what` by its ${NAME}: messages about a value
  // may quote it, and it may be a secret even where the schema does not say so.
  Error error(std::string_view what) const;
  // The scalar as messages may quote it: "text", or as written in the file ("${TOKEN}") when it
  // came from the environment.
  std::string quoted() const;
  // Whether its text came (partly) from the environment: not to be offered in a "did you mean".
  bool from_environment() const { return substitution() != nullptr; }

  bool has(std::string_view key) const;  // present and not null
  Node operator[](std::string_view key) const;  // child (may be undefined: check has())
  std::vector<Node> items() const;              // children of a sequence
  std::vector<std::string> keys() const;        // keys of a map, in document order

  // Typed getters. After validation against a schema, they cannot fail for declared keys; on a
  // key the schema does not declare, a type mismatch, or an optional key that is absent (check
  // has() first), they throw std::logic_error (a bug). On a node that was not validated (or an
  // undeclared key of an open schema) only the value itself is checked.
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

  // This node without its document: it still says where it was (where, error, path, file) but
  // holds no YAML, so that what is kept only to place messages does not keep a document alive.
  Node detached() const;

  // The yaml-cpp node, for core/config's own files (which include <yaml-cpp/yaml.h>).
  const YAML::Node& yaml() const { return *yaml_; }
  const std::shared_ptr<const std::string>& file() const { return file_; }

 private:
  Node child(YAML::Node yaml, std::string path) const;
  const detail::Position* position() const;  // this path's, or its nearest ancestor's
  std::string location(const YAML::Mark& mark) const;  // "file:line:column", or "file" if unknown
  const Field* declared(std::string_view key) const;
  Node present(std::string_view key) const;
  std::string scalar_of(std::string_view key) const;

  std::shared_ptr<const YAML::Node> yaml_;  // never null; a handle: yaml-cpp nodes share their data
  std::shared_ptr<const std::string> file_;
  std::string path_;
  std::shared_ptr<const detail::Positions> positions_;
  std::shared_ptr<const detail::Substitutions> substitutions_;  // set by load_string
  // After validation: the schema of this map, or of the items of this sequence.
  std::shared_ptr<const Schema> schema_;
  const detail::Substitution* substitution() const;  // this path's, or an ancestor's (shorthands)
  std::string redacted(std::string text) const;

  friend struct Validator;
  friend Result<Node> validate(const Schema&, const Node&);
  friend Result<LoadedDocument> load_document_string(const std::string&, const std::string&);
};

// Reads YAML from a file, substitutes ${NAME} and ${NAME:-default} in scalar values from the
// environment ($${ for a literal "${"), and reports syntax errors or an unset variable with
// file:line:column. Values taken from the environment are remembered: messages never quote them
// (see Node::error, Node::quoted).
Result<Node> load_file(const std::string& path);
Result<Node> load_string(const std::string& text, const std::string& file_name);

// The same, but a value that cannot be substituted (an unset variable) does not stop the
// loading: it keeps its text, and its problem is listed, so that validation can report every
// other problem in the same run. Only an unreadable file or a YAML syntax error fails.
struct LoadedDocument {
  Node root;
  std::vector<std::string> problems;  // "file:line:column: path: what", in document order
};
Result<LoadedDocument> load_document(const std::string& path);
Result<LoadedDocument> load_document_string(const std::string& text, const std::string& file_name);

// Checks `node` against `schema`: unknown or duplicate keys (unknown keys are kept when the schema
// is open), missing required keys (a null value counts as absent), types, bounds, choices. Returns
// a new tree with defaults filled in and shorthands expanded; `node` is left untouched. Errors
// name file:line:column and the path; all problems found are reported, one per line, in document
// order.
Result<Node> validate(const Schema& schema, const Node& node);

// Parsing helpers shared with validation (usable on their own). Errors say what was expected
// without repeating the text (it may be a secret).
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
Result<std::uint64_t> parse_size(std::string_view text);
Result<std::int64_t> parse_integer(std::string_view text);
Result<double> parse_number(std::string_view text);  // finite only
Result<bool> parse_boolean(std::string_view text);   // true/false/yes/no/on/off, any case

}  // namespace chatops::config
