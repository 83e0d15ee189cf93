// The configuration reference as roff, for the chatops-bot.yml(5) man page: the same declarations
// and notes as docs/configuration.md (markdown.cpp).
#include <cstdint>
#include <cstdio>

#include "core/config/internal.hpp"

namespace chatops::config {
namespace {

std::string bold(std::string_view text) { return "\\fB" + roff_text(text) + "\\fR"; }

std::string default_of(const Field& field) {
  if (field.is_required()) return ", required";
  return field.default_yaml() ? ", default " + bold(*field.default_yaml()) : "";
}

void section(const Schema& schema, const std::string& title, const std::string& doc, std::string& out) {
  out += ".SS \"" + roff_text(title) + "\"\n";
  if (!doc.empty()) out += roff_text(doc) + "\n";
  for (const Field& field : schema.fields()) {
    out += ".TP\n" + bold(field.name()) + " (" + roff_text(type_of(field)) + default_of(field) + ")\n";
    std::string text = field.doc();
    const std::string notes = field_notes(field, [](std::string_view code) { return "`" + std::string(code) + "`"; });
    if (!notes.empty()) text += (text.empty() ? "" : " ") + notes;
    if (field.nested()) text += (text.empty() ? "" : " ") + std::string("See `") + title + "." + field.name() + "`.";
    out += roff_text(text) + "\n";
  }
  for (const Field& field : schema.fields()) {
    if (!field.nested()) continue;
    const std::string& nested_doc = field.nested()->doc().empty() ? field.doc() : field.nested()->doc();
    section(*field.nested(), title + "." + field.name(), nested_doc, out);
  }
}

// The code point of the UTF-8 sequence at `at` (advanced past it); U+FFFD when malformed.
std::uint32_t decode(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (length == 1 || at + length > text.size()) {
    ++at;
    return 0xFFFD;
  }
  std::uint32_t code = lead & (0xFF >> (length + 1));
  for (std::size_t i = 1; i < length; ++i) code = (code << 6) | (byte(at + i) & 0x3F);
  at += length;
  return code;
}

}  // namespace

std::string roff_text(std::string_view text) {
  std::string out;
  bool in_code = false;
  for (std::size_t at = 0; at < text.size();) {
    const char c = text[at];
    if (static_cast<unsigned char>(c) >= 0x80) {
      char escape[16];
      std::snprintf(escape, sizeof escape, "\\[u%04X]", static_cast<unsigned>(decode(text, at)));
      out += escape;
      continue;
    }
    ++at;
    if (c == '`') {
      out += in_code ? "\\fR" : "\\fB";
      in_code = !in_code;
    } else if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c == '\n') {
      out += ' ';
    } else {
      // A line starting with . or ' would be a request.
      if ((c == '.' || c == '\'') && (out.empty() || out.back() == '\n')) out += "\\&";
      out += c;
    }
  }
  if (in_code) out += "\\fR";
  return out;
}

std::string to_man(const Schema& schema) {
  std::string out;
  section(schema, schema.name(), schema.doc(), out);
  return out;
}

}  // namespace chatops::config
