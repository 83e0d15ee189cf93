#include "ingestion/payload/json_writer.hpp"

#include <algorithm>

#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::payload {

JsonObjectWriter::Slot& JsonObjectWriter::Slot::operator=(std::string_view text) {
  writer_.begin(key_);
  append_json_string(writer_.text_, text);
  writer_.finish();
  return *this;
}

JsonObjectWriter::Slot& JsonObjectWriter::Slot::operator=(const nlohmann::json& value) {
  writer_.begin(key_);
  append_json(writer_.text_, value);
  writer_.finish();
  return *this;
}

JsonObjectWriter::Slot& JsonObjectWriter::Slot::operator=(JsonArrayWriter&& array) { return raw(std::move(array).text()); }

JsonObjectWriter::Slot& JsonObjectWriter::Slot::raw(std::string_view json_text) {
  writer_.begin(key_);
  writer_.text_ += json_text;
  writer_.finish();
  return *this;
}

std::size_t JsonObjectWriter::find(std::string_view quoted_key) const {
  const auto same_key = [&](const Entry& e) {
    return e.value_begin - e.key_begin == quoted_key.size() + 1 &&
           std::string_view(text_).substr(e.key_begin, quoted_key.size()) == quoted_key;
  };
  return static_cast<std::size_t>(std::ranges::find_if(entries_, same_key) - entries_.begin());
}

std::string_view JsonObjectWriter::raw(std::string_view key) const {
  std::string quoted;
  append_json_string(quoted, key);
  const std::size_t i = find(quoted);
  if (i == entries_.size()) return {};
  return std::string_view(text_).substr(entries_[i].value_begin, entries_[i].value_end - entries_[i].value_begin);
}

void JsonObjectWriter::begin(std::string_view key) {
  quoted_key_.clear();
  append_json_string(quoted_key_, key);
  if (const std::size_t set = find(quoted_key_); set != entries_.size()) {
    replacing_ = set;
    replacement_begin_ = text_.size();
    return;
  }
  if (!entries_.empty()) text_ += ',';
  const std::size_t key_begin = text_.size();
  text_ += quoted_key_;
  text_ += ':';
  entries_.push_back({key_begin, text_.size(), 0});
}

void JsonObjectWriter::finish() {
  if (replacing_ == kNotReplacing) {
    entries_.back().value_end = text_.size();
    return;
  }
  // The new value was written at the end: it takes the old one's place.
  const std::string value = text_.substr(replacement_begin_);
  text_.resize(replacement_begin_);
  Entry& e = entries_[replacing_];
  const std::size_t old_size = e.value_end - e.value_begin;
  text_.replace(e.value_begin, old_size, value);
  e.value_end = e.value_begin + value.size();
  for (std::size_t later = replacing_ + 1; later < entries_.size(); ++later) {
    Entry& moved = entries_[later];
    moved.key_begin = moved.key_begin + value.size() - old_size;
    moved.value_begin = moved.value_begin + value.size() - old_size;
    moved.value_end = moved.value_end + value.size() - old_size;
  }
  replacing_ = kNotReplacing;
}

std::string JsonObjectWriter::text() && {
  text_ += '}';
  return std::move(text_);
}

void JsonArrayWriter::push_raw(std::string_view json_text) {
  if (!ends_.empty()) text_ += ',';
  text_ += json_text;
  ends_.push_back(text_.size());
}

JsonArrayWriter JsonArrayWriter::slice(std::size_t from, std::size_t count) const {
  JsonArrayWriter part;
  from = std::min(from, ends_.size());
  count = std::min(count, ends_.size() - from);
  for (std::size_t i = from; i < from + count; ++i) {
    const std::size_t begin = i == 0 ? 1 : ends_[i - 1] + 1;  // past '[' or the ','
    part.push_raw(std::string_view(text_).substr(begin, ends_[i] - begin));
  }
  return part;
}

std::string JsonArrayWriter::text() && {
  text_ += ']';
  return std::move(text_);
}

}  // namespace chatops::ingestion::payload
