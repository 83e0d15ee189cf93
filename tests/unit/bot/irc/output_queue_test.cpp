#include "bot/irc/output_queue.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using chatops::irc::OutputQueue;
using namespace std::chrono_literals;

namespace {

const OutputQueue::Clock::time_point queue_t0{};

std::vector<std::string> drain(OutputQueue& q, OutputQueue::Clock::time_point now) {
  std::vector<std::string> out;
  while (auto line = q.pop(now)) out.push_back(line->text);
  return out;
}

}  // namespace

TEST_CASE("output queue: a burst, then the rate", "[irc][output_queue]") {
  OutputQueue q(4, 1.0, 100, queue_t0);
  for (int i = 0; i < 6; ++i) REQUIRE(q.push("#a", {"L" + std::to_string(i)}));
  CHECK(drain(q, queue_t0) == std::vector<std::string>{"L0", "L1", "L2", "L3"});
  CHECK(q.size() == 2);
  REQUIRE(q.wait(queue_t0).has_value());
  CHECK(*q.wait(queue_t0) > 900ms);
  CHECK(*q.wait(queue_t0) <= 1s);
  CHECK(drain(q, queue_t0 + 500ms).empty());
  CHECK(drain(q, queue_t0 + 1s) == std::vector<std::string>{"L4"});
  CHECK(drain(q, queue_t0 + 2s) == std::vector<std::string>{"L5"});
  CHECK_FALSE(q.wait(queue_t0 + 2s).has_value());
}

TEST_CASE("output queue: targets take turns line by line", "[irc][output_queue]") {
  OutputQueue q(100, 1.0, 100, queue_t0);
  for (auto t : {"a1", "a2", "a3"}) q.push("#a", {t});
  for (auto t : {"b1", "b2", "b3"}) q.push("#b", {t});
  q.push("nick", {"c1"});
  CHECK(drain(q, queue_t0) == std::vector<std::string>{"a1", "b1", "c1", "a2", "b2", "a3", "b3"});
}

TEST_CASE("output queue: a target refilled after emptying goes to the back", "[irc][output_queue]") {
  OutputQueue q(100, 1.0, 100, queue_t0);
  q.push("#a", {"a1"});
  q.push("#b", {"b1"});
  q.push("#b", {"b2"});
  CHECK(q.pop(queue_t0)->text == "a1");
  q.push("#a", {"a2"});
  CHECK(drain(q, queue_t0) == std::vector<std::string>{"b1", "a2", "b2"});
}

TEST_CASE("output queue: the priority lane goes first and uncounted lines skip the bucket", "[irc][output_queue]") {
  OutputQueue q(2, 1.0, 100, queue_t0);
  q.push("#a", {"a1"});
  q.push("#a", {"a2"});
  q.push("#a", {"a3"});
  q.push_priority({"CAP END"});
  CHECK(drain(q, queue_t0) == std::vector<std::string>{"CAP END", "a1"});
  // The bucket is empty: a PONG still goes at once, a counted priority line waits for a token
  // and holds back the normal lanes.
  q.push_priority({"PONG :x", 0, false});
  q.push_priority({"JOIN #b"});
  CHECK(q.wait(queue_t0) == OutputQueue::Clock::duration::zero());
  CHECK(drain(q, queue_t0) == std::vector<std::string>{"PONG :x"});
  CHECK(*q.wait(queue_t0) > 0ms);
  CHECK(drain(q, queue_t0 + 1s) == std::vector<std::string>{"JOIN #b"});
  CHECK(drain(q, queue_t0 + 2s) == std::vector<std::string>{"a2"});
  CHECK(drain(q, queue_t0 + 3s) == std::vector<std::string>{"a3"});
}

TEST_CASE("output queue: bounded, clear returns everything", "[irc][output_queue]") {
  OutputQueue q(4, 1.0, 3, queue_t0);
  CHECK(q.room() == 3);
  CHECK(q.push("#a", {"1", 7}));
  CHECK(q.push("#b", {"2", 8}));
  CHECK(q.push("#a", {"3", 7}));
  CHECK(q.room() == 0);
  CHECK_FALSE(q.push("#c", {"4"}));
  q.push_priority({"PONG :x", 0, false});  // protocol replies are never refused
  CHECK(q.size() == 4);
  const auto dropped = q.clear();
  CHECK(dropped.size() == 4);
  CHECK(q.size() == 0);
  CHECK(q.room() == 3);
  CHECK_FALSE(q.pop(queue_t0 + 10s).has_value());
  CHECK_FALSE(q.wait(queue_t0).has_value());
}
