#pragma once
// Each component declares its configuration once, as a Schema: name, type, default, bounds, doc.
// Validation, defaults and the configuration reference (docs/configuration.md) all come from it.
//
//   config::Schema irc_schema() {
//     config::Schema s("irc", "The IRC connection.");
//     s.field("nick", config::Kind::String, "Nickname the bot asks for.").required();
//     s.field("port", config::Kind::Integer, "TCP port.").fallback("6697").range(1, 65535);
//     s.field("servers", config::Kind::List, "Servers, tried in turn.").items(server_schema()).required();
//     return s;
//   }
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatops::config {

enum class Kind {
  String,    // any scalar, as text
  Secret,    // like String, but never logged or printed ("(secret)" in messages)
  Integer,   // 64-bit signed
  Number,    // double
  Boolean,   // true/false/yes/no/on/off
  Duration,  // "250ms", "30s", "5m", "2h", "1d": the unit is required (but for 0)
  Size,      // "512", "64KiB", "25MiB", "1GiB", "10KB", "5MB" (bytes)
  List,      // a sequence: of maps validated by items(schema), or of scalars of items(kind)
  Map,       // a nested map validated by schema(s), or free-form when no schema is given. An absent
             // optional Map stays absent (has() is false); give fallback("{}") to get its defaults
  Any,       // anything; validated by the component itself later (e.g. a source's own keys)
};

class Schema;

class Field {
 public:
  Field(std::string name, Kind kind, std::string doc);

  Field& required();                                  // must be present (no default)
  Field& fallback(std::string yaml_default);          // default, as YAML text ("6697", "[]", "{burst: 4}")
  Field& range(double min, double max);               // Integer/Number/Duration(seconds)/Size bounds, inclusive
  Field& one_of(std::vector<std::string> choices);    // allowed values of a String (or of List items)
  Field& items(const Schema& item_schema);            // List of maps
  Field& items(Kind scalar_kind);                     // List of scalars (Kind::Map: of free-form maps)
  Field& schema(const Schema& nested);                // Map with its own schema
  Field& example(std::string yaml_example);           // shown in the reference
  Field& allow_string_shorthand(std::string key);     // a List item or Map given as a plain string s
                                                      // means {key: s} (e.g. channels: ["#ops"])

  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  const std::string& doc() const { return doc_; }
  bool is_required() const { return required_; }
  const std::optional<std::string>& default_yaml() const { return default_; }
  const std::optional<double>& min() const { return min_; }
  const std::optional<double>& max() const { return max_; }
  const std::vector<std::string>& choices() const { return choices_; }
  const std::shared_ptr<const Schema>& nested() const { return nested_; }
  Kind item_kind() const { return item_kind_; }
  const std::optional<std::string>& example_yaml() const { return example_; }
  const std::optional<std::string>& shorthand_key() const { return shorthand_; }

 private:
  std::string name_;
  Kind kind_;
  std::string doc_;
  bool required_ = false;
  std::optional<std::string> default_;
  std::optional<double> min_, max_;
  std::vector<std::string> choices_;
  std::shared_ptr<const Schema> nested_;
  Kind item_kind_ = Kind::String;
  std::optional<std::string> example_;
  std::optional<std::string> shorthand_;
};

class Schema {
 public:
  Schema(std::string name, std::string doc);

  // Throws std::logic_error when `name` is already declared (a bug).
  Field& field(std::string name, Kind kind, std::string doc);
  // A copy of this schema with other's fields appended (e.g. common source keys + a kind's keys).
  // A field of `other` with a name this schema already has replaces it in place. The result is
  // open only if both are.
  Schema merged(const Schema& other, std::string name) const;
  // Keys not declared are accepted and kept (for sections validated in two steps).
  Schema& open();

  const std::string& name() const { return name_; }
  const std::string& doc() const { return doc_; }
  const std::vector<Field>& fields() const { return fields_; }
  const Field* find(std::string_view name) const;
  bool is_open() const { return open_; }

 private:
  std::string name_;
  std::string doc_;
  std::vector<Field> fields_;
  bool open_ = false;
};

// Markdown reference of a schema (a heading, its doc, a table: key, type, default, description;
// nested schemas as their own sub-sections). `level` is the heading level.
std::string to_markdown(const Schema& schema, int level = 2);

// The same reference as roff for a man page: a sub-section (.SS) per schema, a tagged paragraph
// (.TP) per key.
std::string to_man(const Schema& schema);

// Doc text (plain text with `code` in backticks, UTF-8) as roff text: code in bold, hyphens as
// minus signs, backslashes and non-ASCII characters escaped, no line starting as a request.
std::string roff_text(std::string_view text);

}  // namespace chatops::config
