#include "bot/delivery_config.hpp"

#include <cmath>

namespace chatops::bot {

config::Schema delivery_schema() {
  config::Schema s("delivery", "How events waiting in the journal are fed to IRC.");
  s.field("max_delay", config::Kind::Duration,
          "How long a line may wait for flood control. When a channel's backlog is longer than "
          "what can be sent in this time, lines of the same bind and topic are coalesced into "
          "digest lines (\"… and 37 more pushes in org/repo\").")
      .fallback("60s")
      .range(1, 86400);
  s.field("max_waiting_lines", config::Kind::Integer,
          "Lines held in memory across all channels; the rest waits in the journal.")
      .fallback("5000")
      .range(16, 1000000);
  s.field("max_waiting_outputs", config::Kind::Integer,
          "Handler outputs held in memory across all channels, counting those coalesced into a digest "
          "line not yet said (a few hundred bytes each): a backlog of any length takes bounded memory; "
          "the rest waits in the journal, and is said (or coalesced) once these are.")
      .fallback("10000")
      .range(16, 1000000);
  s.field("in_flight_lines", config::Kind::Integer,
          "Lines handed to the IRC output queue before the server has accepted the previous ones.")
      .fallback("8")
      .range(1, 1000);
  s.field("late_after", config::Kind::Duration,
          "A line said this long after its event arrived (after an outage, or a long wait for flood "
          "control) starts with its age, e.g. \"[12m late]\", so that it does not pass for news; 0: never.")
      .fallback("5m")
      .range(0, 86400 * 30);
  return s;
}

DispatcherOptions dispatcher_options(const config::Node& delivery, std::size_t flood_burst, double flood_rate) {
  DispatcherOptions o;
  const double seconds = std::chrono::duration<double>(delivery.duration("max_delay")).count();
  o.coalesce_capacity = flood_burst + static_cast<std::size_t>(std::floor(flood_rate * seconds));
  o.max_waiting_lines = static_cast<std::size_t>(delivery.integer("max_waiting_lines"));
  o.max_waiting_outputs = static_cast<std::size_t>(delivery.integer("max_waiting_outputs"));
  o.in_flight_lines = static_cast<std::size_t>(delivery.integer("in_flight_lines"));
  o.late_after = delivery.duration("late_after");
  return o;
}

}  // namespace chatops::bot
