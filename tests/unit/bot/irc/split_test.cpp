#include <catch2/catch.hpp>
#include <stdexcept>

#include "bot/irc/message.hpp"
#include "bot/irc/split.hpp"
#include "core/text/utf8.hpp"

using namespace chatops::irc;

namespace {

bool valid_utf8(std::string_view s) {
  while (!s.empty()) {
    const auto seq = chatops::text::next_sequence(s);
    if (!seq.valid) return false;
    s.remove_prefix(seq.length);
  }
  return true;
}

// Checks every promise of split_message for one input and budget.
void check_split(const std::string& input, std::size_t budget) {
  INFO("budget " << budget << ", input " << input);
  const auto chunks = split_message(input, budget);
  std::size_t off = 0;
  for (const auto& chunk : chunks) {
    CHECK_FALSE(chunk.empty());
    CHECK(chunk.size() <= budget);
    CHECK(valid_utf8(chunk));
    REQUIRE(input.compare(off, chunk.size(), chunk) == 0);
    off += chunk.size();
    if (off < input.size() && input[off] == ' ') ++off;  // the space dropped at a cut
  }
  CHECK(off == input.size());
}

}  // namespace

TEST_CASE("split_message keeps short lines whole and yields nothing for an empty line", "[split]") {
  CHECK(split_message("hello", 10) == std::vector<std::string>{"hello"});
  CHECK(split_message("0123456789", 10) == std::vector<std::string>{"0123456789"});
  CHECK(split_message("", 10).empty());
}

TEST_CASE("split_message cuts at the last space within the budget and drops it", "[split]") {
  CHECK(split_message("aaa bbb ccc", 7) == std::vector<std::string>{"aaa bbb", "ccc"});
  CHECK(split_message("aaa bbb ccc", 6) == std::vector<std::string>{"aaa", "bbb", "ccc"});
  // A space right after the budget is a clean cut too.
  CHECK(split_message("aaaa bbbb", 4) == std::vector<std::string>{"aaaa", "bbbb"});
  // Of two spaces, only the one at the cut is dropped.
  CHECK(split_message("aa  bb", 4) == std::vector<std::string>{"aa ", "bb"});
}

TEST_CASE("split_message cuts a word longer than the budget at a code point boundary", "[split]") {
  CHECK(split_message("abcdefghij", 4) == std::vector<std::string>{"abcd", "efgh", "ij"});
  CHECK(split_message("ab " + std::string(9, 'x'), 4) == std::vector<std::string>{"ab", "xxxx", "xxxx", "x"});
  // "é" is 2 bytes: a 5-byte budget holds two of them, never two and a half.
  CHECK(split_message("ééééé", 5) == std::vector<std::string>{"éé", "éé", "é"});
  CHECK(split_message("🚀🚀", 7) == std::vector<std::string>{"🚀", "🚀"});
}

TEST_CASE("split_message never cuts inside a code point, whatever the cut position", "[split]") {
  const std::vector<std::string> inputs = {
      "é" + std::string(20, 'a') + "é",
      "日本語のテキストです 日本 語",
      "a🚀bc🚀🚀 d🚀e f🚀🚀🚀",
      "x é日🚀 " + std::string(30, 'z') + " ééé 日本🚀",
  };
  for (const auto& input : inputs)
    for (std::size_t budget = 4; budget <= input.size() + 1; ++budget) check_split(input, budget);
  // Every alignment of multi-byte characters against the budget.
  for (std::size_t shift = 0; shift < 8; ++shift)
    for (const std::string ch : {"é", "日", "🚀"}) {
      std::string input(shift, 'a');
      for (int i = 0; i < 12; ++i) input += ch;
      for (std::size_t budget = 4; budget <= 16; ++budget) check_split(input, budget);
    }
}

TEST_CASE("split_message refuses a budget that cannot hold one code point", "[split]") {
  CHECK_THROWS_AS(split_message("abc", 3), std::invalid_argument);
}

TEST_CASE("privmsg_budget leaves room for the prefix the server prepends", "[split]") {
  // 512 − 2 − len(":n!u@h ") − len("PRIVMSG #c :")
  CHECK(privmsg_budget("PRIVMSG", "#c", "n!u@h") == 512 - 2 - 7 - 12);
  CHECK(privmsg_budget("PRIVMSG", "#c", std::string(600, 'x')) == 0);
  CHECK(worst_case_prefix("bot") == "bot!" + std::string(10, 'u') + "@" + std::string(63, 'h'));
}

TEST_CASE("split lines, as the server relays them, are at most 512 bytes", "[split]") {
  const std::string prefix = "opsbot!~opsbot@2001-db8-1234-5678.example-cloak.org";
  const std::string target = "#operations-alerts";
  const auto budget = privmsg_budget("PRIVMSG", target, prefix);
  std::string text;
  for (int i = 0; i < 120; ++i) text += "firing é日本🚀 word" + std::to_string(i) + " ";
  text += std::string(900, 'L') + " tail";  // a word longer than the budget
  const auto chunks = split_message(text, budget);
  REQUIRE(chunks.size() > 4);
  bool full = false;
  for (const auto& chunk : chunks) {
    const auto wire = serialize({{}, prefix, "PRIVMSG", {target, chunk}}) + "\r\n";
    CHECK(wire.size() <= 512);
    // The budget is exact, not just safe: a full chunk in the ':' form is exactly 512 bytes.
    if (chunk.size() == budget) {
      full = true;
      CHECK((":" + prefix + " PRIVMSG " + target + " :" + chunk + "\r\n").size() == 512);
    }
  }
  CHECK(full);  // the hard-cut word fills a line
  check_split(text, budget);
}
