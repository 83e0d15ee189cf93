#pragma once
// What an API poller says: the items of a listing compared with those it saw before. Pure logic,
// no I/O: pages of JSON text go in; the items to announce and the state changes that remember them
// come out; once those are durable, commit() makes them what was seen.
//
// An item is known by its key (the value at a JSON pointer) or, without one, by its content hash;
// its content is compared by a 64-bit hash (XXH3) of its JSON text as the server wrote it. Pages are
// read with simdjson's On-Demand API, which gives each item's text as a span of the page: nothing
// is copied or built per item except for items that are new or changed.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "ingestion/sink.hpp"

namespace chatops::ingestion::api {

enum class EmitMode {
  New,            // new items only (a changed one is remembered silently)
  NewAndChanged,  // new items, and items whose content changed
  Document,       // the value at `items` as one whole: said when it changes
};
enum class Change { New, Changed };
std::string_view to_string(Change c);

std::uint64_t content_hash(std::string_view bytes);

// What is remembered of one item.
struct SeenItem {
  std::uint64_t hash = 0;
  std::int64_t first_seen = 0;  // Unix seconds: the oldest absent items are forgotten first
  std::uint32_t mark = 0;       // the last poll that listed it (in memory only)
};

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Item key → what was seen of it, with the poll counter that marks which items a poll listed.
struct SeenItems {
  std::unordered_map<std::string, SeenItem, KeyHash, std::equal_to<>> items;
  std::uint32_t polls = 0;
};

// How items are kept in the source's state: "item:<key>" → "<hash as 16 hex digits> <first_seen>".
inline constexpr std::string_view kItemPrefix = "item:";
std::string item_state_value(const SeenItem& item);
std::optional<SeenItem> parse_item_state(std::string_view value);

struct DiffOptions {
  std::string items_pointer;               // "" the whole document
  std::optional<std::string> key_pointer;  // none: each item is known by its content hash
  EmitMode emit = EmitMode::New;
  bool announce = true;        // false on a baseline poll: remember everything, say nothing
  std::size_t remember = 10000;  // beyond this, items absent from the listing are forgotten, oldest first
  std::optional<std::string> next_pointer;  // read from each page (pagination by a next link or cursor)
};

struct FoundItem {
  std::string key;
  std::string json;  // the item's text, as listed
  Change change;
};

struct PageScan {
  std::size_t items = 0;              // listed on the page
  std::optional<std::string> next;    // the value at next_pointer (a URL or a cursor), when there is one
};

class Differ {
 public:
  // `parser` is reused across pages and polls (its buffers grow to the largest page).
  Differ(DiffOptions options, SeenItems& seen, simdjson::ondemand::parser& parser, std::int64_t now_unix);

  // One page. The text gets simdjson's padding (its capacity may grow). An error says what is
  // wrong with the page; what was observed before it stays.
  std::expected<PageScan, std::string> observe(std::string& page);

  const std::vector<FoundItem>& found() const { return found_; }  // to announce, in listed order
  std::size_t listed() const { return listed_; }
  std::size_t unchanged() const { return unchanged_; }  // listed, seen before, the same (or listed twice)

  // The changes to save with the events: new and changed items, and those forgotten.
  std::vector<StateChange> state_changes();
  // Once they are durable: what was seen becomes what this poll saw.
  void commit();

 private:
  void item(std::optional<std::string_view> key, std::string_view json);
  std::expected<void, std::string> list(simdjson::ondemand::value items);
  std::expected<void, std::string> one(simdjson::ondemand::value item);

  DiffOptions options_;
  SeenItems& seen_;
  simdjson::ondemand::parser& parser_;
  std::int64_t now_;
  std::uint32_t poll_;
  std::vector<FoundItem> found_;
  // New or changed items, to remember once committed.
  std::unordered_map<std::string, SeenItem, KeyHash, std::equal_to<>> updates_;
  std::vector<std::string> forgotten_;
  std::size_t listed_ = 0, unchanged_ = 0;
};

}  // namespace chatops::ingestion::api
