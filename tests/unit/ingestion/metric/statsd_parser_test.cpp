#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>

#include "ingestion/metric/statsd_parser.hpp"

using namespace chatops::ingestion::metric::statsd;

TEST_CASE("statsd lines: every type, sample rates and DogStatsD tags", "[metric]") {
  auto counter = parse_line("jobs.failed:3|c|@0.5|#queue:mail,env:prod");
  REQUIRE(counter);
  CHECK(counter->name == "jobs.failed");
  CHECK(counter->type == Type::Counter);
  CHECK(counter->value == 3);
  CHECK(counter->rate == 0.5);
  REQUIRE(counter->tags.size() == 2);
  CHECK(counter->tags[0] == std::pair<std::string_view, std::string_view>{"queue", "mail"});
  auto gauge = parse_line("queue.depth:-12|g");
  REQUIRE(gauge);
  CHECK(gauge->delta);
  CHECK(gauge->value == -12);
  auto plus = parse_line("queue.depth:+4.5|g");
  REQUIRE(plus);
  CHECK(plus->delta);
  CHECK(plus->value == 4.5);
  auto set_gauge = parse_line("queue.depth:7|g");
  REQUIRE(set_gauge);
  CHECK_FALSE(set_gauge->delta);
  CHECK(parse_line("api.latency:320|ms")->type == Type::Timer);
  CHECK(parse_line("api.size:1024|h")->type == Type::Histogram);
  CHECK(parse_line("api.size:1024|d")->type == Type::Histogram);
  auto set = parse_line("users.online:alice|s");
  REQUIRE(set);
  CHECK(set->member == "alice");
  auto flag = parse_line("x:1|c|#canary|c:abc123|T1700000000");
  REQUIRE(flag);
  CHECK(flag->tags == std::vector<std::pair<std::string_view, std::string_view>>{{"canary", ""}});
  CHECK(parse_line("x:1|c\r"));
}

TEST_CASE("statsd lines: malformed ones are refused with a reason", "[metric]") {
  for (const std::string_view bad : std::vector<std::string_view>{"", "nocolon", ":1|c", "x:1", "x:1|", "x:1|q", "x:abc|c", "x:|c", "x:nan|c", "x:inf|g", "x:1e999|c",
        "x:1|c|@0", "x:1|c|@1.5", "x:1|c|@x", "x:1|c|zz", "x y:1|c", "x:1|c|#:v", "x|y:1|c",
        std::string_view("x\0y:1|c", 7), "x:1|c|#a\tb", "x:a b|s"}) {
    INFO(std::string(bad));
    CHECK_FALSE(parse_line(bad));
  }
  CHECK_FALSE(parse_line(std::string(300, 'n') + ":1|c"));
  std::string many_tags = "x:1|c|#";
  for (int i = 0; i < 40; ++i) many_tags += fmt::format("t{}:v,", i);
  CHECK_FALSE(parse_line(many_tags));
}

TEST_CASE("statsd lines: random bytes never crash the parser", "[metric]") {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 200);
  const std::string alphabet = "ab:|@#,.-+0123456789cgmshd\n\r";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const int n = length(random);
    for (int j = 0; j < n; ++j) line += i % 2 ? static_cast<char>(byte(random)) : alphabet[pick(random)];
    const auto parsed = parse_line(line);
    if (parsed) CHECK_FALSE(parsed->name.empty());
  }
}
