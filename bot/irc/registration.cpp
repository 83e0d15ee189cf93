#include "bot/irc/registration.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <spdlog/spdlog.h>
#include <utility>

namespace chatops::irc {
namespace {

// The IRCv3 capabilities the client uses, requested when offered (sasl separately, when configured).
// account-notify, extended-join and account-tag tell whose account a nick is logged in to.
constexpr std::array kWanted = {"server-time",   "message-tags", "echo-message", "account-tag",
                                "extended-join", "multi-prefix", "cap-notify",   "chghost",
                                "account-notify", "away-notify"};
constexpr std::size_t kMaxNickAttempts = 30;

Message line(std::string command, std::vector<std::string> params = {}) {
  return Message{{}, {}, std::move(command), std::move(params)};
}

std::vector<std::string> split(std::string_view s, char separator) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto end = std::min(s.find(separator, pos), s.size());
    if (end > pos) out.emplace_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::vector<std::string> words(std::string_view s) { return split(s, ' '); }

bool wanted(std::string_view cap) { return std::ranges::find(kWanted, cap) != kWanted.end(); }

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

Registration::Registration(ClientConfig config)
    : config_(std::move(config)), nick_(config_.nick), untried_(config_.sasl.mechanisms) {}

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
    if (exchange_ && !exchange_->complete()) {
      server_refused_ = true;
      return sasl_finished(SaslStatus::Failed, "the server claims success (903) without proving it knows the password");
    }
    return sasl_finished(SaslStatus::Success, "authentication successful (903)");
  } else if (c == "904") {
    return on_sasl_failure("authentication failed (904): wrong credentials or mechanism");
  } else if (c == "905") {
    return on_sasl_failure("message too long (905)");
  } else if (c == "906") {
    return on_sasl_failure("aborted (906)");
  } else if (c == "907") {
    return sasl_finished(SaslStatus::Success, "already authenticated (907)");
  } else if (c == "902") {
    return sasl_finished(SaslStatus::Failed, "nick locked, account unavailable (902)");
  } else if (c == "908") {
    // RPL_SASLMECHS: what the server accepts; the mechanisms it lacks are not tried.
    const auto mechanisms = split(m.param(1), ',');
    server_mechanisms_.emplace(mechanisms.begin(), mechanisms.end());
    spdlog::warn("irc: SASL: server mechanisms are {}", m.param(1));
  } else if (c == "433" || c == "432" || c == "437") {
    spdlog::warn("irc: nick {} refused ({} {})", m.param(1), c, m.params.empty() ? "" : m.params.back());
    return next_nick();
  } else if (c == "421" && m.param(1) == "CAP") {
    spdlog::info("irc: server does not support CAP");
    cap_ended_ = true;
    state_ = State::Waiting;
    if (config_.sasl.enabled()) sasl_ = SaslStatus::Unavailable;
    if (config_.sasl_required) return fail("the server does not support CAP, so no SASL, and sasl_required is set");
  }
  return {};
}

std::vector<Message> Registration::on_cap(const Message& m) {
  const auto& sub = m.param(1);
  const auto& last = m.params.empty() ? m.param(0) : m.params.back();
  if (sub == "LS" || sub == "NEW") {
    for (const auto& token : words(last))
      if (token == "sts" || token.starts_with("sts=")) sts_ = token.size() > 3 ? token.substr(4) : "";
  }
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
      if (wanted(cap) && !enabled_.contains(cap)) req += (req.empty() ? "" : " ") + cap;
    }
    if (req.empty()) return {};
    ++pending_reqs_;
    return {line("CAP", {"REQ", req})};
  }
  if (sub == "DEL") {
    // sts cannot be withdrawn this way (its duration does that), and it is never enabled.
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
  if (config_.sasl.enabled()) {
    // Asked for whatever mechanisms are listed: the list may be partial (CAP 3.1 lists none), and
    // the exchange itself says what works (908).
    if (const auto sasl = offered.find("sasl"); sasl != offered.end()) {
      add("sasl");
      if (!sasl->second.empty()) {
        const auto mechanisms = split(sasl->second, ',');
        server_mechanisms_.emplace(mechanisms.begin(), mechanisms.end());
      }
    } else {
      sasl_ = SaslStatus::Unavailable;
      spdlog::warn("irc: the server does not offer SASL");
      if (config_.sasl_required) return fail("the server does not offer SASL and sasl_required is set");
    }
  }
  if (req.empty()) return after_caps();
  pending_reqs_ = 1;
  return {line("CAP", {"REQ", req})};
}

std::vector<Message> Registration::after_caps() {
  if (config_.sasl.enabled() && sasl_ == SaslStatus::None) {
    if (has_cap("sasl")) {
      sasl_ = SaslStatus::InProgress;
      state_ = State::Authenticating;
      return next_mechanism();
    }
    sasl_ = SaslStatus::Unavailable;
    if (config_.sasl_required) return fail("the server refused the sasl capability and sasl_required is set");
  }
  return cap_end();
}

std::vector<Message> Registration::next_mechanism() {
  while (!untried_.empty()) {
    const auto mechanism = untried_.front();
    untried_.erase(untried_.begin());
    const auto name = std::string(mechanism_name(mechanism));
    if (server_mechanisms_ && !server_mechanisms_->contains(name)) {
      spdlog::info("irc: SASL: the server does not offer {}", name);
      continue;
    }
    exchange_ = make_exchange(mechanism, config_.sasl);
    reader_ = AuthenticateReader{};
    return {line("AUTHENTICATE", {name})};
  }
  exchange_.reset();
  if (a_mechanism_failed_) return sasl_finished(SaslStatus::Failed, "no configured mechanism succeeded");
  return sasl_finished(SaslStatus::Unavailable, "the server offers none of the configured mechanisms");
}

std::vector<Message> Registration::on_authenticate(const Message& m) {
  if (state_ != State::Authenticating || !exchange_) return {};
  const auto status = reader_.feed(m.param(0));
  if (status == AuthenticateReader::Status::More) return {};
  Result<std::string> response = chatops::fail("malformed AUTHENTICATE from the server");
  if (status == AuthenticateReader::Status::Done) response = exchange_->respond(reader_.take());
  if (!response) {
    spdlog::error("irc: SASL {}: {}; aborting", mechanism_name(exchange_->mechanism()), response.error().message);
    return {line("AUTHENTICATE", {"*"})};  // the server answers 906, and the next mechanism is tried
  }
  return authenticate_lines(*response);
}

std::vector<Message> Registration::on_sasl_failure(std::string_view why) {
  if (sasl_ != SaslStatus::InProgress) return {};
  const auto name = exchange_ ? mechanism_name(exchange_->mechanism()) : "";
  if (exchange_ && exchange_->server_refused()) {
    server_refused_ = true;
    untried_.clear();  // a server that failed to prove it knows the password gets nothing else
  }
  spdlog::error("irc: SASL {} as {}: {}", name, config_.sasl.username, why);
  a_mechanism_failed_ = true;
  return next_mechanism();
}

std::vector<Message> Registration::sasl_finished(SaslStatus outcome, std::string_view why) {
  if (sasl_ != SaslStatus::InProgress) return {};
  sasl_ = outcome;
  if (outcome == SaslStatus::Success) {
    spdlog::info("irc: SASL {}: {}", mechanism_name(exchange_ ? exchange_->mechanism() : SaslMechanism::Plain), why);
  } else {
    spdlog::error("irc: SASL as {}: {}", config_.sasl.username, why);
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
  return {};
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
