#pragma once
// NickServ IDENTIFY, sent only to a service the server vouches for: either a "Nick@server"
// target, which the server delivers only to that (services) server's client, or a nick whose
// nick!user@host, asked with USERHOST, matches the configured mask. Whoever holds the nick
// NickServ on a network without services never sees the password. Pure logic.
#include <string>
#include <vector>

#include "bot/irc/client_config.hpp"
#include "bot/irc/message.hpp"
#include "core/text/casemap.hpp"

namespace chatops::irc {

class NickServIdentify {
 public:
  // `nick`: the account nick sent with IDENTIFY (the configured nick).
  NickServIdentify(NickServConfig config, std::string nick);

  // After 001: the IDENTIFY to a Nick@server service, or the USERHOST that checks the service.
  std::vector<Message> start();
  // Server lines: the USERHOST reply (302) naming the service answers with IDENTIFY when its
  // nick!user@host matches the mask, and with nothing (logged) when it does not.
  std::vector<Message> feed(const Message& m, text::CaseMapping casemapping);

 private:
  Message identify() const;

  NickServConfig config_;
  std::string nick_;
  bool waiting_ = false;
};

}  // namespace chatops::irc
