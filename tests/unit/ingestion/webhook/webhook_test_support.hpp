#pragma once
// Shared by the webhook unit tests: requests, config nodes, fixtures and a fake journal.
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/config/node.hpp"
#include "core/crypto.hpp"
#include "ingestion/source.hpp"
#include "ingestion/webhook/provider.hpp"
#include "ingestion/webhook/webhook_source.hpp"

namespace chatops::ingestion::webhook::test {

inline Request json_request(std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.method = "POST";
  r.path = "/hooks/test";
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

// A file's bytes; the test fails if it cannot be read.
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string read_fixture(const std::string& relative) {
  return slurp(std::string(CHATOPS_FIXTURES_DIR) + "/" + relative);
}

inline std::string github_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + crypto::to_hex(crypto::hmac(crypto::Digest::Sha256, secret, body));
}

// A validated `sources:` entry from YAML text.
inline config::Node source_config(const std::string& yaml) {
  auto raw = config::load_string(yaml, "test.yml");
  REQUIRE(raw.has_value());
  auto validated = validate_webhook_source(*raw);
  INFO((validated ? std::string() : validated.error().message));
  REQUIRE(validated.has_value());
  return *validated;
}

// The provider a `sources:` entry builds.
inline std::unique_ptr<Provider> provider_from(const std::string& yaml) {
  const auto node = source_config(yaml);
  auto provider = find_provider(node.str("provider"))->make(node);
  INFO((provider ? std::string() : provider.error().message));
  REQUIRE(provider.has_value());
  return std::move(*provider);
}

}  // namespace chatops::ingestion::webhook::test
