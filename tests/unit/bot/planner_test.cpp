// What the planner makes of a rendered text: the IRC lines it is sent as, capped per bind.
#include <catch2/catch.hpp>

#include "bot/planner.hpp"

using namespace chatops::bot;

TEST_CASE("a text within the cap is its sanitised lines", "[planner]") {
  CHECK(capped_text("one\r\ntwo\rthree\nfour", 400, 10, 1) == "one\ntwo\nthree\nfour");
  CHECK(capped_text(std::string("a\x01" "b\0c", 5), 400, 10, 1) == "abc");
  CHECK(capped_text("\n\n", 400, 10, 1).empty());
}

TEST_CASE("lines are counted after splitting at the width, and the rest is summarised", "[planner]") {
  const std::string words = "aaaa bbbb cccc dddd eeee";  // five 4-byte words: one per line at width 4
  CHECK(capped_text(words, 4, 5, 7) == "aaaa\nbbbb\ncccc\ndddd\neeee");
  CHECK(capped_text(words, 4, 4, 7) == "aaaa\nbbbb\ncccc\ndddd\n… 1 more line not said (event 7)");
  CHECK(capped_text(words, 4, 2, 7) == "aaaa\nbbbb\n… 3 more lines not said (event 7)");
  CHECK(capped_text(words, 9, 1, 0) == "aaaa bbbb\n… 2 more lines not said");  // IRC-triggered: no event
}
