#pragma once
// What a bind handler is told about the thing that triggered it.
#include <ctime>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bindings/users.hpp"
#include "ingestion/event.hpp"

namespace chatops::bindings {

// An IRC event, as the bot's IRC side saw it.
struct IrcContext {
  std::string nick, user, host;
  std::string account;             // services account, "" when not logged in
  const User* known_user = nullptr;  // UserList::find's answer; nullptr for an unknown user
  std::string channel;             // "" for private messages
  std::string text;                // the message text (pub/msg: including the command word)
  std::vector<std::string> args;   // pub/msg: the words after the command; others: the IRC params
  std::string command;             // the IRC command: PRIVMSG, JOIN, KICK, 001…

  std::string_view handle() const { return known_user ? std::string_view(known_user->handle) : std::string_view(); }
};

// One minute of local time, for time and cron binds, with what a scheduled summary says (the
// application's: firing alerts, each source's activity; see docs/bindings.md). Templates see its
// keys beside time and date.
struct ClockTick {
  std::tm local{};
  nlohmann::json summary = nlohmann::json::object();
};

class BindContext {
 public:
  BindContext(IrcContext irc) : subject_(std::move(irc)) {}
  BindContext(const ingestion::IngestionEvent& event) : subject_(&event) {}
  BindContext(ClockTick tick) : subject_(tick) {}

  // Exactly one of these is non-null.
  const IrcContext* irc() const { return std::get_if<IrcContext>(&subject_); }
  const ingestion::IngestionEvent* event() const {
    const auto* e = std::get_if<const ingestion::IngestionEvent*>(&subject_);
    return e ? *e : nullptr;
  }
  const ClockTick* tick() const { return std::get_if<ClockTick>(&subject_); }

 private:
  std::variant<IrcContext, const ingestion::IngestionEvent*, ClockTick> subject_;
};

}  // namespace chatops::bindings
