#pragma once
// Shared by the config tests: a document loaded from YAML text as if from config.yml.
#include <string>

#include <catch2/catch.hpp>

#include "core/config/node.hpp"

namespace chatops::config::test {

inline Node document(const std::string& text) {
  auto node = load_string(text, "config.yml");
  INFO((node ? std::string() : node.error().message));
  REQUIRE(node);
  return *node;
}

}  // namespace chatops::config::test
