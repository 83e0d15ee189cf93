#pragma once
// An event's fields written as JSON text key by key, with the assignments of a json object
// (`f["branch"] = name;`), but no tree: no node per key, no map, no serialisation at the end. The
// webhook providers build their fields with it: on a GitHub push, building and dumping the nlohmann
// object was a fifth of the HTTP loop's time per event (bench/README.md, 2026-12-03).
//
// The text is what nlohmann::json would parse into the same object (strings escaped as its dump()
// escapes them, invalid UTF-8 replaced by U+FFFD); the keys keep the order they were first set in.
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace chatops::ingestion::payload {

class JsonArrayWriter;

class JsonObjectWriter {
 public:
  // What `writer["key"]` gives: assigning to it sets the key. Setting a key again replaces its
  // value where it stands, as a json object's operator[] does.
  class Slot {
   public:
    Slot& operator=(std::string_view text);
    Slot& operator=(const std::string& text) { return *this = std::string_view(text); }
    Slot& operator=(const char* text) { return *this = std::string_view(text); }
    template <std::same_as<bool> Bool>
    Slot& operator=(Bool value) { return raw(value ? "true" : "false"); }
    template <std::integral Integer>
      requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>)
    Slot& operator=(Integer value) {
      char digits[24];
      const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
      return raw(std::string_view(digits, static_cast<std::size_t>(end - digits)));
    }
    Slot& operator=(std::nullptr_t) { return raw("null"); }
    // Doubles, subtrees copied from a payload, or_null(): written as nlohmann::json dumps them.
    Slot& operator=(const nlohmann::json& value);
    Slot& operator=(JsonObjectWriter&& object) { return raw(std::move(object).text()); }
    Slot& operator=(JsonArrayWriter&& array);

   private:
    friend class JsonObjectWriter;
    Slot(JsonObjectWriter& writer, std::string_view key) : writer_(writer), key_(key) {}
    Slot& raw(std::string_view json_text);

    JsonObjectWriter& writer_;
    std::string_view key_;
  };

  JsonObjectWriter() { text_ += '{'; }

  Slot operator[](std::string_view key) { return Slot(*this, key); }
  // The JSON text of `key`'s value ("true", "\"update\"", "42"), empty when the key is not set;
  // valid until the next assignment.
  std::string_view raw(std::string_view key) const;
  // The object's JSON text; the writer is spent.
  std::string text() &&;

 private:
  struct Entry {
    std::size_t key_begin;  // the key's opening quote
    std::size_t value_begin;
    std::size_t value_end;
  };
  // Points the text's end at where `key`'s value goes: a new entry at the end, or, when the key is
  // set already, the end too, with `replacing_` (an index) naming the entry the value is moved into by finish().
  void begin(std::string_view key);
  void finish();
  // The index of the entry of a key (as JSON text), entries_.size() when not set.
  std::size_t find(std::string_view quoted_key) const;

  std::string text_;
  std::vector<Entry> entries_;
  std::string quoted_key_;  // scratch: the key being set, as JSON text
  std::size_t replacing_ = kNotReplacing;
  static constexpr std::size_t kNotReplacing = SIZE_MAX;
  std::size_t replacement_begin_ = 0;
};

// An array's JSON text, object by object (a commit, an alert).
class JsonArrayWriter {
 public:
  JsonArrayWriter() { text_ += '['; }
  void push_back(JsonObjectWriter&& object) { push_raw(std::move(object).text()); }
  // A copy holding `count` elements from the `from`th (as many as there are).
  JsonArrayWriter slice(std::size_t from, std::size_t count) const;
  std::size_t size() const { return ends_.size(); }
  std::string text() &&;

 private:
  void push_raw(std::string_view json_text);

  std::string text_;
  std::vector<std::size_t> ends_;  // where each element ends in text_
};

}  // namespace chatops::ingestion::payload
