#pragma once
// Shared by the webhook unit tests: requests, config nodes, fixtures and a fake journal.
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bindings/config_binds.hpp"
#include "bindings/template.hpp"
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

// The one event an authenticated request makes (the test fails otherwise).
inline IngestionEvent only_event(const Provider& provider, const Request& request) {
  REQUIRE_FALSE(provider.authenticate(request).has_value());
  auto parsed = provider.parse(request);
  INFO((parsed ? std::string() : parsed.error().reason));
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->events.size() == 1);
  return parsed->events[0];
}

// What a bind without a template of its own says for `event`: the provider's default template
// rendered as the bot renders it, one string per IRC line, IRC formatting left out. Empty when the
// template renders blank (nothing is said).
inline std::vector<std::string> said_lines(const IngestionEvent& event) {
  auto compiled = bindings::Template::compile(event.default_template);
  INFO(event.topic << ": " << (compiled ? std::string() : compiled.error().message));
  REQUIRE(compiled);
  const auto rendered = compiled->render(bindings::template_data(bindings::BindContext(event)));
  REQUIRE(rendered);
  const std::string& text = *rendered;
  std::vector<std::string> lines;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return lines;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(bindings::inert_text(std::string_view(text).substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

// The single line said for `event` (the test fails when it is not one line).
inline std::string said_line(const IngestionEvent& event) {
  const auto lines = said_lines(event);
  INFO(event.topic);
  REQUIRE(lines.size() == 1);
  return lines[0];
}

}  // namespace chatops::ingestion::webhook::test
