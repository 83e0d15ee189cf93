#pragma once
// The `delivery:` section: how the dispatcher feeds events to IRC, and when bursts are coalesced.
#include "bot/dispatcher.hpp"
#include "core/config/node.hpp"
#include "core/config/schema.hpp"

namespace chatops::bot {

config::Schema delivery_schema();
// `flood_burst` and `flood_rate` come from the irc: section: a target's backlog is coalesced when
// it holds more lines than flood control can send within `max_delay`.
DispatcherOptions dispatcher_options(const config::Node& delivery, std::size_t flood_burst, double flood_rate);

}  // namespace chatops::bot
