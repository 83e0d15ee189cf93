#include "bot/irc/nickserv.hpp"

#include <spdlog/spdlog.h>
#include <utility>

#include "core/text/wildcard.hpp"

namespace chatops::irc {

NickServIdentify::NickServIdentify(NickServConfig config, std::string nick)
    : config_(std::move(config)), nick_(std::move(nick)) {}

Message NickServIdentify::identify() const {
  return Message{{}, {}, "PRIVMSG", {config_.service, "IDENTIFY " + nick_ + " " + config_.password}};
}

std::vector<Message> NickServIdentify::start() {
  if (config_.service.find('@') != std::string::npos) {
    spdlog::info("irc: identifying to {} as {}", config_.service, nick_);
    return {identify()};
  }
  waiting_ = true;
  spdlog::info("irc: checking that {} matches {} before identifying", config_.service, config_.mask);
  return {Message{{}, {}, "USERHOST", {config_.service}}};
}

std::vector<Message> NickServIdentify::feed(const Message& m, text::CaseMapping casemapping) {
  if (!waiting_ || m.command != "302") return {};
  // "nick=+user@host nick2*=-user@host…": '*' marks an operator, '+'/'-' here/away.
  const auto& reply = m.params.empty() ? std::string() : m.params.back();
  std::size_t pos = 0;
  while (pos < reply.size()) {
    const auto end = std::min(reply.find(' ', pos), reply.size());
    const std::string_view entry(reply.data() + pos, end - pos);
    pos = end + 1;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq + 2 > entry.size()) continue;
    auto nick = entry.substr(0, eq);
    if (nick.ends_with('*')) nick.remove_suffix(1);
    if (text::fold(nick, casemapping) != text::fold(config_.service, casemapping)) continue;
    waiting_ = false;
    const auto source = std::string(nick) + "!" + std::string(entry.substr(eq + 2));
    if (!text::wildcard_match(config_.mask, source, {.casemapping = casemapping})) {
      spdlog::error("irc: {} is {}, which does not match {}: not identifying (no services, or an impostor)",
                    config_.service, source, config_.mask);
      return {};
    }
    spdlog::info("irc: identifying to {} ({}) as {}", config_.service, source, nick_);
    return {identify()};
  }
  return {};
}

}  // namespace chatops::irc
