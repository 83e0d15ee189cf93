#pragma once
// Where config-declared `say` handlers send their text; the application implements it with the
// IRC client's output queue.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace chatops::bindings {

// Which handler said what about which event, so the journal can record delivery per handler
// (an event is said exactly once per handler, across restarts).
struct Delivery {
  std::int64_t event_id = 0;   // IngestionEvent::id; 0 for IRC- and clock-triggered binds
  std::size_t bind_index = 0;  // position in the `binds:` list, for messages ("binds[3]")
  std::string bind_key;        // the bind's identity in delivery rows (config_binds.hpp bind_key)
};

// One rendered text for one target.
struct Utterance {
  std::string target;
  std::string text;            // may hold several lines
  bool notice = false;         // NOTICE instead of PRIVMSG
  std::size_t max_lines = 10;  // IRC lines (after splitting) said; the rest is summarised in one line
  Delivery delivery;
};

class Speaker {
 public:
  virtual ~Speaker() = default;
  // Splitting, sanitising, capping and flood control are the IRC side's job.
  virtual void say(const Utterance& utterance) = 0;
  // A handler could not say what it should have: its template does not compile (an event's
  // provider template) or rendering failed. `targets` are where it would have spoken.
  virtual void cannot_say(const std::vector<std::string>& targets, const std::string& reason,
                          const Delivery& delivery) = 0;
  // A handler works on the event off the io thread (a program): it is to wait, like an event for
  // a target not ready, under `waiting_for` until that is resumed, and then be planned again.
  virtual void later(const std::string& waiting_for, const Delivery& delivery) = 0;
};

}  // namespace chatops::bindings
