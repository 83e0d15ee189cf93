#pragma once
// What the server says it supports (005 RPL_ISUPPORT), with the defaults that apply before it does.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bot/irc/message.hpp"
#include "core/text/casemap.hpp"

namespace chatops::irc {

class ISupport {
 public:
  // Applies every token of one 005 line (params between our nick and the closing text).
  void apply(const Message& rpl_isupport);
  // Applies one token: "KEY", "KEY=value" (value escapes \xHH decoded) or "-KEY" (back to default).
  void apply_token(std::string_view token);

  // The decoded value of any advertised token ("" when it has none), nullopt when not advertised.
  std::optional<std::string> get(std::string_view key) const;

  text::CaseMapping casemapping() const { return casemapping_; }  // default rfc1459
  const std::string& chantypes() const { return chantypes_; }     // default "#&"
  const std::string& prefix_modes() const { return prefix_modes_; }      // default "ov"
  const std::string& prefix_symbols() const { return prefix_symbols_; }  // default "@+", same order
  const std::string& network() const { return network_; }         // "" until advertised
  std::optional<std::size_t> nicklen() const { return number("NICKLEN"); }
  std::optional<std::size_t> channellen() const { return number("CHANNELLEN"); }
  std::optional<std::size_t> linelen() const { return number("LINELEN"); }

  bool is_channel(std::string_view name) const;

 private:
  std::optional<std::size_t> number(std::string_view key) const;
  void update();

  std::map<std::string, std::string, std::less<>> tokens_;
  text::CaseMapping casemapping_ = text::CaseMapping::Rfc1459;
  std::string chantypes_ = "#&";
  std::string prefix_modes_ = "ov";
  std::string prefix_symbols_ = "@+";
  std::string network_;
};

}  // namespace chatops::irc
