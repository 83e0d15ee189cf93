#pragma once
// A webhook provider (github, gitlab, jenkins, alertmanager, pagerduty, generic): how a sender
// authenticates, how its requests become IngestionEvents, and the default template per topic.
// Providers know nothing of HTTP servers: the receiver hands them a Request and maps their
// answers to status codes.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/node.hpp"
#include "core/error.hpp"
#include "http/message.hpp"
#include "ingestion/event.hpp"

namespace chatops::ingestion::webhook {

// The request as the HTTP server read it: raw body bytes, headers as received. A provider sees it
// twice: first with head_only set, before the body is read (refuse what needs no body: missing or
// wrong tokens, a missing signature), then whole.
using http::Request;
using http::trim;

// Why a request is refused. `status` is the HTTP status (400, 401, 415…), `reason` goes into the
// response body and the log (it must never contain a secret), `cause` is a short stable label for
// metrics and once-per-cause logging ("bad_signature", "missing_signature", "malformed_json"…).
struct Rejection {
  int status;
  std::string cause;
  std::string reason;
};

// What a provider made of an authenticated, well-formed request.
struct Parsed {
  std::vector<IngestionEvent> events;  // topic, fields, dedupe key, severity, default template set;
                                       // source and kind are filled in by the receiver
  std::string skip_reason;             // set when events is empty: authenticated but not mapped/wanted
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Checks credentials on the raw bytes, before any parsing. nullopt = authenticated (for a
  // head_only request: nothing wrong with what the head holds).
  virtual std::optional<Rejection> authenticate(const Request& request) const = 0;
  // Turns an authenticated request into events.
  virtual std::expected<Parsed, Rejection> parse(const Request& request) const = 0;
};

// One entry per provider in the registry (providers.cpp, one line each).
struct ProviderSpec {
  std::string name;            // the `provider:` value in config.yml
  std::string doc;             // one paragraph for the configuration reference
  std::function<config::Schema()> schema;  // the provider's own keys (besides name/kind/path/provider)
  std::function<Result<std::unique_ptr<Provider>>(const config::Node& validated)> make;
};

const std::vector<ProviderSpec>& provider_registry();
const ProviderSpec* find_provider(std::string_view name);

}  // namespace chatops::ingestion::webhook
