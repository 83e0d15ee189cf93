#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include "core/log.hpp"

using chatops::log::redact;

TEST_CASE("redact hides every occurrence of every non-empty secret", "[log]") {
  const std::vector<std::string> secrets{"hunter2", "", "s3cr3t"};
  REQUIRE(redact("pass hunter2 and hunter2, key s3cr3t", secrets) == "pass *** and ***, key ***");
  REQUIRE(redact("nothing here", secrets) == "nothing here");
  REQUIRE(redact("", secrets) == "");
}

TEST_CASE("redact hides a secret whole when another secret is part of it", "[log]") {
  const std::vector<std::string> secrets{"abc", "xabcx"};
  REQUIRE(redact("1 xabcx 2 abc", secrets) == "1 *** 2 ***");
}

TEST_CASE("init sets the default logger's level and rejects unknown level names", "[log]") {
  chatops::log::init("warn");
  REQUIRE(spdlog::default_logger()->level() == spdlog::level::warn);
  REQUIRE(spdlog::default_logger()->name() == "chatops");
  chatops::log::init("debug", true);
  REQUIRE(spdlog::default_logger()->level() == spdlog::level::debug);
  REQUIRE_THROWS_AS(chatops::log::init("verbose"), std::logic_error);
  chatops::log::init("info");
}
