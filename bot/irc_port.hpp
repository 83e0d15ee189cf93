#pragma once
// The dispatcher's view of the IRC client: channels must be joined, nicks are always reachable
// while registered.
#include "bot/dispatcher.hpp"
#include "bot/irc/client.hpp"

namespace chatops::bot {

class ClientPort final : public IrcPort {
 public:
  // `muted`: whether a target is muted from IRC (its lines wait in the journal); none when empty.
  explicit ClientPort(irc::Client& client, std::function<bool(const std::string&)> muted = {})
      : client_(client), muted_(std::move(muted)) {}

  bool can_speak_to(const std::string& target) const override {
    if (!client_.registered() || (muted_ && muted_(target))) return false;
    return client_.isupport().is_channel(target) ? client_.in_channel(target) : true;
  }

  std::size_t line_width(const std::string& target, bool notice) const override {
    return client_.line_width(target, notice);
  }

  void say(const Send& send, std::function<void(bool)> on_done) override {
    if (send.notice)
      client_.notice(send.target, send.text, std::move(on_done));
    else
      client_.say(send.target, send.text, std::move(on_done));
  }

 private:
  irc::Client& client_;
  std::function<bool(const std::string&)> muted_;
};

}  // namespace chatops::bot
