#pragma once
// Message templates: Mustache (kainjow) over an event's fields, with a readable markup for IRC
// formatting.
//
// The markup is libircclient's (irc_color_convert_to_mirc), plus [RESET]:
//   [B]…[/B] bold, [U]…[/U] underline, [I]…[/I] reverse video (mIRC \x16, not italic),
//   [COLOR=RED]…[/COLOR], [COLOR=RED/BLUE]…[/COLOR] (foreground/background), [RESET].
// [/COLOR] and [RESET] both emit mIRC's reset (\x0f), which also ends bold/underline/reverse.
// Tags are upper case; an unknown colour name leaves the tag as text.
//
// The markup is converted in the template text only, once, at compile time. Values inserted by
// {{…}} are made inert: IRC formatting and other control characters are removed (newlines and
// tabs become spaces), and "[B]" in a value stays the literal text "[B]". No HTML escaping.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace chatops::bindings {

class Template {
 public:
  // Errors say what kainjow reported (e.g. "Unclosed section \"x\" at 5") for the caller to
  // prefix with the template's config position. Only values ({{x}}, {{{x}}}, {{&x}}), sections,
  // inverted sections and comments are accepted: partials ({{>x}}) and set-delimiter tags
  // ({{=<% %>=}}) are refused in every spelling kainjow's parser accepts.
  static Result<Template> compile(const std::string& text);

  // Renders with `data`: objects give {{a.b}} names and sections, arrays give list sections
  // ({{#commits}}{{id}}{{/commits}}, {{.}} for scalars), booleans and null give conditionals,
  // numbers render as text (integers without ".0"). Missing names render empty. The text may
  // hold several lines. Values are data: nothing in them is read as a template.
  Result<std::string> render(const nlohmann::json& data) const;

  // Whether every rendering holds something besides spaces and line breaks (text outside any
  // section), whatever the data: what it says can be counted before it is rendered.
  bool never_blank() const;

 private:
  Template() = default;  // only compile() makes one
  struct Compiled;
  std::shared_ptr<Compiled> compiled_;  // shared: copies of a Template are cheap
};

// The text of a scalar as templates show it: strings as they are (made inert), integers without
// ".0", true/false, null as "".
std::string field_text(const nlohmann::json& scalar);

// The formatting-free, control-free text of a value as it appears in a rendered template.
std::string inert_text(std::string_view value);

}  // namespace chatops::bindings
