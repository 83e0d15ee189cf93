#pragma once
// Where config-declared `say` handlers send their text; the application implements it with the
// IRC client's output queue.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace chatops::bindings {

// Which handler said what about which event, so the journal can record delivery per handler
// (an event is said exactly once per handler, across restarts).
struct Delivery {
  std::int64_t event_id = 0;   // IngestionEvent::id; 0 for IRC- and clock-triggered binds
  std::size_t bind_index = 0;  // position in the `binds:` list, for messages ("binds[3]")
  std::string bind_key;        // the bind's identity in delivery rows (config_binds.hpp bind_key)
};

// Renders an event's text when it is wanted: never blank (only templates that always say
// something are put off), or why it could not be rendered. Valid while the event it was made for
// is (Speaker::renders_later).
using Rendering = std::function<Result<std::string>()>;

// One rendered text for one target.
struct Utterance {
  std::string target;
  std::string text;            // may hold several lines
  bool notice = false;         // NOTICE instead of PRIVMSG
  std::size_t max_lines = 10;  // IRC lines (after splitting) said; the rest is summarised in one line
  Delivery delivery;
  Rendering render{};          // set instead of `text` when the speaker renders later
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
  // Whether an event's utterances may come unrendered (Utterance::render), to be rendered only if
  // they are said rather than counted in a digest. The speaker then renders or drops them before
  // the event is gone (the dispatcher: before the chunk of events it plans ends).
  virtual bool renders_later() const { return false; }
};

}  // namespace chatops::bindings
