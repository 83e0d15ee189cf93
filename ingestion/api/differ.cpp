#include "ingestion/api/differ.hpp"

#include <algorithm>
#include <tuple>
#include <charconv>

#include <xxhash.h>

namespace chatops::ingestion::api {

namespace od = simdjson::ondemand;

namespace {

// Keys longer than this are remembered by their hash (state keys stay small).
constexpr std::size_t kMaxKey = 200;
constexpr std::string_view kDocumentKey = "document";

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string hex(std::uint64_t v) {
  char text[17];
  const auto [end, ec] = std::to_chars(text, text + 16, v, 16);
  (void)ec;
  std::string out(static_cast<std::size_t>(16 - (end - text)), '0');
  out.append(text, end);
  return out;
}

std::string malformed(simdjson::error_code e) { return std::string("malformed JSON (") + simdjson::error_message(e) + ")"; }

// A value's text as written (objects and arrays whole).
simdjson::simdjson_result<std::string_view> raw_text(od::value v) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object o;
    if (auto e = v.get_object().get(o)) return e;
    if (auto e = o.raw_json().get(raw)) return e;
  } else if (type == od::json_type::array) {
    od::array a;
    if (auto e = v.get_array().get(a)) return e;
    if (auto e = a.raw_json().get(raw)) return e;
  } else {
    raw = v.raw_json_token();
  }
  return trim_end(raw);
}

// A key: a string unescaped, a number or boolean as written; nothing for null or a container.
std::optional<std::string_view> key_text(od::value v) {
  od::json_type type;
  if (v.type().get(type)) return std::nullopt;
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return std::nullopt;
    return s;
  }
  if (type == od::json_type::number || type == od::json_type::boolean) return trim_end(v.raw_json_token());
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Change c) { return c == Change::New ? "new" : "changed"; }

std::uint64_t content_hash(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::string item_state_value(const SeenItem& item) { return hex(item.hash) + " " + std::to_string(item.first_seen); }

std::optional<SeenItem> parse_item_state(std::string_view value) {
  SeenItem item;
  if (value.size() < 18 || value[16] != ' ') return std::nullopt;
  const auto hash = value.substr(0, 16), first = value.substr(17);
  if (std::from_chars(hash.data(), hash.data() + hash.size(), item.hash, 16).ptr != hash.data() + hash.size())
    return std::nullopt;
  if (std::from_chars(first.data(), first.data() + first.size(), item.first_seen).ptr != first.data() + first.size())
    return std::nullopt;
  return item;
}

Differ::Differ(DiffOptions options, SeenItems& seen, od::parser& parser, std::int64_t now_unix)
    : options_(std::move(options)), seen_(seen), parser_(parser), now_(now_unix), poll_(++seen.polls) {}

void Differ::item(std::optional<std::string_view> key, std::string_view json) {
  ++listed_;
  const auto hash = content_hash(json);
  std::string hashed;
  if (!key || key->empty() || key->size() > kMaxKey) {
    hashed = "#" + hex(key && !key->empty() ? content_hash(*key) : hash);
    key = hashed;
  }
  if (const auto it = seen_.items.find(*key); it != seen_.items.end()) {
    auto& seen = it->second;
    if (seen.mark == poll_ || seen.hash == hash) {  // listed twice in this poll, or the same as before
      seen.mark = poll_;
      ++unchanged_;
      return;
    }
    seen.mark = poll_;
    updates_.insert_or_assign(std::string(*key), SeenItem{hash, seen.first_seen, poll_});
    if (options_.announce && options_.emit != EmitMode::New)
      found_.push_back({std::string(*key), std::string(json), Change::Changed});
    return;
  }
  if (updates_.contains(*key)) {  // a new item listed twice (pages shifted while they were read)
    ++unchanged_;
    return;
  }
  updates_.emplace(std::string(*key), SeenItem{hash, now_, poll_});
  if (options_.announce) found_.push_back({std::string(*key), std::string(json), Change::New});
}

std::expected<void, std::string> Differ::one(od::value value) {
  if (options_.key_pointer) {
    od::json_type type;
    if (auto e = value.type().get(type)) return std::unexpected(malformed(e));
    if (type == od::json_type::object) {
      od::object object;
      if (auto e = value.get_object().get(object)) return std::unexpected(malformed(e));
      std::optional<std::string_view> key;
      // The key's text lives in the page or the parser's string buffer until the next page.
      if (od::value k; !object.at_pointer(*options_.key_pointer).get(k)) key = key_text(k);
      std::string_view raw;
      if (auto e = object.reset().error()) return std::unexpected(malformed(e));
      if (auto e = object.raw_json().get(raw)) return std::unexpected(malformed(e));
      item(key, trim_end(raw));
      return {};
    }
  }
  std::string_view raw;
  if (auto e = raw_text(value).get(raw)) return std::unexpected(malformed(e));
  item(std::nullopt, raw);
  return {};
}

std::expected<void, std::string> Differ::list(od::value items) {
  od::json_type type;
  if (auto e = items.type().get(type)) return std::unexpected(malformed(e));
  if (type == od::json_type::null) return {};
  if (type != od::json_type::array) return one(items);
  od::array array;
  if (auto e = items.get_array().get(array)) return std::unexpected(malformed(e));
  for (auto element : array) {
    od::value value;
    if (auto e = element.get(value)) return std::unexpected(malformed(e));
    if (auto done = one(value); !done) return done;
  }
  return {};
}

std::expected<PageScan, std::string> Differ::observe(std::string& page) {
  page.reserve(page.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (auto e = parser_.iterate(page.data(), page.size(), page.capacity()).get(doc)) return std::unexpected(malformed(e));
  const auto before = listed_;
  const auto& pointer = options_.items_pointer;
  if (options_.emit == EmitMode::Document) {
    std::string_view raw;
    if (pointer.empty()) {
      if (auto e = doc.raw_json().get(raw)) return std::unexpected(malformed(e));
      raw = trim_end(raw);
    } else {
      od::value value;
      if (doc.at_pointer(pointer).get(value)) return std::unexpected("no " + pointer + " in it");
      if (auto e = raw_text(value).get(raw)) return std::unexpected(malformed(e));
    }
    item(kDocumentKey, raw);
  } else {
    od::value items;
    if (auto e = doc.at_pointer(pointer).get(items)) {
      if (e == simdjson::SCALAR_DOCUMENT_AS_VALUE) return std::unexpected("it is a single value, not a list or an object");
      if (e == simdjson::NO_SUCH_FIELD || e == simdjson::INDEX_OUT_OF_BOUNDS || e == simdjson::INCORRECT_TYPE)
        return std::unexpected("no " + pointer + " in it (is items: right?)");
      return std::unexpected(malformed(e));
    }
    if (auto listed = list(items); !listed) return std::unexpected(listed.error());
  }
  PageScan scan{.items = listed_ - before, .next = std::nullopt};
  if (options_.next_pointer) {
    od::value next;
    if (!doc.at_pointer(*options_.next_pointer).get(next))
      if (const auto text = key_text(next); text && !text->empty()) scan.next = std::string(*text);
  }
  return scan;
}

std::vector<StateChange> Differ::state_changes() {
  std::vector<StateChange> changes;
  changes.reserve(updates_.size());
  for (const auto& [key, item] : updates_)
    changes.push_back({std::string(kItemPrefix) + key, item_state_value(item)});
  // Beyond `remember`, the oldest of the items this poll did not list are forgotten.
  std::size_t total = seen_.items.size();
  for (const auto& [key, item] : updates_) total += !seen_.items.contains(key);
  forgotten_.clear();
  if (total > options_.remember) {
    std::vector<std::pair<std::int64_t, const std::string*>> absent;
    for (const auto& [key, item] : seen_.items)
      if (item.mark != poll_) absent.emplace_back(item.first_seen, &key);
    const auto count = std::min(total - options_.remember, absent.size());
    // Oldest first; items first seen in the same second by key, so that the choice is the same
    // on every run (comparing the pointers would depend on the hash table's layout).
    std::ranges::partial_sort(absent, absent.begin() + static_cast<std::ptrdiff_t>(count),
                              [](const auto& a, const auto& b) { return std::tie(a.first, *a.second) < std::tie(b.first, *b.second); });
    for (std::size_t i = 0; i < count; ++i) {
      forgotten_.push_back(*absent[i].second);
      changes.push_back({std::string(kItemPrefix) + *absent[i].second, std::nullopt});
    }
  }
  return changes;
}

void Differ::commit() {
  for (auto& [key, item] : updates_) seen_.items.insert_or_assign(key, item);
  for (const auto& key : forgotten_) seen_.items.erase(key);
}

}  // namespace chatops::ingestion::api
