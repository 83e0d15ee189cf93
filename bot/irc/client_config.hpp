#pragma once
// The `irc:` configuration section: its schema (declared once) and the parsed settings.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"

namespace chatops::irc {

config::Schema client_schema();

struct ServerConfig {
  std::string host;
  std::uint16_t port = 6697;
  bool tls = true;

  bool operator==(const ServerConfig&) const = default;
};

struct ChannelConfig {
  std::string name;
  std::string key;  // "" when the channel has none; a secret
};

enum class SaslMechanism { Plain, External, ScramSha256, EcdsaNist256pChallenge };

struct SaslConfig {
  std::vector<SaslMechanism> mechanisms;  // in order of preference; empty = no SASL
  std::string username;
  std::string password;   // secret
  std::string ecdsa_key;  // PEM file of the P-256 private key (ECDSA-NIST256P-CHALLENGE)

  bool enabled() const { return !mechanisms.empty(); }
};

struct NickServConfig {
  std::string password;  // "" disables the fallback; a secret
  // "NickServ@services.example" (the server delivers only to that server's client) or a nick
  // whose nick!user@host must match `mask` before the password goes to it.
  std::string service = "NickServ";
  std::string mask;
};

struct TlsConfig {
  std::string ca_file;      // "" = system store
  std::string client_cert;  // PEM; "" = no client certificate
  std::string client_key;   // PEM; "" = the key is in client_cert
  bool verify = true;
  // Lowercase hex SHA-256 of a server certificate or of its public key (SPKI): when any is set,
  // the server's certificate is accepted if and only if it matches one.
  std::vector<std::string> fingerprints;
};

struct ClientConfig {
  std::vector<ServerConfig> servers;
  std::string nick;
  std::vector<std::string> alt_nicks;
  std::string username;
  std::string realname;
  std::string password;  // server PASS; secret
  SaslConfig sasl;
  bool sasl_required = false;
  NickServConfig nickserv;
  std::vector<ChannelConfig> channels;
  bool rejoin_on_kick = true;
  std::size_t flood_burst = 4;
  double flood_rate = 1.0;  // lines per second after the burst
  std::chrono::milliseconds connect_timeout{15'000};
  std::chrono::milliseconds ping_interval{60'000};
  std::chrono::milliseconds ping_timeout{30'000};
  std::chrono::milliseconds reconnect_initial{2'000};
  std::chrono::milliseconds reconnect_max{120'000};
  double reconnect_jitter = 0.2;
  TlsConfig tls;
  std::size_t max_queue = 10'000;

  // From the `irc:` node already validated against client_schema(); checks what the schema cannot
  // (combinations of keys).
  static Result<ClientConfig> from(const config::Node& irc);
};

}  // namespace chatops::irc
