#pragma once
// Bounded output queue with flood control: a token bucket paces lines; targets (channels, nicks)
// take turns line by line so one busy channel cannot starve the others; a priority lane carries
// protocol replies (PONG, CAP, AUTHENTICATE, registration NICK/JOIN) ahead of everything.
// Time is passed in, so tests drive it deterministically.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bot/irc/token_bucket.hpp"

namespace chatops::irc {

class OutputQueue {
 public:
  using Clock = std::chrono::steady_clock;

  struct Line {
    std::string text;        // one serialised IRC line without CR LF
    std::uint64_t id = 0;    // the caller's tag (delivery tracking); 0 = none
    bool counted = true;     // false for lines servers do not penalise (PONG, QUIT)
  };

  // The bucket starts full at `now`.
  OutputQueue(std::size_t burst, double rate, std::size_t max_lines, Clock::time_point now);

  void push_priority(Line line);
  // Appends to the target's lane (`target` is its case-folded name). False when the queue is full.
  bool push(const std::string& target, Line line);
  // How many more normal lines fit.
  std::size_t room() const { return max_lines_ - normal_size_; }

  // The next line that may be written at `now`, taking a token when it counts.
  std::optional<Line> pop(Clock::time_point now);
  // How long until pop() can return a line; nullopt when nothing is queued.
  std::optional<Clock::duration> wait(Clock::time_point now) const;

  std::size_t size() const { return normal_size_ + priority_.size(); }
  // A full bucket from `now` on.
  void refill(Clock::time_point now) { bucket_.refill(now); }
  // Empties every lane (connection lost) and returns the dropped lines, oldest first per lane.
  std::deque<Line> clear();

 private:
  TokenBucket bucket_;
  std::size_t max_lines_;
  std::deque<Line> priority_;
  std::unordered_map<std::string, std::deque<Line>> lanes_;
  std::deque<std::string> turn_;  // targets with queued lines, next to send first
  std::size_t normal_size_ = 0;
};

}  // namespace chatops::irc
