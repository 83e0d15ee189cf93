#pragma once
// A few top-level fields of an event, read without building the fields' object when they are held
// as text (as the journal gives them back): one simdjson read of the text instead of an nlohmann
// tree, for the dispatcher, which reads a few names of each of many events and renders few.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingestion/event_fields.hpp"

namespace chatops::ingestion {

// The members `keys` that hold strings (nullopt: absent or of another type), in order.
std::vector<std::optional<std::string>> field_strings(const EventFields& fields,
                                                      std::initializer_list<std::string_view> keys);
// The member `key` when it holds a boolean.
std::optional<bool> field_boolean(const EventFields& fields, std::string_view key);

}  // namespace chatops::ingestion
