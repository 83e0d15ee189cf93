#include "bot/irc/output_queue.hpp"

#include <utility>

namespace chatops::irc {

OutputQueue::OutputQueue(std::size_t burst, double rate, std::size_t max_lines, Clock::time_point now)
    : bucket_(static_cast<double>(burst), rate, now), max_lines_(max_lines) {}

void OutputQueue::push_priority(Line line) { priority_.push_back(std::move(line)); }

bool OutputQueue::push(const std::string& target, Line line) {
  if (normal_size_ >= max_lines_) return false;
  auto& lane = lanes_[target];
  if (lane.empty()) turn_.push_back(target);
  lane.push_back(std::move(line));
  ++normal_size_;
  return true;
}

std::optional<OutputQueue::Line> OutputQueue::pop(Clock::time_point now) {
  if (!priority_.empty()) {
    // A counted priority line waiting for a token also holds back the normal lanes.
    if (priority_.front().counted && !bucket_.try_take(now)) return std::nullopt;
    Line line = std::move(priority_.front());
    priority_.pop_front();
    return line;
  }
  if (turn_.empty() || !bucket_.try_take(now)) return std::nullopt;
  std::string target = std::move(turn_.front());
  turn_.pop_front();
  auto lane = lanes_.find(target);
  Line line = std::move(lane->second.front());
  lane->second.pop_front();
  --normal_size_;
  if (lane->second.empty())
    lanes_.erase(lane);
  else
    turn_.push_back(std::move(target));
  return line;
}

std::optional<OutputQueue::Clock::duration> OutputQueue::wait(Clock::time_point now) const {
  if (!priority_.empty() && !priority_.front().counted) return Clock::duration::zero();
  if (priority_.empty() && turn_.empty()) return std::nullopt;
  return bucket_.wait_time(now);
}

std::deque<OutputQueue::Line> OutputQueue::clear() {
  std::deque<Line> dropped = std::move(priority_);
  priority_.clear();
  for (const auto& target : turn_)
    for (auto& line : lanes_[target]) dropped.push_back(std::move(line));
  lanes_.clear();
  turn_.clear();
  normal_size_ = 0;
  return dropped;
}

}  // namespace chatops::irc
