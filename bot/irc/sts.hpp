#pragma once
// IRCv3 Strict Transport Security (sts): an `sts=port=N` offered on a plain connection makes the
// client reconnect with TLS to port N; an `sts=duration=D` offered on a verified TLS connection is
// a persistence policy: for D seconds (counted again whenever a connection to the host closes)
// the host is reached only with TLS, on the port that carried the policy. Policies outlive the
// process through a StsPolicyStore. Pure logic: time is passed in.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bot/irc/client_config.hpp"
#include "core/error.hpp"

namespace chatops::irc {

using WallClock = std::chrono::system_clock;

struct StsPolicy {
  std::uint16_t port = 0;            // the TLS port that carried the policy
  std::chrono::seconds duration{0};  // as last advertised
  WallClock::time_point expires;

  bool operator==(const StsPolicy&) const = default;
};

// "port=6697,duration=3600,expires=<unix seconds>" and back (a store keeps policies as text).
std::string encode(const StsPolicy& policy);
std::optional<StsPolicy> decode_sts_policy(std::string_view text);

// The keys of an advertised `sts` value ("port=6697,duration=300,preload"); unknown keys and
// malformed values are ignored, as the specification asks.
struct StsValue {
  std::optional<std::uint16_t> port;
  std::optional<std::chrono::seconds> duration;
};
StsValue parse_sts_value(std::string_view value);

// Where policies are kept between runs (the journal's database in the application), by host
// name in lower case.
class StsPolicyStore {
 public:
  virtual ~StsPolicyStore() = default;
  virtual Result<std::optional<StsPolicy>> load(std::string_view host) = 0;
  virtual Result<void> save(std::string_view host, const StsPolicy& policy) = 0;
  virtual Result<void> remove(std::string_view host) = 0;
};

// Keeps policies for the life of the process only.
class MemoryStsPolicyStore final : public StsPolicyStore {
 public:
  Result<std::optional<StsPolicy>> load(std::string_view host) override;
  Result<void> save(std::string_view host, const StsPolicy& policy) override;
  Result<void> remove(std::string_view host) override;

 private:
  std::map<std::string, StsPolicy, std::less<>> policies_;
};

class StsPolicies {
 public:
  // Longest duration honoured: a typo or a hostile server cannot lock a host to TLS for ever.
  static constexpr std::chrono::seconds kMaxDuration{std::chrono::days(366)};

  explicit StsPolicies(StsPolicyStore& store) : store_(store) {}

  // The server to connect to: TLS on the policy's port while a policy for the host is in force,
  // else the configured one.
  ServerConfig route(const ServerConfig& configured, WallClock::time_point now);

  // The `sts` value offered on the connection to `connected` (as actually connected: port, TLS).
  // Returns the TLS port to reconnect to at once (an upgrade policy on a plain connection), or
  // nothing; on a TLS connection whose certificate was verified, stores the persistence policy
  // (duration 0 removes it).
  std::optional<std::uint16_t> offered(const ServerConfig& connected, std::string_view value, bool verified,
                                       WallClock::time_point now);

  // A TLS connection to the host closed: its policy's expiry is counted again from `now`.
  void closed(const ServerConfig& connected, WallClock::time_point now);

 private:
  std::optional<StsPolicy> find(const std::string& host);  // expired ones too
  void save(const std::string& host, const StsPolicy& policy);

  StsPolicyStore& store_;
  // What the store said or was told: a store that fails still leaves the policy enforced in this run.
  std::map<std::string, std::optional<StsPolicy>, std::less<>> known_;
};

}  // namespace chatops::irc
