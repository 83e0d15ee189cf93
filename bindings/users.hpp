#pragma once
// The bot's user list (`users:`): who someone on IRC is, and which flags they hold.
//
//   users:
//     - {handle: alice, account: alice, hostmasks: ["*!alice@example.org"], flags: n}
//     - {handle: bob, hostmasks: ["bob!*@*.corp.example"], channels: {"#ops": o}}
//
// A person is recognised by their services account (account-tag, extended-join) first, then by
// the first hostmask (nick!user@host wildcards, `*` and `?`) that matches, in list order.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bindings/flags.hpp"
#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/text/casemap.hpp"

namespace chatops::bindings {

struct User {
  std::string handle;
  std::vector<std::string> hostmasks;
  std::string account;  // "" when matched by hostmask only
  FlagSet global_flags;
  std::vector<std::pair<std::string, FlagSet>> channel_flags;
  std::string added_by{};  // "" for a user of config.yml (owned by the file); else who added it from IRC

  // The user's flags on `channel` (empty when none, or when `channel` is "").
  FlagSet flags_on(std::string_view channel, text::CaseMapping mapping) const;
};

// Someone on IRC as the server shows them.
struct IrcIdentity {
  std::string_view nick, user, host;
  std::string_view account;  // "" when not logged in ("*" and "0" are treated as "")
};

class UserList {
 public:
  // Flags are completed with Eggdrop's implications (n ⇒ m ⇒ o).
  void add(User user);
  const User* find(const IrcIdentity& who, text::CaseMapping mapping) const;
  const User* by_handle(std::string_view handle, text::CaseMapping mapping) const;
  // Removes the user with this handle; false when there is none. Pointers to users (a bind
  // context's known_user) are invalidated by add() and remove(): change the list between dispatches.
  bool remove(std::string_view handle, text::CaseMapping mapping);
  const std::vector<User>& users() const { return users_; }

  // From the validated `users:` list (see user_schema()); an undefined node gives an empty list.
  static Result<UserList> from(const config::Node& users);

 private:
  std::vector<User> users_;
};

// One item of the `users:` list.
config::Schema user_schema();

// A user added from IRC, as the journal keeps it (JSON: handle, hostmasks, account, flags,
// channels, added_by), and back. Flags are stored as given (implications are added on load).
std::string user_to_json(const User& user);
Result<User> user_from_json(std::string_view text);

}  // namespace chatops::bindings
