#pragma once
// Connection registration as a pure state machine: PASS, CAP LS 302 (multi-line), CAP REQ of the
// capabilities we use, SASL (the configured mechanisms in order, see sasl.hpp), NICK/USER with
// alternative nicks, CAP END, 001. Fed with parsed server lines, it answers with the lines to
// send; it never touches a socket, so tests script a server. After 001 it keeps following
// CAP NEW/DEL/ACK (cap-notify).
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bot/irc/client_config.hpp"
#include "bot/irc/message.hpp"
#include "bot/irc/sasl.hpp"

namespace chatops::irc {

enum class SaslStatus { None, InProgress, Success, Failed, Unavailable };
std::string_view to_string(SaslStatus s);  // "none", "in-progress", "success", "failed", "unavailable"

class Registration {
 public:
  enum class State { Negotiating, Authenticating, Waiting, Registered, Failed };

  explicit Registration(ClientConfig config);

  // The opening lines: PASS (if any), CAP LS 302, NICK, USER.
  std::vector<Message> start();
  // One server line; returns the replies (empty for lines it does not care about).
  std::vector<Message> feed(const Message& m);

  State state() const { return state_; }
  bool registered() const { return state_ == State::Registered; }
  // Why registration must not go on (state Failed): the caller closes the link.
  const std::string& failure() const { return failure_; }
  const std::string& nick() const { return nick_; }  // asked for, then confirmed by 001
  bool has_cap(std::string_view cap) const { return enabled_.contains(std::string(cap)); }
  const std::set<std::string>& caps() const { return enabled_; }
  SaslStatus sasl() const { return sasl_; }
  // SASL failed because the server could not prove it knows the password (SCRAM): nothing else
  // that reveals a secret should be sent to it.
  bool server_refused() const { return server_refused_; }
  const std::string& account() const { return account_; }  // from 900, "" when not logged in
  // The value of the `sts` capability when a CAP LS or CAP NEW has just offered it (then empty
  // until offered again): the caller applies the policy (sts.hpp).
  std::optional<std::string> take_sts() { return std::exchange(sts_, std::nullopt); }

 private:
  std::vector<Message> on_cap(const Message& m);
  std::vector<Message> on_cap_ls_done();
  std::vector<Message> after_caps();  // SASL or CAP END once the REQ was answered
  std::vector<Message> next_mechanism();
  std::vector<Message> on_authenticate(const Message& m);
  std::vector<Message> on_sasl_failure(std::string_view why);
  std::vector<Message> sasl_finished(SaslStatus outcome, std::string_view why);
  std::vector<Message> cap_end();
  std::vector<Message> next_nick();
  std::vector<Message> on_welcome(const Message& m);
  std::vector<Message> fail(std::string why);

  ClientConfig config_;
  State state_ = State::Negotiating;
  std::string nick_;
  std::size_t nick_attempt_ = 0;
  std::string offered_;  // accumulated CAP LS tokens
  std::set<std::string> available_;
  std::set<std::string> enabled_;
  int pending_reqs_ = 0;
  bool cap_ended_ = false;
  std::optional<std::string> sts_;

  SaslStatus sasl_ = SaslStatus::None;
  std::vector<SaslMechanism> untried_;          // configured mechanisms not tried yet, in order
  std::optional<std::set<std::string>> server_mechanisms_;  // nullopt: the server did not say
  std::unique_ptr<SaslExchange> exchange_;
  AuthenticateReader reader_;
  bool a_mechanism_failed_ = false;
  bool server_refused_ = false;
  std::string account_;
  std::string failure_;
};

}  // namespace chatops::irc
