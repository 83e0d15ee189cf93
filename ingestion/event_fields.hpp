#pragma once
// An event's normalised fields, held in one of two forms: the JSON object (what most sources
// build and what templates read), or its text (what the journal stores; the db kind writes it
// directly, with no map per row). Either form is made from the other when asked, and any change
// goes through the object and drops the text, so the two can never disagree.
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace chatops::ingestion {

class EventFields {
 public:
  EventFields() = default;  // {}
  EventFields(nlohmann::json object) : object_(std::move(object)) {}  // NOLINT: fields are JSON
  // The text of a JSON object, written by the bot itself (a source, or the journal): parsed only
  // when the object is asked for ({} if it does not parse, which only a hand-edited file does).
  static EventFields from_text(std::string text);

  EventFields& operator=(nlohmann::json object);
  // `e.fields = {{"what", "builds"}, {"status", status}}`, as with a json.
  EventFields& operator=(nlohmann::json::initializer_list_t init) { return *this = nlohmann::json(init); }

  // The object; held as text, it is parsed the first time (and the text kept).
  const nlohmann::json& object() const;
  // The object to change: the text, if any, is dropped, since it would no longer match.
  nlohmann::json& object();
  // The text: the one held, or the object serialised (invalid UTF-8 replaced by U+FFFD).
  std::string text() const&;
  std::string text() &&;
  // Whether the text is the form the fields were given in (the journal reads such fields back
  // from what it stored rather than keeping the object).
  bool holds_text() const { return text_.has_value(); }

  // What events' readers and writers use of a json.
  operator const nlohmann::json&() const { return object(); }  // NOLINT
  operator nlohmann::json&() { return object(); }              // NOLINT
  template <class Key>
  nlohmann::json& operator[](Key&& key) {
    return object()[std::forward<Key>(key)];
  }
  template <class Key>
  const nlohmann::json& operator[](Key&& key) const {
    return object()[std::forward<Key>(key)];
  }
  template <class Key>
  bool contains(Key&& key) const {
    return object().contains(std::forward<Key>(key));
  }
  template <class Key, class Fallback>
  auto value(Key&& key, Fallback&& fallback) const {
    return object().value(std::forward<Key>(key), std::forward<Fallback>(fallback));
  }
  template <class Key>
  nlohmann::json::const_iterator find(Key&& key) const {
    return object().find(std::forward<Key>(key));
  }
  nlohmann::json::const_iterator end() const { return object().end(); }
  std::string dump() const { return object().dump(); }

  friend bool operator==(const EventFields& a, const EventFields& b) { return a.object() == b.object(); }
  friend bool operator==(const EventFields& a, const nlohmann::json& b) { return a.object() == b; }

 private:
  // Held as text: `text_`, and `object_` once parsed from it. Held as an object: `object_` alone.
  // Neither: {}, made when first asked (so that an event given text allocates no object).
  mutable std::optional<nlohmann::json> object_;
  std::optional<std::string> text_;
};

}  // namespace chatops::ingestion
