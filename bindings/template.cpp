#include "bindings/template.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <kainjow/mustache.hpp>
#include <libircclient.h>

namespace chatops::bindings {
namespace {

namespace mustache = kainjow::mustache;

// libircclient returns malloc()ed strings (or null when out of memory).
std::string take_c_string(char* owned, const std::string& fallback) {
  if (!owned) return fallback;
  std::string out(owned);
  std::free(owned);
  return out;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

mustache::data to_mustache(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      mustache::data object{mustache::data::type::object};
      for (const auto& [key, item] : value.items()) object.set(key, to_mustache(item));
      return object;
    }
    case nlohmann::json::value_t::array: {
      mustache::data list{mustache::data::type::list};
      for (const auto& item : value) list.push_back(to_mustache(item));
      return list;
    }
    case nlohmann::json::value_t::string:
      return mustache::data{inert_text(value.get_ref<const std::string&>())};
    case nlohmann::json::value_t::boolean:
      return mustache::data{value.get<bool>()};
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return mustache::data{false};
    default:
      return mustache::data{field_text(value)};
  }
}

std::string markup_to_mirc(const std::string& markup) {
  const auto with_reset = replace_all(markup, "[RESET]", "[/COLOR]");
  const auto converted = take_c_string(irc_color_convert_to_mirc(with_reset.c_str()), with_reset);
  // A foreground-only colour (\x03NN) right before a {{value}} would take a value starting
  // with ",NN" as its background; a bold on/off pair (a no-op) closes the colour code.
  std::string out;
  out.reserve(converted.size());
  for (std::size_t i = 0; i < converted.size(); ++i) {
    out += converted[i];
    const bool foreground_only = converted[i] == '\x03' && i + 3 < converted.size() &&
                                 std::isdigit(static_cast<unsigned char>(converted[i + 1])) &&
                                 std::isdigit(static_cast<unsigned char>(converted[i + 2])) &&
                                 converted[i + 3] == '{';
    if (foreground_only) {
      out.append(converted, i + 1, 2);
      out += "\x02\x02";
      i += 2;
    }
  }
  return out;
}

struct Checked {
  bool never_blank = false;
  // The top-level names its tags can look up: a name inside a section is looked up in the
  // section's value, then outward up to the data, so every name's first part. ({{.}} names the
  // innermost section's value, or the data itself, which renders as nothing.) Sorted, unique.
  std::vector<std::string> reads;
};

// Walks the tags kainjow parses in `text` (its own parser, so every spelling it accepts is seen as
// it sees it: "{{>x}}", "{{ \t>x}}", a partial behind custom delimiters) and refuses those
// templates do not support. A partial would look its name up in the event's fields and run the
// value as a template; a set-delimiter tag changes what the rest of the text means. Field values
// must stay data. Gives whether every rendering says something (text outside any section that is
// not blank) and what the template reads.
Result<Checked> check_tags(const std::string& text) {
  mustache::context<std::string> no_data;
  mustache::context_internal<std::string> context{no_data};
  mustache::component<std::string> root;
  std::string error;
  mustache::parser<std::string> parse{text, context, root, error};
  if (!error.empty()) return fail(error);
  std::string refused;
  Checked checked;
  using Walk = mustache::component<std::string>::walk_control;
  root.walk_children([&refused, &checked](mustache::component<std::string>& c) {
    switch (c.tag.type) {
      case mustache::tag_type::variable:
      case mustache::tag_type::unescaped_variable:
      case mustache::tag_type::section_begin:
      case mustache::tag_type::section_begin_inverted:
        if (c.tag.name != ".") checked.reads.push_back(c.tag.name.substr(0, c.tag.name.find('.')));
        return Walk::walk;
      case mustache::tag_type::text:
      case mustache::tag_type::section_end:
      case mustache::tag_type::comment:
        return Walk::walk;
      case mustache::tag_type::partial:
        refused = "partials ({{>name}}) are not supported in templates";
        break;
      case mustache::tag_type::set_delimiter:
        refused = "set-delimiter tags ({{=<% %>=}}) are not supported in templates";
        break;
      default:
        refused = "this kind of tag is not supported in templates";
        break;
    }
    refused += " (tag at " + std::to_string(c.position) + ")";
    return Walk::stop;
  });
  if (!refused.empty()) return fail(refused);
  checked.never_blank = std::ranges::any_of(root.children, [](const mustache::component<std::string>& c) {
    return c.is_text() && c.text.find_first_not_of(" \t\r\n") != std::string::npos;
  });
  std::ranges::sort(checked.reads);
  const auto [first, last] = std::ranges::unique(checked.reads);
  checked.reads.erase(first, last);
  return checked;
}

}  // namespace

std::string field_text(const nlohmann::json& scalar) {
  if (scalar.is_string()) return inert_text(scalar.get_ref<const std::string&>());
  if (scalar.is_null()) return "";
  if (scalar.is_number_float()) {
    const double value = scalar.get<double>();
    // 3.0 → "3"; beyond 2^53 doubles are not exact integers, keep the JSON form.
    if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < 9007199254740992.0)
      return std::to_string(static_cast<long long>(value));
  }
  return scalar.dump();
}

struct Template::Compiled {
  // kainjow's render() is non-const only to record errors from partials and lambdas, which
  // compiled templates never use (check_tags refuses partials, data has no lambdas).
  mutable mustache::mustache engine;
  bool never_blank = false;
  std::vector<std::string> reads;  // only these are converted for kainjow: other fields cost nothing
};

std::string inert_text(std::string_view value) {
  // Drop the colour digits along with the codes, then whatever control characters remain
  // (italics, strike-through, hex colours…); libircclient stops at NUL, so cut there first.
  const std::string until_nul(value.substr(0, value.find('\0')));
  const auto stripped = take_c_string(irc_color_strip_from_mirc(until_nul.c_str()), until_nul);
  std::string out;
  out.reserve(stripped.size());
  for (const char c : stripped) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t')
      out += ' ';
    else if (byte >= 0x20 && byte != 0x7f)
      out += c;
  }
  return out;
}

Result<Template> Template::compile(const std::string& text) {
  const std::string mustache_text = markup_to_mirc(text);
  auto checked = check_tags(mustache_text);
  if (!checked) return std::unexpected(checked.error());
  Template out;
  out.compiled_ = std::make_shared<Compiled>(
      Compiled{mustache::mustache{mustache_text}, checked->never_blank, std::move(checked->reads)});
  if (!out.compiled_->engine.is_valid()) return fail(out.compiled_->engine.error_message());
  out.compiled_->engine.set_custom_escape([](const std::string& s) { return s; });
  return out;
}

bool Template::never_blank() const { return compiled_->never_blank; }

Result<std::string> Template::render(const nlohmann::json& data) const {
  mustache::data read{mustache::data::type::object};
  if (!data.is_object()) {
    read = to_mustache(data);
  } else {
    for (const auto& name : compiled_->reads)
      if (const auto it = data.find(name); it != data.end()) read.set(name, to_mustache(*it));
  }
  auto text = compiled_->engine.render(read);
  if (!compiled_->engine.is_valid()) return fail("rendering failed: " + compiled_->engine.error_message());
  return text;
}

}  // namespace chatops::bindings
