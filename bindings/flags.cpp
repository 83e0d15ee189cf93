#include "bindings/flags.hpp"

namespace chatops::bindings {
namespace {

bool is_flag_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int bit_of(char letter) { return letter >= 'a' ? letter - 'a' : 26 + (letter - 'A'); }

// One side of a mask: "", "-", "*", or letters with an optional leading '+'.
Result<FlagSet> parse_side(std::string_view side) {
  if (side.empty() || side == "-" || side == "*") return FlagSet{};
  if (side.front() == '+') side.remove_prefix(1);
  return FlagSet::parse(side);
}

}  // namespace

Result<FlagSet> FlagSet::parse(std::string_view letters) {
  FlagSet set;
  for (char c : letters) {
    if (!is_flag_letter(c)) return fail("invalid flag character '" + std::string(1, c) + "' (flags are letters a-z, A-Z)");
    set.add(c);
  }
  return set;
}

void FlagSet::add(char letter) { bits_ |= std::uint64_t{1} << bit_of(letter); }

bool FlagSet::has(char letter) const {
  return is_flag_letter(letter) && (bits_ & (std::uint64_t{1} << bit_of(letter))) != 0;
}

FlagSet FlagSet::with_implied() const {
  FlagSet out = *this;
  if (out.has('n')) out.add('m');
  if (out.has('m')) out.add('o');
  return out;
}

std::string FlagSet::str() const {
  std::string out;
  for (char c = 'a'; c <= 'z'; ++c)
    if (has(c)) out += c;
  for (char c = 'A'; c <= 'Z'; ++c)
    if (has(c)) out += c;
  return out.empty() ? "-" : out;
}

Result<FlagMask> FlagMask::parse(std::string_view text) {
  const auto separator = text.find_first_of("|&");
  if (separator != std::string_view::npos && text.find_first_of("|&", separator + 1) != std::string_view::npos)
    return fail("invalid flags \"" + std::string(text) + "\": at most one '|' or '&'");
  FlagMask mask;
  auto global = parse_side(text.substr(0, separator));
  if (!global) return fail("invalid flags \"" + std::string(text) + "\": " + global.error().message);
  mask.global_ = *global;
  if (separator != std::string_view::npos) {
    auto channel = parse_side(text.substr(separator + 1));
    if (!channel) return fail("invalid flags \"" + std::string(text) + "\": " + channel.error().message);
    mask.channel_ = *channel;
    mask.require_both_ = text[separator] == '&';
  }
  return mask;
}

bool FlagMask::matches(FlagSet global, FlagSet channel) const {
  if (anyone()) return true;
  if (require_both_) return global.contains_all(global_) && channel.contains_all(channel_);
  return global.intersects(global_) || channel.intersects(channel_);
}

std::string FlagMask::str() const {
  return global_.str() + (require_both_ ? "&" : "|") + channel_.str();
}

}  // namespace chatops::bindings
