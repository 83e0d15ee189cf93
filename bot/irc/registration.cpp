#include "bot/irc/registration.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <spdlog/spdlog.h>

#include "core/crypto.hpp"

namespace chatops::irc {
namespace {

// The IRCv3 capabilities the client uses, requested when offered (sasl separately, when configured).
constexpr std::array kWanted = {"server-time", "message-tags", "echo-message", "account-tag", "extended-join",
                                "multi-prefix", "cap-notify",  "chghost"};
constexpr std::size_t kChunk = 400;  // AUTHENTICATE payload chunk (IRCv3 SASL 3.1)
constexpr std::size_t kMaxNickAttempts = 30;

Message line(std::string command, std::vector<std::string> params = {}) {
  return Message{{}, {}, std::move(command), std::move(params)};
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto end = std::min(s.find(' ', pos), s.size());
    if (end > pos) out.emplace_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string_view mechanism_name(SaslMechanism m) { return m == SaslMechanism::External ? "EXTERNAL" : "PLAIN"; }

// "sasl=PLAIN,EXTERNAL" offers PLAIN; a bare "sasl" (CAP 301 servers) offers anything.
bool offers_mechanism(std::string_view value, std::string_view mechanism) {
  if (value.empty()) return true;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    const auto end = std::min(value.find(',', pos), value.size());
    if (value.substr(pos, end - pos) == mechanism) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

std::string_view to_string(SaslStatus s) {
  switch (s) {
    case SaslStatus::None: return "none";
    case SaslStatus::InProgress: return "in-progress";
    case SaslStatus::Success: return "success";
    case SaslStatus::Failed: return "failed";
    case SaslStatus::Unavailable: return "unavailable";
  }
  return "none";
}

std::vector<Message> authenticate_lines(std::string_view payload) {
  const std::string encoded = crypto::to_base64(payload);
  std::vector<Message> out;
  for (std::size_t pos = 0; pos < encoded.size(); pos += kChunk) out.push_back(line("AUTHENTICATE", {encoded.substr(pos, kChunk)}));
  if (encoded.size() % kChunk == 0) out.push_back(line("AUTHENTICATE", {"+"}));
  return out;
}

Registration::Registration(ClientConfig config) : config_(std::move(config)), nick_(config_.nick) {}

std::vector<Message> Registration::start() {
  std::vector<Message> out;
  if (!config_.password.empty()) out.push_back(line("PASS", {config_.password}));
  out.push_back(line("CAP", {"LS", "302"}));
  out.push_back(line("NICK", {nick_}));
  out.push_back(line("USER", {config_.username, "0", "*", config_.realname}));
  return out;
}

std::vector<Message> Registration::feed(const Message& m) {
  if (state_ == State::Failed) return {};
  const auto& c = m.command;
  if (c == "CAP") return on_cap(m);
  if (registered()) return {};
  if (c == "AUTHENTICATE") return on_authenticate(m);
  if (c == "001") return on_welcome(m);
  if (c == "900") {
    account_ = m.param(2);
    spdlog::info("irc: SASL: logged in as account {}", account_);
  } else if (c == "903") {
    return sasl_finished(SaslStatus::Success, "authentication successful (903)");
  } else if (c == "904") {
    return sasl_finished(SaslStatus::Failed, "authentication failed (904): wrong credentials or mechanism");
  } else if (c == "905") {
    return sasl_finished(SaslStatus::Failed, "message too long (905)");
  } else if (c == "906") {
    return sasl_finished(SaslStatus::Failed, "aborted (906)");
  } else if (c == "907") {
    return sasl_finished(SaslStatus::Success, "already authenticated (907)");
  } else if (c == "902") {
    return sasl_finished(SaslStatus::Failed, "nick locked, account unavailable (902)");
  } else if (c == "908") {
    spdlog::warn("irc: SASL: server mechanisms are {}", m.param(1));
  } else if (c == "433" || c == "432" || c == "437") {
    spdlog::warn("irc: nick {} refused ({} {})", m.param(1), c, m.params.empty() ? "" : m.params.back());
    return next_nick();
  } else if (c == "421" && m.param(1) == "CAP") {
    spdlog::info("irc: server does not support CAP");
    cap_ended_ = true;
    state_ = State::Waiting;
    if (config_.sasl.mechanism != SaslMechanism::None) sasl_ = SaslStatus::Unavailable;
    if (config_.sasl_required) return fail("the server does not support CAP, so no SASL, and sasl_required is set");
  }
  return {};
}

std::vector<Message> Registration::on_cap(const Message& m) {
  const auto& sub = m.param(1);
  const auto& last = m.params.empty() ? m.param(0) : m.params.back();
  if (sub == "LS") {
    if (registered()) return {};
    offered_ += ' ';
    offered_ += last;
    // "CAP * LS * :caps…" continues; the last line has no "*".
    if (m.params.size() >= 4 && m.param(2) == "*") return {};
    return on_cap_ls_done();
  }
  if (sub == "ACK" || sub == "NAK") {
    for (const auto& cap : words(last)) {
      if (sub == "NAK")
        spdlog::warn("irc: server refused capability {}", cap);
      else if (cap.starts_with('-'))
        enabled_.erase(cap.substr(1));
      else
        enabled_.insert(cap);
    }
    if (pending_reqs_ > 0) --pending_reqs_;
    if (registered() || pending_reqs_ > 0) return {};
    return after_caps();
  }
  if (sub == "NEW") {
    std::string req;
    for (auto cap : words(last)) {
      cap = cap.substr(0, cap.find('='));
      available_.insert(cap);
      if (std::ranges::find(kWanted, cap) != kWanted.end() && !enabled_.contains(cap)) req += (req.empty() ? "" : " ") + cap;
    }
    if (req.empty()) return {};
    ++pending_reqs_;
    return {line("CAP", {"REQ", req})};
  }
  if (sub == "DEL") {
    for (const auto& cap : words(last)) {
      available_.erase(cap);
      enabled_.erase(cap);
    }
  }
  return {};
}

std::vector<Message> Registration::on_cap_ls_done() {
  std::map<std::string, std::string, std::less<>> offered;
  for (const auto& token : words(offered_)) {
    const auto eq = token.find('=');
    offered[token.substr(0, eq)] = eq == std::string::npos ? "" : token.substr(eq + 1);
  }
  std::string req;
  const auto add = [&req](std::string_view cap) {
    if (!req.empty()) req += ' ';
    req += cap;
  };
  for (const auto& [cap, value] : offered) available_.insert(cap);
  for (const auto* cap : kWanted)
    if (offered.contains(cap)) add(cap);
  if (config_.sasl.mechanism != SaslMechanism::None) {
    const auto mech = mechanism_name(config_.sasl.mechanism);
    const auto sasl = offered.find("sasl");
    if (sasl != offered.end() && offers_mechanism(sasl->second, mech)) {
      add("sasl");
    } else {
      sasl_ = SaslStatus::Unavailable;
      spdlog::warn("irc: SASL {} is not offered by the server (sasl={})", mech,
                   sasl == offered.end() ? "absent" : sasl->second);
      if (config_.sasl_required) return fail(fmt::format("the server does not offer SASL {} and sasl_required is set", mech));
    }
  }
  if (req.empty()) return after_caps();
  pending_reqs_ = 1;
  return {line("CAP", {"REQ", req})};
}

std::vector<Message> Registration::after_caps() {
  if (config_.sasl.mechanism != SaslMechanism::None && sasl_ == SaslStatus::None) {
    if (has_cap("sasl")) {
      sasl_ = SaslStatus::InProgress;
      state_ = State::Authenticating;
      return {line("AUTHENTICATE", {std::string(mechanism_name(config_.sasl.mechanism))})};
    }
    sasl_ = SaslStatus::Unavailable;
    if (config_.sasl_required) return fail("the server refused the sasl capability and sasl_required is set");
  }
  return cap_end();
}

std::vector<Message> Registration::on_authenticate(const Message& m) {
  if (state_ != State::Authenticating) return {};
  // InspIRCd sends "AUTHENTICATE :+", others "AUTHENTICATE +": the parsed parameter is the same.
  if (m.param(0) != "+") return {line("AUTHENTICATE", {"*"})};  // PLAIN/EXTERNAL expect no challenge
  if (config_.sasl.mechanism == SaslMechanism::External) return authenticate_lines("");
  std::string payload;
  payload += '\0';  // empty authzid: act as the authenticated account
  payload += config_.sasl.username;
  payload += '\0';
  payload += config_.sasl.password;
  return authenticate_lines(payload);
}

std::vector<Message> Registration::sasl_finished(SaslStatus outcome, std::string_view why) {
  if (sasl_ != SaslStatus::InProgress) return {};
  sasl_ = outcome;
  if (outcome == SaslStatus::Success) {
    spdlog::info("irc: SASL {}: {}", mechanism_name(config_.sasl.mechanism), why);
  } else {
    spdlog::error("irc: SASL {} as {}: {}", mechanism_name(config_.sasl.mechanism), config_.sasl.username, why);
    if (config_.sasl_required) return fail(fmt::format("SASL {}; sasl_required is set, so the bot does not register", why));
  }
  return cap_end();
}

std::vector<Message> Registration::cap_end() {
  state_ = State::Waiting;
  if (cap_ended_) return {};
  cap_ended_ = true;
  return {line("CAP", {"END"})};
}

std::vector<Message> Registration::next_nick() {
  ++nick_attempt_;
  if (nick_attempt_ > kMaxNickAttempts) return fail("no nickname was accepted");
  const auto& alts = config_.alt_nicks;
  nick_ = nick_attempt_ <= alts.size() ? alts[nick_attempt_ - 1]
                                       : config_.nick + std::to_string(nick_attempt_ - alts.size());
  return {line("NICK", {nick_})};
}

std::vector<Message> Registration::on_welcome(const Message& m) {
  nick_ = m.param(0);
  if (config_.sasl_required && sasl_ != SaslStatus::Success)
    return fail("registered without SASL success and sasl_required is set");
  state_ = State::Registered;
  std::vector<Message> out;
  if (!config_.nickserv.password.empty() && sasl_ != SaslStatus::Success) {
    spdlog::info("irc: identifying to {} as {}", config_.nickserv.service, config_.nick);
    out.push_back(line("PRIVMSG", {config_.nickserv.service, "IDENTIFY " + config_.nick + " " + config_.nickserv.password}));
  }
  return out;
}

std::vector<Message> Registration::fail(std::string why) {
  spdlog::error("irc: {}", why);
  state_ = State::Failed;
  failure_ = std::move(why);
  std::vector<Message> out;
  out.push_back(line("QUIT", {"authentication required"}));
  return out;
}

}  // namespace chatops::irc
