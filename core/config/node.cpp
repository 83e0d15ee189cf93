#include "core/config/node.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/config/internal.hpp"
#include "core/config/positions.hpp"

namespace chatops::config {
namespace {

void record(const YAML::Node& yaml, const std::string& path, const YAML::Mark& key, detail::Positions& out) {
  out[path] = {key, yaml.IsNull() ? key : yaml.Mark()};
  if (yaml.IsMap()) {
    for (const auto& entry : yaml) record(entry.second, child_path(path, entry.first.Scalar()), entry.first.Mark(), out);
  } else if (yaml.IsSequence()) {
    for (std::size_t i = 0; i < yaml.size(); ++i) record(yaml[i], item_path(path, i), yaml[i].Mark(), out);
  }
}

void expect_kind(const Field* field, std::initializer_list<Kind> kinds, const std::string& path) {
  if (field && field->kind() != Kind::Any && std::ranges::find(kinds, field->kind()) == kinds.end())
    throw std::logic_error(path + ": read with a getter that does not match its declared kind");
}

template <class T>
T value_or_bug(Result<T> value, const std::string& path) {
  if (!value) throw std::logic_error(path + ": " + value.error().message);
  return *value;
}

}  // namespace

Node::Node() : yaml_(std::make_shared<const YAML::Node>(YAML::NodeType::Undefined)) {}

Node::Node(YAML::Node yaml, std::shared_ptr<const std::string> file, std::string path)
    : yaml_(std::make_shared<const YAML::Node>(std::move(yaml))), file_(std::move(file)), path_(std::move(path)) {
  auto positions = std::make_shared<detail::Positions>();
  record(*yaml_, path_, yaml_->Mark(), *positions);
  positions_ = std::move(positions);
}

Node Node::detached() const { return child(YAML::Node(YAML::NodeType::Undefined), path_); }

Node Node::child(YAML::Node yaml, std::string path) const {
  Node out;
  out.yaml_ = std::make_shared<const YAML::Node>(std::move(yaml));
  out.file_ = file_;
  out.path_ = std::move(path);
  out.positions_ = positions_;
  out.substitutions_ = substitutions_;
  return out;
}

const detail::Position* Node::position() const {
  if (!positions_) return nullptr;
  for (std::string_view path = path_;; path = parent_path(path)) {
    auto found = positions_->find(std::string(path));
    if (found != positions_->end() && found->second.value.line >= 0) return &found->second;
    if (path.empty()) return nullptr;
  }
}

std::string Node::location(const YAML::Mark& mark) const {
  const std::string file = file_ ? *file_ : "<config>";
  if (mark.line < 0) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string Node::where() const {
  const detail::Position* at = position();
  return location(at ? at->value : YAML::Mark::null_mark());
}

Error Node::error(std::string_view what) const {
  return Error{where() + ": " + (path_.empty() ? "" : path_ + ": ") + redacted(std::string(what))};
}

const detail::Substitution* Node::substitution() const {
  if (!substitutions_) return nullptr;
  for (std::string_view path = path_;; path = parent_path(path)) {
    auto found = substitutions_->find(std::string(path));
    if (found != substitutions_->end()) return &found->second;
    if (path.empty()) return nullptr;
  }
}

std::string Node::quoted() const {
  const detail::Substitution* from_environment = substitution();
  return "\"" + (from_environment ? from_environment->written : scalar()) + "\"";
}

std::string Node::redacted(std::string text) const {
  if (!substitutions_) return text;
  // Paths on one line of descent: "a.b" and "a.b[0].c", "a.b" and "a" (a shorthand's expansion).
  auto descends = [](std::string_view from, std::string_view path) {
    return from.empty() || path == from ||
           (path.starts_with(from) && (path[from.size()] == '.' || path[from.size()] == '['));
  };
  for (const auto& [path, substitution] : *substitutions_) {
    if (!descends(path_, path) && !descends(path, path_)) continue;
    for (const auto& [reference, value] : substitution.values) {
      if (value.empty()) continue;
      for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at + reference.size()))
        text.replace(at, value.size(), reference);
    }
  }
  return text;
}

bool Node::has(std::string_view key) const {
  const Node found = (*this)[key];
  return found.defined() && !found.yaml_->IsNull();
}

Node Node::operator[](std::string_view key) const {
  const YAML::Node& map = *yaml_;
  YAML::Node found = map.IsMap() ? map[std::string(key)] : YAML::Node(YAML::NodeType::Undefined);
  // A missing key gives an "invalid" yaml-cpp node that throws on use; make it plainly undefined.
  Node out = child(found.IsDefined() ? found : YAML::Node(YAML::NodeType::Undefined), child_path(path_, key));
  if (const Field* field = schema_ ? schema_->find(key) : nullptr) out.schema_ = field->nested();
  return out;
}

std::vector<Node> Node::items() const {
  std::vector<Node> out;
  if (!yaml_->IsSequence()) return out;
  for (std::size_t i = 0; i < yaml_->size(); ++i) {
    out.push_back(child((*yaml_)[i], item_path(path_, i)));
    out.back().schema_ = schema_;
  }
  return out;
}

std::vector<std::string> Node::keys() const {
  std::vector<std::string> out;
  if (yaml_->IsMap())
    for (const auto& entry : *yaml_) out.push_back(entry.first.Scalar());
  return out;
}

const Field* Node::declared(std::string_view key) const {
  if (!schema_) return nullptr;
  const Field* field = schema_->find(key);
  if (!field && !schema_->is_open())
    throw std::logic_error(child_path(path_, key) + ": not declared in schema " + schema_->name());
  return field;
}

Node Node::present(std::string_view key) const {
  if (!has(key)) throw std::logic_error(child_path(path_, key) + ": not set (optional without default: check has() first)");
  return (*this)[key];
}

std::string Node::scalar_of(std::string_view key) const {
  const Node value = present(key);
  if (!value.is_scalar()) throw std::logic_error(value.path_ + ": not a scalar");
  return value.scalar();
}

std::string Node::str(std::string_view key) const {
  expect_kind(declared(key),
              {Kind::String, Kind::Secret, Kind::Integer, Kind::Number, Kind::Boolean, Kind::Duration, Kind::Size},
              child_path(path_, key));
  return scalar_of(key);
}

std::int64_t Node::integer(std::string_view key) const {
  expect_kind(declared(key), {Kind::Integer}, child_path(path_, key));
  return value_or_bug(parse_integer(scalar_of(key)), child_path(path_, key));
}

double Node::number(std::string_view key) const {
  expect_kind(declared(key), {Kind::Number, Kind::Integer}, child_path(path_, key));
  return value_or_bug(parse_number(scalar_of(key)), child_path(path_, key));
}

bool Node::boolean(std::string_view key) const {
  expect_kind(declared(key), {Kind::Boolean}, child_path(path_, key));
  return value_or_bug(parse_boolean(scalar_of(key)), child_path(path_, key));
}

std::chrono::milliseconds Node::duration(std::string_view key) const {
  expect_kind(declared(key), {Kind::Duration}, child_path(path_, key));
  return value_or_bug(parse_duration(scalar_of(key)), child_path(path_, key));
}

std::uint64_t Node::size(std::string_view key) const {
  expect_kind(declared(key), {Kind::Size}, child_path(path_, key));
  return value_or_bug(parse_size(scalar_of(key)), child_path(path_, key));
}

std::vector<std::string> Node::strings(std::string_view key) const {
  const Field* field = declared(key);
  expect_kind(field, {Kind::List}, child_path(path_, key));
  if (field && field->nested()) throw std::logic_error(child_path(path_, key) + ": a list of maps, read with list()");
  std::vector<std::string> out;
  for (const Node& item : list(key)) {
    if (!item.is_scalar()) throw std::logic_error(item.path_ + ": not a scalar");
    out.push_back(item.scalar());
  }
  return out;
}

std::vector<Node> Node::list(std::string_view key) const {
  expect_kind(declared(key), {Kind::List}, child_path(path_, key));
  const Node value = present(key);
  if (!value.is_sequence()) throw std::logic_error(value.path_ + ": not a list");
  return value.items();
}

Node Node::map(std::string_view key) const {
  expect_kind(declared(key), {Kind::Map}, child_path(path_, key));
  Node value = present(key);
  if (!value.is_map()) throw std::logic_error(value.path_ + ": not a map");
  return value;
}

std::string Node::scalar() const { return yaml_->IsScalar() ? yaml_->Scalar() : std::string(); }
bool Node::is_map() const { return yaml_->IsMap(); }
bool Node::is_sequence() const { return yaml_->IsSequence(); }
bool Node::is_scalar() const { return yaml_->IsScalar(); }
bool Node::defined() const { return yaml_->IsDefined(); }

}  // namespace chatops::config
