#include "bot/irc/client_config.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "bot/irc/ecdsa_challenge.hpp"
#include "bot/irc/sasl.hpp"

namespace chatops::irc {

using config::Kind;
using config::Schema;

namespace {

Schema server_schema() {
  Schema s("server", "One IRC server.");
  s.field("host", Kind::String, "Host name or IP address; TLS verifies the certificate against it.").required();
  s.field("port", Kind::Integer, "TCP port.").fallback("6697").range(1, 65535);
  s.field("tls", Kind::Boolean, "Connect with TLS.").fallback("true");
  return s;
}

const std::vector<std::string> kMechanisms = {"PLAIN", "EXTERNAL", "SCRAM-SHA-256", "ECDSA-NIST256P-CHALLENGE"};

Schema sasl_schema() {
  Schema s("sasl", "SASL authentication during registration (IRCv3 CAP sasl).");
  s.field("mechanism", Kind::String,
          "One mechanism: PLAIN (account and password), SCRAM-SHA-256 (account and password, never sent; "
          "the server must prove it knows it), EXTERNAL (the TLS client certificate) or "
          "ECDSA-NIST256P-CHALLENGE (account and ecdsa_key). PLAIN when neither this nor mechanisms is set.")
      .one_of(kMechanisms);
  s.field("mechanisms", Kind::List,
          "Several mechanisms in order of preference (instead of mechanism): those the server does not offer "
          "are skipped, and the next one is tried when one fails (904).")
      .items(Kind::String)
      .one_of(kMechanisms)
      .example("[SCRAM-SHA-256, PLAIN]");
  s.field("username", Kind::String, "Account name (PLAIN, SCRAM-SHA-256, ECDSA-NIST256P-CHALLENGE).").fallback("\"\"");
  s.field("password", Kind::Secret, "Account password (PLAIN, SCRAM-SHA-256).").fallback("\"\"");
  s.field("ecdsa_key", Kind::String,
          "PEM file of the NIST P-256 private key (ECDSA-NIST256P-CHALLENGE), e.g. from atheme-ecdsakeygen; "
          "its public key is set on the account with `NickServ SET PUBKEY`.")
      .fallback("\"\"");
  return s;
}

Schema nickserv_schema() {
  Schema s("nickserv",
           "Identify to NickServ after registration when SASL is not configured or failed. The password only "
           "goes to a service the server vouches for: set service to `Nick@services.server` (delivered only to "
           "that server's client), or mask to the service's nick!user@host.");
  s.field("password", Kind::Secret, "Password, sent as `IDENTIFY nick password` with the configured nick.").required();
  s.field("service", Kind::String, "The service: `NickServ@services.example.org`, or a nick checked against mask.")
      .fallback("NickServ");
  s.field("mask", Kind::String,
          "Wildcard nick!user@host the service must match (checked with USERHOST) when service is a bare nick, "
          "e.g. `NickServ!NickServ@services.libera.chat`.")
      .fallback("\"\"");
  return s;
}

Schema channel_schema() {
  Schema s("channel", "A channel to join (and rejoin after a reconnect). A plain string is the name.");
  s.field("name", Kind::String, "Channel name, e.g. \"#ops\".").required();
  s.field("key", Kind::Secret, "Channel key (+k).").fallback("\"\"");
  return s;
}

Schema flood_schema() {
  Schema s("flood",
           "Output flood control (token bucket). The defaults stay under the limits of common servers "
           "(InspIRCd: 10 lines then 1/s; ngircd: about 3 lines/s).");
  s.field("burst", Kind::Integer, "Lines sent at once before pacing starts.").fallback("4").range(1, 100);
  s.field("rate", Kind::Number, "Lines per second after the burst.").fallback("1.0").range(0.05, 100);
  return s;
}

Schema timeouts_schema() {
  Schema s("timeouts", "Connection timeouts.");
  s.field("connect", Kind::Duration, "Resolve + TCP connect + TLS handshake; also the registration deadline.")
      .fallback("15s")
      .range(1, 600);
  s.field("ping_interval", Kind::Duration, "Send our own PING after this long without any line from the server.")
      .fallback("60s")
      .range(1, 3600);
  s.field("ping_timeout", Kind::Duration, "Reconnect when nothing arrives this long after our PING.")
      .fallback("30s")
      .range(1, 600);
  return s;
}

Schema reconnect_schema() {
  Schema s("reconnect", "Reconnect delays: exponential backoff with jitter, cycling through the servers.");
  s.field("initial", Kind::Duration, "First delay.").fallback("2s").range(0.01, 3600);
  s.field("max", Kind::Duration, "Largest delay.").fallback("120s").range(0.01, 86400);
  s.field("jitter", Kind::Number, "Randomised fraction of each delay: drawn from [delay × (1 − jitter), delay].").fallback("0.2").range(0, 1);
  return s;
}

}  // namespace

Schema client_schema() {
  Schema s("irc", "The IRC connection: servers, identity, authentication, channels, flood control.");
  s.field("servers", Kind::List, "Servers, tried in turn on reconnect.")
      .items(server_schema())
      .required()
      .example("[{host: irc.libera.chat, port: 6697, tls: true}]");
  s.field("nick", Kind::String, "Nickname.").required();
  s.field("alt_nicks", Kind::List, "Nicknames tried when the nick is taken (then nick + digits).")
      .items(Kind::String)
      .fallback("[]");
  s.field("username", Kind::String, "User name (ident); the nick when empty.").fallback("\"\"");
  s.field("realname", Kind::String, "Real name (gecos).").fallback("ChatOps bot");
  s.field("password", Kind::Secret, "Server password (PASS).").fallback("\"\"");
  s.field("sasl", Kind::Map, "SASL authentication; absent = none.").schema(sasl_schema());
  s.field("sasl_required", Kind::Boolean,
          "Never register without SASL success: on failure QUIT and retry later, never join unauthenticated.")
      .fallback("false");
  s.field("nickserv", Kind::Map, "NickServ IDENTIFY fallback; absent = none.").schema(nickserv_schema());
  s.field("channels", Kind::List, "Channels to join.")
      .items(channel_schema())
      .allow_string_shorthand("name")
      .fallback("[]");
  s.field("rejoin_on_kick", Kind::Boolean, "Rejoin a channel after being kicked.").fallback("true");
  s.field("flood", Kind::Map, "Output flood control.").schema(flood_schema()).fallback("{}");
  s.field("timeouts", Kind::Map, "Timeouts.").schema(timeouts_schema()).fallback("{}");
  s.field("reconnect", Kind::Map, "Reconnect backoff.").schema(reconnect_schema()).fallback("{}");
  s.field("ca_file", Kind::String, "PEM CA bundle to verify servers with; the system store when empty.")
      .fallback("\"\"");
  s.field("client_cert", Kind::String, "PEM client certificate (CertFP, SASL EXTERNAL); may contain the key.")
      .fallback("\"\"");
  s.field("client_key", Kind::String, "PEM private key of client_cert when it is a separate file.").fallback("\"\"");
  s.field("tls_verify", Kind::Boolean,
          "Verify the server certificate and host name. false is insecure and logged at every connect.")
      .fallback("true");
  s.field("tls_fingerprints", Kind::List,
          "Pinned server certificates: SHA-256 of the certificate or of its public key (SPKI), in hex (colons "
          "allowed). When set, a certificate is accepted if and only if it matches one, even self-signed or "
          "expired; the CA and host name are not checked. `openssl x509 -noout -fingerprint -sha256 -in cert.pem`.")
      .items(Kind::String)
      .fallback("[]");
  s.field("max_queue", Kind::Integer, "Most lines waiting in the output queue; more are refused.")
      .fallback("10000")
      .range(10, 10'000'000);
  return s;
}

namespace {

constexpr std::size_t kMaxNick = 64;      // beyond any NICKLEN in use; the server may still refuse less
constexpr std::size_t kMaxUsername = 64;  // servers cut it to USERLEN (often 10)
constexpr std::size_t kMaxChannel = 200;  // CHANNELLEN is 50 to 64 on common servers

bool has_control(std::string_view s) {
  return std::ranges::any_of(s, [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// A middle parameter (nick, user name, channel, key): no space, no control character, none of
// `forbidden`, not starting with ':', 1 to `max` bytes.
Result<void> check_word(const config::Node& at, std::string_view value, std::string_view what, std::size_t max,
                        std::string_view forbidden = "") {
  if (value.empty()) return std::unexpected(at.error(std::string(what) + " is empty"));
  if (value.size() > max)
    return std::unexpected(at.error(std::string(what) + " is longer than " + std::to_string(max) + " bytes"));
  if (has_control(value) || value.find(' ') != std::string_view::npos || value.front() == ':' ||
      value.find_first_of(forbidden) != std::string_view::npos)
    return std::unexpected(at.error(std::string(what) + " must not contain spaces, control characters, a leading ':'" +
                                    (forbidden.empty() ? std::string() : " or any of " + std::string(forbidden))));
  return {};
}

// Text that ends up in a trailing parameter (real name, passwords): anything but CR, LF and NUL.
Result<void> check_text(const config::Node& at, std::string_view value, std::string_view what) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    return std::unexpected(at.error(std::string(what) + " must not contain CR, LF or NUL"));
  return {};
}

Result<void> check_nick(const config::Node& at, std::string_view nick) {
  if (auto ok = check_word(at, nick, "nickname", kMaxNick, ",*?!@"); !ok) return ok;
  if (nick.front() == '#' || nick.front() == '&' || (nick.front() >= '0' && nick.front() <= '9'))
    return std::unexpected(at.error("a nickname cannot start with '#', '&' or a digit"));
  return {};
}

// "AB:CD:…" or "abcd…" → 64 lowercase hex digits.
std::optional<std::string> normalize_fingerprint(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return std::nullopt;
  return hex;
}

bool printable_ascii(std::string_view s) {
  return std::ranges::all_of(s, [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

Result<SaslConfig> sasl_from(const config::Node& sasl, const std::string& client_cert) {
  SaslConfig c;
  if (sasl.has("mechanism") && sasl.has("mechanisms"))
    return std::unexpected(sasl.error("set mechanism or mechanisms, not both"));
  std::vector<std::string> names = sasl.has("mechanisms") ? sasl.strings("mechanisms")
                                   : std::vector<std::string>{sasl.has("mechanism") ? sasl.str("mechanism") : "PLAIN"};
  if (names.empty()) return std::unexpected(sasl["mechanisms"].error("is empty"));
  for (const auto& name : names) {
    const auto mechanism = mechanism_from_name(name);
    if (!mechanism) return std::unexpected(sasl.error("unknown mechanism " + name));
    if (std::ranges::find(c.mechanisms, *mechanism) != c.mechanisms.end())
      return std::unexpected(sasl["mechanisms"].error(name + " is listed twice"));
    c.mechanisms.push_back(*mechanism);
  }
  c.username = sasl.str("username");
  c.password = sasl.str("password");
  c.ecdsa_key = sasl.str("ecdsa_key");
  if (auto ok = check_text(sasl["password"], c.password, "password"); !ok) return std::unexpected(ok.error());
  if (auto ok = check_text(sasl["username"], c.username, "username"); !ok) return std::unexpected(ok.error());
  for (const auto mechanism : c.mechanisms) {
    const std::string name(mechanism_name(mechanism));
    switch (mechanism) {
      case SaslMechanism::Plain:
        if (c.username.empty() || c.password.empty()) return std::unexpected(sasl.error(name + " needs username and password"));
        break;
      case SaslMechanism::ScramSha256:
        if (c.username.empty() || c.password.empty()) return std::unexpected(sasl.error(name + " needs username and password"));
        // SASLprep (RFC 4013) is the identity on printable ASCII; other text is not supported.
        if (!printable_ascii(c.username) || !printable_ascii(c.password))
          return std::unexpected(sasl.error(name + " needs a username and password in printable ASCII"));
        break;
      case SaslMechanism::External:
        if (client_cert.empty()) return std::unexpected(sasl.error(name + " needs client_cert"));
        break;
      case SaslMechanism::EcdsaNist256pChallenge:
        if (c.username.empty() || c.ecdsa_key.empty())
          return std::unexpected(sasl.error(name + " needs username and ecdsa_key"));
        if (auto key = check_ecdsa_key(c.ecdsa_key); !key) return std::unexpected(sasl["ecdsa_key"].error(key.error().message));
        break;
    }
  }
  return c;
}

}  // namespace

Result<ClientConfig> ClientConfig::from(const config::Node& irc) {
  ClientConfig c;
  for (const auto& server : irc.list("servers")) {
    c.servers.push_back({server.str("host"), static_cast<std::uint16_t>(server.integer("port")), server.boolean("tls")});
    const auto& host = c.servers.back().host;  // a name or an address, IPv6 ("::1") included
    if (host.empty() || host.size() > 253 || has_control(host) || host.find(' ') != std::string::npos)
      return std::unexpected(server["host"].error("not a host name or address"));
  }
  if (c.servers.empty()) return std::unexpected(irc["servers"].error("at least one server is needed"));

  c.nick = irc.str("nick");
  if (auto ok = check_nick(irc["nick"], c.nick); !ok) return std::unexpected(ok.error());
  c.alt_nicks = irc.strings("alt_nicks");
  for (const auto& alt : c.alt_nicks)
    if (auto ok = check_nick(irc["alt_nicks"], alt); !ok) return std::unexpected(ok.error());
  c.username = irc.str("username");
  if (c.username.empty()) c.username = c.nick;
  if (auto ok = check_word(irc["username"], c.username, "username", kMaxUsername, "@"); !ok) return std::unexpected(ok.error());
  c.realname = irc.str("realname");
  if (auto ok = check_text(irc["realname"], c.realname, "realname"); !ok) return std::unexpected(ok.error());
  c.password = irc.str("password");
  if (auto ok = check_text(irc["password"], c.password, "password"); !ok) return std::unexpected(ok.error());

  c.tls.ca_file = irc.str("ca_file");
  c.tls.client_cert = irc.str("client_cert");
  c.tls.client_key = irc.str("client_key");
  c.tls.verify = irc.boolean("tls_verify");
  if (!c.tls.client_key.empty() && c.tls.client_cert.empty())
    return std::unexpected(irc["client_key"].error("client_key without client_cert"));
  for (const auto& pin : irc.strings("tls_fingerprints")) {
    auto hex = normalize_fingerprint(pin);
    if (!hex) return std::unexpected(irc["tls_fingerprints"].error("not a SHA-256 fingerprint (64 hex digits): " + pin));
    c.tls.fingerprints.push_back(std::move(*hex));
  }
  if (!c.tls.fingerprints.empty() && !c.tls.verify)
    return std::unexpected(irc["tls_verify"].error("false turns off the tls_fingerprints check too: remove one of them"));

  if (irc.has("sasl")) {
    auto sasl = sasl_from(irc.map("sasl"), c.tls.client_cert);
    if (!sasl) return std::unexpected(sasl.error());
    c.sasl = std::move(*sasl);
  }
  c.sasl_required = irc.boolean("sasl_required");
  if (c.sasl_required && !c.sasl.enabled())
    return std::unexpected(irc["sasl_required"].error("needs a sasl: section"));
  if (irc.has("nickserv")) {
    const auto ns = irc.map("nickserv");
    c.nickserv.password = ns.str("password");
    c.nickserv.service = ns.str("service");
    c.nickserv.mask = ns.str("mask");
    if (auto ok = check_text(ns["password"], c.nickserv.password, "password"); !ok) return std::unexpected(ok.error());
    if (auto ok = check_word(ns["service"], c.nickserv.service, "service", kMaxNick + 254); !ok) return std::unexpected(ok.error());
    if (c.nickserv.service.find('@') == std::string::npos && c.nickserv.mask.empty())
      return std::unexpected(ns.error(
          "the password would go to whoever holds the nick " + c.nickserv.service +
          ": set service to Nick@services.server (e.g. NickServ@services.libera.chat) or mask to the service's "
          "nick!user@host (e.g. NickServ!NickServ@services.libera.chat)"));
  }

  for (const auto& channel : irc.list("channels")) {
    ChannelConfig ch{channel.str("name"), channel.str("key")};
    if (auto ok = check_word(channel["name"], ch.name, "channel name", kMaxChannel, ",\a"); !ok) return std::unexpected(ok.error());
    if (std::string_view("#&+!").find(ch.name.front()) == std::string_view::npos)
      return std::unexpected(channel["name"].error("a channel name starts with #, &, + or !"));
    if (!ch.key.empty())
      if (auto ok = check_word(channel["key"], ch.key, "channel key", 100, ","); !ok) return std::unexpected(ok.error());
    c.channels.push_back(std::move(ch));
  }
  c.rejoin_on_kick = irc.boolean("rejoin_on_kick");

  const auto flood = irc.map("flood");
  c.flood_burst = static_cast<std::size_t>(flood.integer("burst"));
  c.flood_rate = flood.number("rate");
  const auto timeouts = irc.map("timeouts");
  c.connect_timeout = timeouts.duration("connect");
  c.ping_interval = timeouts.duration("ping_interval");
  c.ping_timeout = timeouts.duration("ping_timeout");
  const auto reconnect = irc.map("reconnect");
  c.reconnect_initial = reconnect.duration("initial");
  c.reconnect_max = reconnect.duration("max");
  c.reconnect_jitter = reconnect.number("jitter");
  if (c.reconnect_max < c.reconnect_initial)
    return std::unexpected(irc["reconnect"].error("max is smaller than initial"));
  c.max_queue = static_cast<std::size_t>(irc.integer("max_queue"));
  return c;
}

}  // namespace chatops::irc
