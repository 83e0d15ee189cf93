// The configuration reference (docs/configuration.md) generated from schemas, and what it shares
// with the man page (man.cpp).
#include <algorithm>
#include <cctype>

#include "core/config/internal.hpp"

namespace chatops::config {
namespace {

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::String: return "string";
    case Kind::Secret: return "secret";
    case Kind::Integer: return "integer";
    case Kind::Number: return "number";
    case Kind::Boolean: return "boolean";
    case Kind::Duration: return "duration";
    case Kind::Size: return "size";
    case Kind::List: return "list";
    case Kind::Map: return "map";
    case Kind::Any: return "any";
  }
  return "?";
}

std::string code(std::string_view text) { return "`" + std::string(text) + "`"; }

// GitHub's heading anchors: lowercase letters, digits, '-' and '_' kept, spaces become '-'.
std::string anchor(std::string_view title) {
  std::string out;
  for (unsigned char c : title) {
    if (std::isalnum(c) || c == '-' || c == '_') out += static_cast<char>(std::tolower(c));
    else if (c == ' ') out += '-';
  }
  return out;
}

// Table cells are one line, and '|' would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string default_of(const Field& field) {
  if (field.is_required()) return "required";
  return field.default_yaml() ? code(*field.default_yaml()) : "";
}

std::string description(const Field& field, const std::string& nested_title) {
  std::string out = field.doc();
  auto sentence = [&out](const std::string& text) {
    if (!text.empty()) out += (out.empty() ? "" : " ") + text;
  };
  sentence(field_notes(field, code));
  if (field.nested()) sentence("See [" + nested_title + "](#" + anchor(nested_title) + ").");
  return out;
}

void section(const Schema& schema, const std::string& title, const std::string& doc, int level, std::string& out) {
  out += std::string(std::min(level, 6), '#') + " " + title + "\n\n";
  if (!doc.empty()) out += doc + "\n\n";
  if (!schema.fields().empty()) {
    out += "| key | type | default | description |\n|---|---|---|---|\n";
    for (const Field& field : schema.fields()) {
      const std::string row[] = {code(field.name()), type_of(field), default_of(field),
                                 description(field, title + "." + field.name())};
      out += "|";
      for (const std::string& text : row) out += " " + cell(text) + " |";
      out += "\n";
    }
    out += "\n";
  }
  for (const Field& field : schema.fields()) {
    if (!field.nested()) continue;
    const std::string& nested_doc = field.nested()->doc().empty() ? field.doc() : field.nested()->doc();
    section(*field.nested(), title + "." + field.name(), nested_doc, level + 1, out);
  }
}

}  // namespace

std::string type_of(const Field& field) {
  if (field.kind() != Kind::List) return kind_name(field.kind());
  if (field.nested()) return "list of maps";
  return field.item_kind() == Kind::Any ? "list" : "list of " + kind_name(field.item_kind()) + "s";
}

std::string field_notes(const Field& field, std::string (*code)(std::string_view)) {
  std::string out;
  auto sentence = [&out](const std::string& text) { out += (out.empty() ? "" : " ") + text; };
  if (!field.choices().empty()) {
    std::string choices;
    for (const std::string& choice : field.choices()) choices += (choices.empty() ? "" : ", ") + code(choice);
    sentence("One of: " + choices + ".");
  }
  if (field.min() || field.max()) {
    const Kind bounded = field.kind() == Kind::List ? field.item_kind() : field.kind();
    std::string text = bounds_text(field, bounded);
    text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    sentence(text + ".");
  }
  if (field.shorthand_key()) sentence("A plain string " + code("s") + " means " + code("{" + *field.shorthand_key() + ": s}") + ".");
  if (field.example_yaml()) sentence("Example: " + code(*field.example_yaml()) + ".");
  return out;
}

std::string to_markdown(const Schema& schema, int level) {
  std::string out;
  section(schema, schema.name(), schema.doc(), level, out);
  out.pop_back();  // one newline at the end, not a blank line
  return out;
}

}  // namespace chatops::config
