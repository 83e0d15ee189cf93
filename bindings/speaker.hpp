#pragma once
// Where config-declared `say` handlers send their text; the application implements it with the
// IRC client's output queue.
#include <cstddef>
#include <cstdint>
#include <string>

namespace chatops::bindings {

// Which handler said what about which event, so the journal can record delivery per handler
// (an event is said exactly once per handler, across restarts).
struct Delivery {
  std::int64_t event_id = 0;   // IngestionEvent::id; 0 for IRC- and clock-triggered binds
  std::size_t bind_index = 0;  // position in the `binds:` list, stable across restarts
};

class Speaker {
 public:
  virtual ~Speaker() = default;
  // `text` may hold several lines; the IRC side splits, sanitises and flood-controls it.
  // `notice`: NOTICE instead of PRIVMSG.
  virtual void say(const std::string& target, const std::string& text, bool notice, const Delivery& delivery) = 0;
};

}  // namespace chatops::bindings
