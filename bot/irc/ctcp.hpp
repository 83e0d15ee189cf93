#pragma once
// CTCP queries (a PRIVMSG whose text is "\x01COMMAND args\x01") and the answers the bot gives by
// NOTICE: VERSION, PING (its argument echoed, cleaned and cut), TIME and CLIENTINFO. Answers are
// rate-limited so that a flood of queries cannot make the bot flood the server. Pure logic.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bot/irc/message.hpp"
#include "bot/irc/token_bucket.hpp"

namespace chatops::irc {

struct CtcpQuery {
  std::string command;  // upper case, e.g. "VERSION"
  std::string args;     // after the first space, "" when none
};

// The query in a PRIVMSG text, or nothing when the text is not CTCP (ACTION is not a query).
std::optional<CtcpQuery> parse_ctcp(std::string_view text);

class CtcpResponder {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kBurst = 3;    // answers at once
  static constexpr double kRate = 0.5;   // then answers per second
  static constexpr std::size_t kMaxPingArgs = 64;

  CtcpResponder(std::string version, Clock::time_point now);

  // The NOTICE answering `privmsg` (from someone else), or nothing: not a query we answer, or
  // over the rate (then it is dropped, not queued).
  std::optional<Message> answer(const Message& privmsg, std::chrono::system_clock::time_point wall_now,
                                Clock::time_point now);

 private:
  std::string version_;
  TokenBucket bucket_;
};

}  // namespace chatops::irc
