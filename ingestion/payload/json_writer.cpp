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

void JsonObjectWriter::begin(std::string_view key) {
  quoted_key_.clear();
  append_json_string(quoted_key_, key);
  const auto same_key = [&](const Entry& e) {
    return e.value_begin - e.key_begin == quoted_key_.size() + 1 &&
           std::string_view(text_).substr(e.key_begin, quoted_key_.size()) == quoted_key_;
  };
  if (const auto set = std::ranges::find_if(entries_, same_key); set != entries_.end()) {
    replacing_ = &*set;
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
  if (!replacing_) {
    entries_.back().value_end = text_.size();
    return;
  }
  // The new value was written at the end: it takes the old one's place.
  const std::string value = text_.substr(replacement_begin_);
  text_.resize(replacement_begin_);
  Entry& e = *replacing_;
  const std::size_t old_size = e.value_end - e.value_begin;
  text_.replace(e.value_begin, old_size, value);
  e.value_end = e.value_begin + value.size();
  for (Entry* later = &e + 1; later != entries_.data() + entries_.size(); ++later) {
    later->key_begin = later->key_begin + value.size() - old_size;
    later->value_begin = later->value_begin + value.size() - old_size;
    later->value_end = later->value_end + value.size() - old_size;
  }
  replacing_ = nullptr;
}

std::string JsonObjectWriter::text() && {
  text_ += '}';
  return std::move(text_);
}

void JsonArrayWriter::push_back(std::string_view text) {
  if (!ends_.empty()) text_ += ',';
  append_json_string(text_, text);
  ends_.push_back(text_.size());
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
