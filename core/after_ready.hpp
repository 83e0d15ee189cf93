#pragma once
// Work a thread's event loop runs once it has handled the events ready now. A thread that runs a
// loop (an HTTP loop) says how to queue work on it (asio::post on its own io_context); others then
// hand it work from code running on that thread. The journal uses it to commit on the HTTP loop
// that submitted, after the loop has read every request that was ready: one commit for all of
// them, without a hand-off to its writer thread and back.
#include <functional>

namespace chatops::after_ready {

using Post = std::function<void(std::function<void()>)>;

// For the calling thread, for as long as it lives (or until set again; an empty Post clears it).
void set_for_this_thread(Post post);

// Whether the calling thread runs a loop that takes work.
bool available();
// Queues `work` on the calling thread's loop (available() first). Work queued on a loop that stops
// is destroyed unrun: hold what must happen then in an object it owns.
void post(std::function<void()> work);

// While it lives, the calling thread takes no work (available() is false): for a thread about to
// block on a result such work would give, which its loop could then never run.
class Hold {
 public:
  Hold();
  ~Hold();
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;

 private:
  Post held_;
};

}  // namespace chatops::after_ready
