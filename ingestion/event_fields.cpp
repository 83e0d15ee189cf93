#include "ingestion/event_fields.hpp"

#include "ingestion/payload/json.hpp"

namespace chatops::ingestion {

EventFields EventFields::from_text(std::string text) {
  EventFields fields;
  fields.text_ = std::move(text);
  return fields;
}

EventFields& EventFields::operator=(nlohmann::json object) {
  object_ = std::move(object);
  text_.reset();
  return *this;
}

const nlohmann::json& EventFields::object() const {
  if (object_) return *object_;
  if (!text_) return *(object_ = nlohmann::json::object());
  // simdjson's DOM copied into the object: nlohmann's own parser took twice as long, and the
  // dispatcher asks for the object of every event it renders. Text simdjson refuses (a number
  // beyond 64 bits, from a hand-edited file) is left to nlohmann.
  if (auto document = payload::parse_json(*text_); document && document->root().is_object()) {
    object_ = payload::to_json(document->root());
    return *object_;
  }
  auto parsed = nlohmann::json::parse(*text_, nullptr, false);
  object_ = parsed.is_discarded() ? nlohmann::json::object() : std::move(parsed);
  return *object_;
}

nlohmann::json& EventFields::object() {
  std::as_const(*this).object();
  text_.reset();
  return *object_;
}

std::string EventFields::text() const& {
  if (text_) return *text_;
  if (!object_) return "{}";
  // Replacing invalid UTF-8 rather than throwing: payloads are untrusted.
  return object_->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EventFields::text() && {
  if (!text_) return std::as_const(*this).text();
  auto out = std::move(*text_);
  text_.reset();
  object_.reset();  // {}
  return out;
}

}  // namespace chatops::ingestion
