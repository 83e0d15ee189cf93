#include "ingestion/api/item_event.hpp"

#include <array>

namespace chatops::ingestion::api {

namespace {

using payload::json;

constexpr std::string_view kNewTemplate =
    "[B]{{_event.source}}[/B] new: {{_item.title}}{{#_item.status}} ({{_item.status}}){{/_item.status}}"
    "{{#_item.url}} {{_item.url}}{{/_item.url}}";
constexpr std::string_view kChangedTemplate =
    "[B]{{_event.source}}[/B] changed: {{_item.title}}{{#_item.status}} ({{_item.status}}){{/_item.status}}"
    "{{#_item.url}} {{_item.url}}{{/_item.url}}";
constexpr std::string_view kDocumentTemplate = "[B]{{_event.source}}[/B] {{_item.url}} changed";
constexpr std::string_view kFirstDocumentTemplate = "[B]{{_event.source}}[/B] watching {{_item.url}}";

constexpr std::array kTitles{"/name", "/title", "/tag_name", "/summary", "/subject", "/message"};
constexpr std::array kLinks{"/html_url", "/web_url", "/shortlink", "/permalink", "/url", "/link"};
constexpr std::array kStatuses{"/status", "/state"};

// The first of `pointers` with a non-empty string (or number), on one line.
template <std::size_t N>
std::string first_text(payload::Value item, const std::array<const char*, N>& pointers) {
  for (const char* p : pointers) {
    const auto v = payload::find(item, p);
    if (!v || !(v->is_string() || v->is_number())) continue;
    if (auto text = payload::first_line(payload::as_text(v), 200); !text.empty()) return text;
  }
  return {};
}

std::string first_link(payload::Value item) {
  for (const char* p : kLinks)
    if (const auto v = payload::find(item, p); v && v->is_string())
      if (auto text = payload::as_text(v); text.starts_with("https://") || text.starts_with("http://"))
        return payload::first_line(text, 500);
  return {};
}

}  // namespace

std::expected<IngestionEvent, std::string> item_event(const FoundItem& item, const ItemContext& c) {
  auto doc = payload::parse_json(item.json);
  if (!doc) return std::unexpected(doc.error());
  const auto root = doc->root();
  const auto topic = "api/" + c.source + "/" + std::string(to_string(item.change));
  std::string title = first_text(root, kTitles), link = first_link(root);
  if (c.emit == EmitMode::Document && link.empty()) link = c.url;
  if (title.empty()) title = item.key;
  const payload::EnvelopeField envelope{"_item",
                                        {{"key", item.key},
                                         {"change", to_string(item.change)},
                                         {"title", title},
                                         {"url", payload::or_null(link)},
                                         {"status", payload::or_null(first_text(root, kStatuses))}}};
  auto e = c.mapping.map(root, {}, topic, &envelope);
  if (!e) return std::unexpected(e.error().reason);
  e->raw = item.json;
  if (e->default_template.empty()) {
    const bool fresh = item.change == Change::New;
    e->default_template = std::string(c.emit == EmitMode::Document ? (fresh ? kFirstDocumentTemplate : kDocumentTemplate)
                                                                   : (fresh ? kNewTemplate : kChangedTemplate));
  }
  return std::move(*e);
}

}  // namespace chatops::ingestion::api
