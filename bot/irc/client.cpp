#include "bot/irc/client.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <utility>

#include "bot/irc/connection.hpp"
#include "bot/irc/sanitize.hpp"
#include "bot/irc/split.hpp"

namespace chatops::irc {
namespace {

constexpr auto kQuitGrace = std::chrono::seconds(2);
constexpr auto kRegainInterval = std::chrono::seconds(60);
constexpr double kBackoffMultiplier = 2.0;

Message line(std::string command, std::vector<std::string> params = {}) {
  return Message{{}, {}, std::move(command), std::move(params)};
}

const std::string& trailing(const Message& m) { return m.param(m.params.empty() ? 0 : m.params.size() - 1); }

bool is_join_failure(std::string_view c) {
  return c == "471" || c == "473" || c == "474" || c == "475" || c == "403" || c == "405" || c == "477" ||
         c == "489";
}

}  // namespace

std::string_view to_string(ClientState s) {
  switch (s) {
    case ClientState::Disconnected: return "disconnected";
    case ClientState::Connecting: return "connecting";
    case ClientState::Registering: return "registering";
    case ClientState::Registered: return "registered";
  }
  return "disconnected";
}

Client::Client(asio::io_context& io, ClientConfig config, StsPolicyStore* sts_store)
    : io_(io),
      config_(std::move(config)),
      queue_(config_.flood_burst, config_.flood_rate, config_.max_queue, Clock::now()),
      backoff_(config_.reconnect_initial, config_.reconnect_max, kBackoffMultiplier, config_.reconnect_jitter,
               std::random_device{}()),
      own_sts_store_(sts_store ? nullptr : std::make_unique<MemoryStsPolicyStore>()),
      sts_(sts_store ? *sts_store : *own_sts_store_),
      ctcp_("chatops-bot " CHATOPS_VERSION, Clock::now()),
      nick_(config_.nick),
      reconnect_timer_(io),
      register_timer_(io),
      ping_timer_(io),
      regain_timer_(io),
      send_timer_(io) {
  if (config_.servers.empty()) throw std::invalid_argument("irc::Client needs at least one server");
  publish();
}

Client::~Client() {
  *alive_ = false;
  if (conn_) conn_->close();
}

// ---- lifecycle -------------------------------------------------------------------------------

void Client::start() {
  if (started_) return;
  started_ = true;
  stopping_ = false;
  connect();
}

void Client::connect() {
  const auto& configured = config_.servers[server_index_];
  if (upgrade_) {
    current_ = *std::exchange(upgrade_, std::nullopt);
  } else {
    // A host under an STS policy is reached with TLS only, whatever the configuration says.
    current_ = sts_.route(configured, WallClock::now());
    if (current_.port != configured.port || current_.tls != configured.tls)
      spdlog::info("irc: STS policy for {}: TLS on port {} instead of port {}", configured.host, current_.port,
                   configured.port);
  }
  const auto& server = current_;
  state_ = ClientState::Connecting;
  publish();
  spdlog::info("irc: connecting to {}:{} ({})", server.host, server.port, server.tls ? "TLS" : "plain TCP, unencrypted");
  conn_ = std::make_shared<Connection>(io_);
  Connection::Handlers handlers;
  handlers.connected = [this](Result<void> r) { on_connected(r); };
  handlers.line = [this](std::string_view raw) { on_line(raw); };
  handlers.closed = [this](const std::string& reason) { lost(reason); };
  conn_->open(server, config_.tls, config_.connect_timeout, std::move(handlers));
}

void Client::on_connected(const Result<void>& result) {
  if (!result) return lost(result.error().message);
  spdlog::info("irc: connected to {}:{}, registering as {}", current_.host, current_.port, config_.nick);
  state_ = ClientState::Registering;
  nick_ = config_.nick;
  user_.clear();
  host_.clear();
  echo_message_ = false;
  isupport_ = ISupport{};
  reg_.emplace(config_);
  for (const auto& m : reg_->start()) priority(m);
  register_timer_.expires_after(config_.connect_timeout);
  register_timer_.async_wait([this, alive = alive_](const std::error_code& ec) {
    if (ec || !*alive || state_ != ClientState::Registering) return;
    lost("registration did not complete within " + std::to_string(config_.connect_timeout.count()) + " ms");
  });
  publish();
}

void Client::lost(std::string reason) {
  if (state_ == ClientState::Disconnected) return;
  const bool was_registered = state_ == ClientState::Registered;
  if (state_ != ClientState::Connecting) sts_.closed(current_, WallClock::now());
  if (conn_) conn_->close();
  conn_.reset();
  if (reg_) sasl_ = to_string(reg_->sasl());  // kept for status() until the next registration
  reg_.reset();
  nickserv_.reset();
  for (auto* timer : {&register_timer_, &ping_timer_, &regain_timer_, &send_timer_}) timer->cancel();
  send_armed_ = false;
  fail_all_batches();
  joined_.clear();
  state_ = ClientState::Disconnected;
  last_error_ = reason;
  if (stopping_)
    spdlog::info("irc: disconnected: {}", reason);
  else
    spdlog::warn("irc: {}: {}", was_registered ? "disconnected" : "connection failed", reason);
  publish();
  if (on_disconnected) on_disconnected(reason);
  if (!stopping_) schedule_reconnect();
}

void Client::schedule_reconnect() {
  if (upgrade_) {  // an STS upgrade: at once, to the same server
    reconnect_timer_.expires_after(Clock::duration::zero());
    reconnect_timer_.async_wait([this, alive = alive_](const std::error_code& ec) {
      if (!ec && *alive && !stopping_) connect();
    });
    return;
  }
  const auto delay = backoff_.next();
  server_index_ = (server_index_ + 1) % config_.servers.size();
  spdlog::info("irc: reconnecting in {} ms to {}", delay.count(), config_.servers[server_index_].host);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this, alive = alive_](const std::error_code& ec) {
    if (ec || !*alive || stopping_) return;
    ++reconnects_;
    connect();
  });
}

void Client::stop(std::string_view quit_message, std::function<void()> on_stopped) {
  stopping_ = true;
  started_ = false;
  reconnect_timer_.cancel();
  auto finish = [this, alive = alive_, on_stopped = std::move(on_stopped), done = std::make_shared<bool>(false)]() {
    if (*done || !*alive) return;
    *done = true;
    lost("stopped");
    if (on_stopped) on_stopped();
  };
  if (state_ == ClientState::Disconnected) return asio::post(io_, finish);
  if (state_ == ClientState::Connecting) return finish();
  // Straight to the socket: the queue may hold minutes of backlog.
  const auto lines = to_lines(quit_message);
  conn_->write(serialize(line("QUIT", {lines.empty() ? std::string() : lines.front()})), finish);
  reconnect_timer_.expires_after(kQuitGrace);
  reconnect_timer_.async_wait([finish](const std::error_code& ec) mutable {
    if (!ec) finish();
  });
}

// ---- inbound ---------------------------------------------------------------------------------

void Client::on_line(std::string_view raw) {
  last_rx_ = Clock::now();
  auto parsed = parse(raw);
  if (!parsed) {
    spdlog::warn("irc: ignoring an unparsable line: {}", parsed.error().message);
    return;
  }
  const Message& m = *parsed;
  handle(m);
  if (on_message && conn_) on_message(m);
}

void Client::handle(const Message& m) {
  const auto& c = m.command;
  if (c == "PING") return priority(line("PONG", {m.param(0)}), false);
  if (c == "PONG") return;  // last_rx_ already updated
  if (c == "ERROR") {
    spdlog::error("irc: the server closes the link: {}", m.param(0));
    if (on_message) on_message(m);  // on_line() will not: the link is gone below
    // Closed from our side too: a server that says ERROR and keeps the socket open gets no wait.
    return lost(reg_ && reg_->state() == Registration::State::Failed ? reg_->failure()
                                                                     : "ERROR from the server: " + m.param(0));
  }
  if (c == "005") isupport_.apply(m);
  if (reg_) {
    const bool was_registered = reg_->registered();
    const auto replies = reg_->feed(m);
    if (reg_->state() == Registration::State::Failed) {
      // Straight to the socket (the QUIT), then close: nothing else may go out unauthenticated.
      for (std::size_t i = 0; i + 1 < replies.size(); ++i) conn_->write(serialize(replies[i]));
      conn_->write(serialize(replies.back()), [this, why = reg_->failure(), alive = alive_] {
        if (*alive) lost(why);
      });
      return;
    }
    if (const auto sts = reg_->take_sts()) {
      on_sts(*sts);
      if (!reg_) return;  // closed for an STS upgrade
    }
    for (const auto& reply : replies) priority(reply);
    if (const bool echo = reg_->has_cap("echo-message"); echo != echo_message_) {  // CAP ACK, NEW or DEL
      echo_message_ = echo;
      publish();
    }
    if (!was_registered && reg_->registered()) return on_welcome(m);
    if (!reg_->registered() && nick_ != reg_->nick()) {
      nick_ = reg_->nick();
      publish();
    }
  }
  const auto source = m.prefix();
  if (c == "PRIVMSG" && state_ == ClientState::Registered && !is_self(source.nick))
    if (auto reply = ctcp_.answer(m, WallClock::now(), Clock::now())) send(*reply);
  if (c == "JOIN" && is_self(source.nick)) return on_own_join(m);
  if ((c == "PRIVMSG" || c == "NOTICE") && is_self(source.nick)) return on_echo(m);
  if (c == "PART" && is_self(source.nick)) {
    std::erase_if(joined_, [&](const auto& ch) { return fold(ch) == fold(m.param(0)); });
    return publish();
  }
  if (c == "KICK" && is_self(m.param(1))) {
    spdlog::warn("irc: kicked from {} by {}: {}", m.param(0), source.nick, m.param(2));
    std::erase_if(joined_, [&](const auto& ch) { return fold(ch) == fold(m.param(0)); });
    publish();
    if (!config_.rejoin_on_kick) return;
    for (const auto& ch : config_.channels)
      if (fold(ch.name) == fold(m.param(0)))
        priority(ch.key.empty() ? line("JOIN", {ch.name}) : line("JOIN", {ch.name, ch.key}));
    return;
  }
  if (c == "NICK" && is_self(source.nick)) {
    spdlog::info("irc: nick is now {}", m.param(0));
    nick_ = m.param(0);
    if (fold(nick_) == fold(config_.nick)) regain_timer_.cancel();
    return publish();
  }
  // The holder of our nick leaves or renames: take it back at once.
  if ((c == "NICK" || c == "QUIT") && fold(source.nick) == fold(config_.nick) && !is_self(config_.nick))
    return priority(line("NICK", {config_.nick}));
  if (c == "396" && m.params.size() >= 3) {  // RPL_VISIBLEHOST <nick> <host> :is now your displayed host
    host_ = m.param(1);
    return;
  }
  if (c == "CHGHOST" && is_self(source.nick)) {
    user_ = m.param(0);
    host_ = m.param(1);
    return;
  }
  if (c == "302") {  // USERHOST: "nick=+user@host" or "nick*=-user@host" for opers
    if (nickserv_)
      for (const auto& reply : nickserv_->feed(m, isupport_.casemapping())) priority(reply);
    std::string_view reply = trailing(m);
    reply = reply.substr(0, reply.find(' '));
    const auto eq = reply.find('=');
    if (eq == std::string_view::npos || eq + 2 >= reply.size()) return;
    auto nick = reply.substr(0, eq);
    if (nick.ends_with('*')) nick.remove_suffix(1);
    return learn_prefix(std::string(nick) + "!" + std::string(reply.substr(eq + 2)));
  }
  if (is_join_failure(c)) {
    spdlog::error("irc: cannot join {}: {} ({})", m.param(1), trailing(m), c);
    if (on_join_failed) on_join_failed(m.param(1), trailing(m) + " (" + c + ")");
    return;
  }
  if (c == "465") {
    spdlog::error("irc: banned from {} (465): {}", current_.host, trailing(m));
    return;
  }
  if (c == "404" || c == "401" || c == "406") {  // a line we sent was refused: fail its delivery
    const auto target = fold(m.param(1));
    auto it = std::ranges::find_if(echoes_, [&](const Echo& e) { return e.target == target; });
    if (it == echoes_.end()) return;
    const auto batch = it->batch;
    echoes_.erase(it);
    spdlog::warn("irc: {} refused a message: {}", m.param(1), trailing(m));
    line_done(batch, false);
  }
}

void Client::on_welcome(const Message& m) {
  nick_ = reg_->nick();
  // 001's last parameter often ends with our full prefix: "Welcome … nick!user@host".
  const auto& text = trailing(m);
  const auto last_word = std::string_view(text).substr(text.rfind(' ') == std::string::npos ? 0 : text.rfind(' ') + 1);
  if (last_word.find('!') != std::string_view::npos && last_word.find('@') != std::string_view::npos)
    learn_prefix(last_word);
  state_ = ClientState::Registered;
  register_timer_.cancel();
  backoff_.reset();
  // Registration lines went out unpaced (servers count them apart); the pacing starts now.
  queue_.refill(Clock::now());
  // Liveness from here on; before 001 the registration deadline bounds the wait.
  ping_sent_.reset();
  arm_ping();
  spdlog::info("irc: registered on {} as {} (SASL {}, caps: {})", current_.host, nick_,
               to_string(reg_->sasl()), fmt::join(reg_->caps(), " "));
  priority(line("USERHOST", {nick_}));
  if (!config_.nickserv.password.empty() && reg_->sasl() != SaslStatus::Success) {
    if (reg_->server_refused()) {
      spdlog::error("irc: not identifying to NickServ: the server could not prove it knows the SASL password");
    } else {
      nickserv_.emplace(config_.nickserv, config_.nick);
      for (const auto& l : nickserv_->start()) priority(l);
    }
  }
  join_all();
  if (fold(nick_) != fold(config_.nick)) arm_regain();
  publish();
  if (on_registered) on_registered();
  pump();
}

void Client::on_sts(std::string_view value) {
  const auto port = sts_.offered(current_, value, config_.tls.verify, WallClock::now());
  if (!port) return;
  spdlog::info("irc: STS: {} asks for TLS on port {}: reconnecting", current_.host, *port);
  upgrade_ = ServerConfig{current_.host, *port, true};
  lost("STS: reconnecting with TLS on port " + std::to_string(*port));
}

void Client::on_own_join(const Message& m) {
  learn_prefix(m.source);
  const auto& channel = m.param(0);
  if (!in_channel(channel)) joined_.push_back(channel);
  spdlog::info("irc: joined {}", channel);
  publish();
  if (on_joined) on_joined(channel);
}

void Client::on_echo(const Message& m) {
  if (!echo_message_) return;
  const auto target = fold(m.param(0));
  auto it = std::ranges::find_if(echoes_, [&](const Echo& e) { return e.target == target; });
  if (it == echoes_.end()) return;
  const auto batch = it->batch;
  echoes_.erase(it);
  line_done(batch, true);
}

void Client::join_all() {
  for (const auto& ch : config_.channels)
    priority(ch.key.empty() ? line("JOIN", {ch.name}) : line("JOIN", {ch.name, ch.key}));
}

// ---- liveness --------------------------------------------------------------------------------

void Client::arm_ping() {
  const auto at = ping_sent_ ? *ping_sent_ + config_.ping_timeout : last_rx_ + config_.ping_interval;
  ping_timer_.expires_at(at);
  ping_timer_.async_wait([this, alive = alive_](const std::error_code& ec) {
    if (!ec && *alive && conn_) on_ping_timer();
  });
}

void Client::on_ping_timer() {
  const auto now = Clock::now();
  if (ping_sent_) {
    if (last_rx_ < *ping_sent_)
      return lost("no reply to PING within " + std::to_string(config_.ping_timeout.count() / 1000) + " s");
    ping_sent_.reset();
  } else if (now - last_rx_ >= config_.ping_interval) {
    ping_sent_ = now;
    priority(line("PING", {"chatops"}));
  }
  arm_ping();
}

void Client::arm_regain() {
  regain_timer_.expires_after(kRegainInterval);
  regain_timer_.async_wait([this, alive = alive_](const std::error_code& ec) {
    if (ec || !*alive || state_ != ClientState::Registered || fold(nick_) == fold(config_.nick)) return;
    priority(line("NICK", {config_.nick}));
    arm_regain();
  });
}

// ---- outbound --------------------------------------------------------------------------------

void Client::say(std::string target, std::string text, std::function<void(bool)> on_done) {
  this->text("PRIVMSG", std::move(target), std::move(text), std::move(on_done));
}

void Client::notice(std::string target, std::string text, std::function<void(bool)> on_done) {
  this->text("NOTICE", std::move(target), std::move(text), std::move(on_done));
}

void Client::text(std::string_view command, std::string target, std::string text, std::function<void(bool)> on_done) {
  const auto refuse = [&](std::string_view why) {
    spdlog::warn("irc: not sending to {}: {}", target, why);
    if (on_done) asio::post(io_, [done = std::move(on_done)] { done(false); });
  };
  target = sanitize_param(target);
  if (target.empty()) return refuse("empty target");
  if (state_ != ClientState::Registered) return refuse("not connected");
  std::vector<std::string> pieces;
  const auto budget = privmsg_budget(command, target, own_prefix());
  if (budget < 4) return refuse("target name too long");
  for (const auto& l : to_lines(text))
    for (auto& piece : split_message(l, budget)) pieces.push_back(std::move(piece));
  if (pieces.empty()) {
    if (on_done) asio::post(io_, [done = std::move(on_done)] { done(true); });
    return;
  }
  if (queue_.room() < pieces.size()) return refuse("output queue full");
  const auto folded = fold(target);
  const auto id = next_batch_++;
  batches_[id] = Batch{folded, pieces.size(), std::move(on_done)};
  for (auto& piece : pieces)
    queue_.push(folded, {serialize(line(std::string(command), {target, std::move(piece)})), id, true});
  publish();
  pump();
}

void Client::send(const Message& m) {
  if (state_ != ClientState::Registered) {
    spdlog::warn("irc: not connected, dropping {}", m.command);
    return;
  }
  std::string target = m.params.empty() ? std::string() : fold(m.param(0));
  if (!queue_.push(target, {serialize(m), 0, true})) spdlog::warn("irc: output queue full, dropping {}", m.command);
  pump();
}

void Client::priority(const Message& m, bool counted) {
  // Before 001 nothing is paced: servers apply their flood limits to registered clients.
  queue_.push_priority({serialize(m), 0, counted && state_ == ClientState::Registered});
  pump();
}

void Client::pump() {
  if (!conn_ || state_ == ClientState::Connecting || state_ == ClientState::Disconnected) return;
  const auto now = Clock::now();
  while (auto next = queue_.pop(now)) {
    ++lines_sent_;
    const auto batch = next->id;
    if (const auto it = batches_.find(batch); it != batches_.end() && echo_message_)
      echoes_.push_back({it->second.target, batch});
    conn_->write(std::move(next->text), [this, batch, alive = alive_] {
      if (*alive) written(batch);
    });
  }
  publish();
  const auto wait = queue_.wait(now);
  if (!wait || send_armed_) return;
  send_armed_ = true;
  send_timer_.expires_after(*wait);
  send_timer_.async_wait([this, alive = alive_](const std::error_code& ec) {
    if (ec || !*alive) return;
    send_armed_ = false;
    pump();
  });
}

void Client::written(std::uint64_t batch) {
  if (batch != 0 && !echo_message_) line_done(batch, true);
}

void Client::line_done(std::uint64_t batch, bool ok) {
  auto it = batches_.find(batch);
  if (it == batches_.end()) return;
  if (ok && --it->second.remaining > 0) return;
  auto done = std::move(it->second.done);
  batches_.erase(it);
  // Drop the batch's other lines still waiting for echoes: it has already failed.
  if (!ok) std::erase_if(echoes_, [&](const Echo& e) { return e.batch == batch; });
  if (done) done(ok);
}

void Client::fail_all_batches() {
  queue_.clear();
  echoes_.clear();
  auto batches = std::move(batches_);
  batches_.clear();
  for (auto& [id, b] : batches)
    if (b.done) b.done(false);
}

// ---- state -----------------------------------------------------------------------------------

std::string Client::fold(std::string_view s) const { return text::fold(s, isupport_.casemapping()); }

bool Client::is_self(std::string_view nick) const { return !nick.empty() && fold(nick) == fold(nick_); }

bool Client::in_channel(std::string_view channel) const {
  const auto folded = fold(channel);
  return std::ranges::any_of(joined_, [&](const auto& ch) { return fold(ch) == folded; });
}

std::string Client::own_prefix() const {
  if (user_.empty() && host_.empty()) return worst_case_prefix(nick_);
  // Half known (396 gives only the host): guess the other half long.
  const auto guess = split_prefix(worst_case_prefix(nick_));
  return nick_ + "!" + (user_.empty() ? guess.user : user_) + "@" + (host_.empty() ? guess.host : host_);
}

void Client::learn_prefix(std::string_view source) {
  const auto p = split_prefix(source);
  if (p.user.empty() || p.host.empty() || !is_self(p.nick)) return;
  if (p.user == user_ && p.host == host_) return;
  user_ = p.user;
  host_ = p.host;
  spdlog::debug("irc: we are {}", own_prefix());
}

void Client::publish() {
  ClientStatus s;
  s.state = state_;
  const auto& server = current_.host.empty() ? config_.servers[server_index_] : current_;
  s.server = server.host + ":" + std::to_string(server.port);
  s.nick = nick_;
  s.joined = joined_;
  if (reg_) sasl_ = to_string(reg_->sasl());
  s.sasl = sasl_;
  s.reconnects = reconnects_;
  s.lines_sent = lines_sent_;
  s.lines_queued = queue_.size();
  s.echo_message = echo_message_;
  s.last_error = last_error_;
  std::lock_guard lock(status_mutex_);
  status_ = std::move(s);
}

ClientStatus Client::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

}  // namespace chatops::irc
