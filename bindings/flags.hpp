#pragma once
// User flags and bind flag masks, as Eggdrop has them.
//
// A user has global flags and per-channel flags, each a set of letters (a-z, A-Z). A bind's flag
// mask is `global|channel` (the user needs one of the global letters OR one of the channel
// letters), `global&channel` (all the global letters AND all the channel letters) or just
// `global`. `-`, `*` or nothing on a side means "none required"; `-|-`, `-`, `*` mean anyone.
// A leading `+` on a side is accepted (`+o|+m`).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace chatops::bindings {

class FlagSet {
 public:
  FlagSet() = default;
  // Letters only ("mo"); anything else is an error naming the character.
  static Result<FlagSet> parse(std::string_view letters);

  bool empty() const { return bits_ == 0; }
  bool has(char letter) const;
  bool contains_all(FlagSet other) const { return (bits_ & other.bits_) == other.bits_; }
  bool intersects(FlagSet other) const { return (bits_ & other.bits_) != 0; }
  // Eggdrop's sanity rule: owner (n) implies master (m), master implies op (o).
  FlagSet with_implied() const;
  std::string str() const;  // letters in a-z then A-Z order; "-" when empty

  friend bool operator==(FlagSet, FlagSet) = default;

 private:
  void add(char letter);
  std::uint64_t bits_ = 0;
};

class FlagMask {
 public:
  FlagMask() = default;  // anyone
  static Result<FlagMask> parse(std::string_view text);

  bool anyone() const { return global_.empty() && channel_.empty(); }
  // `channel` is the user's flags on the channel in question (empty outside a channel).
  bool matches(FlagSet global, FlagSet channel) const;
  std::string str() const;  // canonical form: "-|-", "o|o", "n|-", "o&m"

  friend bool operator==(const FlagMask&, const FlagMask&) = default;

 private:
  FlagSet global_, channel_;
  bool require_both_ = false;  // `&` instead of `|`
};

}  // namespace chatops::bindings
