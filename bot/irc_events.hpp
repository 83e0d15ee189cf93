#pragma once
// Which binds an inbound IRC line triggers, and with what: Eggdrop's mapping of IRC traffic to
// bind types and the text their masks are matched against (see bindings/bind_table.hpp).
#include <string>
#include <vector>

#include "bindings/bind_type.hpp"
#include "bindings/context.hpp"
#include "bindings/users.hpp"
#include "bot/account_tracker.hpp"
#include "bot/irc/isupport.hpp"
#include "bot/irc/message.hpp"

namespace chatops::bot {

struct IrcDispatch {
  bindings::BindType type;
  std::string match_text;
  bindings::IrcContext context;
};

// `own_nick`: lines from ourselves (echo-message) trigger no binds but raw. A channel message
// addressed to us ("opsbot: status") triggers pub binds as `command_prefix` + the rest
// ("!status"); pubm sees it as written. A user's account is the message's account-tag, else
// what `accounts` learnt (extended-join, account-notify), else none.
std::vector<IrcDispatch> irc_binds(const irc::Message& m, const std::string& own_nick, const bindings::UserList& users,
                                   const irc::ISupport& isupport, std::string_view command_prefix = "!",
                                   const AccountTracker* accounts = nullptr);

}  // namespace chatops::bot
