// Checking a document against a Schema and building the validated copy with defaults filled in.
#include <algorithm>
#include <optional>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "core/config/internal.hpp"
#include "core/config/positions.hpp"
#include "core/text/suggest.hpp"
#include "core/config/node.hpp"

namespace chatops::config {
namespace {

std::string did_you_mean(const Schema& schema, std::string_view key) {
  std::vector<std::string> names;
  for (const Field& field : schema.fields()) names.push_back(field.name());
  return text::did_you_mean(key, names);
}

std::string noun(Kind kind) {
  switch (kind) {
    case Kind::Integer: return "an integer";
    case Kind::Number: return "a number";
    case Kind::Boolean: return "a boolean";
    case Kind::Duration: return "a duration";
    case Kind::Size: return "a size";
    case Kind::List: return "a list";
    case Kind::Map: return "a map";
    default: return "a string";
  }
}

// Describes a value that has the wrong shape without ever showing its text (it may be a secret).
std::string shape(const Node& value) {
  if (value.is_map()) return "a map";
  if (value.is_sequence()) return "a list";
  return value.is_scalar() ? "a string" : "nothing";
}

// The amount that range() bounds apply to (seconds for durations, bytes for sizes), if any.
Result<std::optional<double>> measure(Kind kind, std::string_view text) {
  auto as_double = [](auto value) -> Result<std::optional<double>> {
    if (!value) return std::unexpected(value.error());
    return static_cast<double>(*value);
  };
  switch (kind) {
    case Kind::Integer: return as_double(parse_integer(text));
    case Kind::Number: return as_double(parse_number(text));
    case Kind::Size: return as_double(parse_size(text));
    case Kind::Duration: {
      auto ms = parse_duration(text);
      if (!ms) return std::unexpected(ms.error());
      return ms->count() / 1000.0;
    }
    case Kind::Boolean: {
      auto value = parse_boolean(text);
      if (!value) return std::unexpected(value.error());
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

}  // namespace

std::string bounds_text(const Field& field, Kind kind) {
  const std::string unit = kind == Kind::Duration ? "s" : "";
  const std::string suffix = kind == Kind::Size ? " bytes" : "";
  if (field.min() && field.max()) return fmt::format("between {}{} and {}{}{}", *field.min(), unit, *field.max(), unit, suffix);
  if (field.min()) return fmt::format("at least {}{}{}", *field.min(), unit, suffix);
  return fmt::format("at most {}{}{}", *field.max(), unit, suffix);
}

struct Validator {
  struct Problem {
    int line, column;
    std::string text;
  };
  std::vector<Problem> problems;

  void report(const Node& at, std::string_view what, bool at_key = false) {
    const detail::Position* position = at.position();
    const YAML::Mark mark = position ? (at_key ? position->key : position->value) : YAML::Mark::null_mark();
    problems.push_back({mark.line, mark.column,
                        at.location(mark) + ": " + (at.path().empty() ? "" : at.path() + ": ") + std::string(what)});
  }

  YAML::Node map(const Schema& schema, const Node& in) {
    YAML::Node out(YAML::NodeType::Map);
    if (!in.is_map() && in.defined() && !in.yaml().IsNull()) {
      report(in, "expected a map, got " + shape(in));
      return out;
    }
    std::vector<std::string> seen;
    for (const std::string& key : in.keys()) {
      const Node value = in[key];
      const Field* field = schema.find(key);
      if (std::ranges::find(seen, key) != seen.end()) {
        report(value, "duplicate key", true);
        continue;
      }
      seen.push_back(key);
      if (!field && schema.is_open())
        out[key] = YAML::Clone(value.yaml());
      else if (!field)
        report(value, "unknown key" + did_you_mean(schema, key), true);
      else if (!value.yaml().IsNull())  // a null is filled in below, like an absent key
        out[key] = check_field(*field, value);
    }
    const YAML::Node& filled = out;
    for (const Field& field : schema.fields()) {
      if (filled[field.name()].IsDefined()) continue;
      if (field.default_yaml()) {
        const YAML::Node fallback = YAML::Load(*field.default_yaml());
        if (!fallback.IsNull()) out[field.name()] = check_field(field, in.child(fallback, child_path(in.path(), field.name())));
      } else if (field.is_required()) {
        if (in[field.name()].defined())
          report(in[field.name()], "required, but empty");
        else
          report(in, "missing required key \"" + field.name() + "\"");
      }
    }
    return out;
  }

  YAML::Node check_field(const Field& field, const Node& value) {
    if (field.kind() == Kind::List) return list(field, value);
    if (field.kind() == Kind::Map && field.nested()) return map(*field.nested(), expand_shorthand(field, value));
    return check_kind(field, field.kind(), value);
  }

  // A value without a schema of its own: a scalar, or a free-form map or list.
  YAML::Node check_kind(const Field& field, Kind kind, const Node& value) {
    switch (kind) {
      case Kind::Any: break;
      case Kind::Map:
        if (!value.is_map()) report(value, "expected a map, got " + shape(value));
        break;
      case Kind::List:
        if (!value.is_sequence()) report(value, "expected a list, got " + shape(value));
        break;
      default: return scalar(field, kind, value);
    }
    return YAML::Clone(value.yaml());
  }

  YAML::Node list(const Field& field, const Node& value) {
    if (!value.is_sequence()) {
      report(value, "expected a list, got " + shape(value));
      return YAML::Clone(value.yaml());
    }
    YAML::Node out(YAML::NodeType::Sequence);
    for (const Node& item : value.items())
      out.push_back(field.nested() ? map(*field.nested(), expand_shorthand(field, item)) : check_kind(field, field.item_kind(), item));
    return out;
  }

  // A plain string s where a map is expected means {key: s}; positions fall back to the string's.
  static Node expand_shorthand(const Field& field, const Node& value) {
    if (!field.shorthand_key() || !value.is_scalar()) return value;
    YAML::Node expanded(YAML::NodeType::Map);
    expanded[*field.shorthand_key()] = value.yaml();
    return value.child(expanded, value.path());
  }

  YAML::Node scalar(const Field& field, Kind kind, const Node& value) {
    if (!value.is_scalar()) {
      report(value, "expected " + noun(kind) + ", got " + shape(value));
      return YAML::Clone(value.yaml());
    }
    const std::string text = value.scalar();
    const std::string shown = kind == Kind::Secret ? "(secret)" : value.quoted();
    auto amount = measure(kind, text);
    if (!amount) {
      report(value, amount.error().message + ", got " + shown);
    } else if (*amount && ((field.min() && **amount < *field.min()) || (field.max() && **amount > *field.max()))) {
      report(value, "must be " + bounds_text(field, kind) + ", got " + shown);
    }
    if (!field.choices().empty() && std::ranges::find(field.choices(), text) == field.choices().end())
      report(value, fmt::format("expected one of {}, got {}{}", fmt::join(field.choices(), ", "), shown,
                                kind == Kind::Secret ? "" : text::did_you_mean(text, field.choices())));
    return YAML::Clone(value.yaml());
  }
};

Result<Node> validate(const Schema& schema, const Node& node) {
  Validator validator;
  YAML::Node tree = validator.map(schema, node);
  if (!validator.problems.empty()) {
    std::ranges::stable_sort(validator.problems, [](const auto& a, const auto& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::string message;
    for (const auto& problem : validator.problems) message += (message.empty() ? "" : "\n") + problem.text;
    return fail(std::move(message));
  }
  Node out = node.child(tree, node.path());
  out.schema_ = std::make_shared<const Schema>(schema);
  return out;
}

}  // namespace chatops::config
