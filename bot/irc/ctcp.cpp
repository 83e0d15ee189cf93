#include "bot/irc/ctcp.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bot/irc/sanitize.hpp"

namespace chatops::irc {
namespace {

constexpr char kDelimiter = '\x01';

Message notice(std::string target, std::string_view command, std::string_view args) {
  std::string text(1, kDelimiter);
  text += command;
  if (!args.empty()) {
    text += ' ';
    text += args;
  }
  text += kDelimiter;
  return Message{{}, {}, "NOTICE", {std::move(target), std::move(text)}};
}

// Printable ASCII only, cut: whatever the requester sent comes back in our line.
std::string clean(std::string_view s, std::size_t max) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max) break;
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::optional<CtcpQuery> parse_ctcp(std::string_view text) {
  if (text.size() < 2 || text.front() != kDelimiter) return std::nullopt;
  text.remove_prefix(1);
  if (text.back() == kDelimiter) text.remove_suffix(1);  // the closing \x01 is optional in practice
  const auto space = text.find(' ');
  CtcpQuery q{std::string(text.substr(0, space)), space == std::string_view::npos ? "" : std::string(text.substr(space + 1))};
  std::ranges::transform(q.command, q.command.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (q.command.empty() || q.command == "ACTION") return std::nullopt;
  return q;
}

CtcpResponder::CtcpResponder(std::string version, Clock::time_point now)
    : version_(std::move(version)), bucket_(kBurst, kRate, now) {}

std::optional<Message> CtcpResponder::answer(const Message& privmsg, std::chrono::system_clock::time_point wall_now,
                                             Clock::time_point now) {
  if (privmsg.command != "PRIVMSG" || privmsg.params.size() < 2) return std::nullopt;
  const auto query = parse_ctcp(privmsg.params.back());
  if (!query) return std::nullopt;
  const auto target = sanitize_param(privmsg.prefix().nick);
  if (target.empty()) return std::nullopt;
  std::optional<std::string> args;
  if (query->command == "VERSION") {
    args = version_;
  } else if (query->command == "PING") {
    args = clean(query->args, kMaxPingArgs);
  } else if (query->command == "TIME") {
    args = fmt::format("{:%a, %d %b %Y %H:%M:%S} +0000", fmt::gmtime(std::chrono::system_clock::to_time_t(wall_now)));
  } else if (query->command == "CLIENTINFO") {
    args = "CLIENTINFO PING TIME VERSION";
  }
  if (!args || !bucket_.try_take(now)) return std::nullopt;
  return notice(target, query->command, *args);
}

}  // namespace chatops::irc
