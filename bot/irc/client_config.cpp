#include "bot/irc/client_config.hpp"

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

Schema sasl_schema() {
  Schema s("sasl", "SASL authentication during registration (IRCv3 CAP sasl).");
  s.field("mechanism", Kind::String, "PLAIN (account and password) or EXTERNAL (the TLS client certificate).")
      .fallback("PLAIN")
      .one_of({"PLAIN", "EXTERNAL"});
  s.field("username", Kind::String, "Account name (PLAIN).").fallback("\"\"");
  s.field("password", Kind::Secret, "Account password (PLAIN).").fallback("\"\"");
  return s;
}

Schema nickserv_schema() {
  Schema s("nickserv", "Identify to NickServ after registration when SASL is not configured or failed.");
  s.field("password", Kind::Secret, "Password, sent as `IDENTIFY nick password` with the configured nick.").required();
  s.field("service", Kind::String, "Nick of the service.").fallback("NickServ");
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
  s.field("max_queue", Kind::Integer, "Most lines waiting in the output queue; more are refused.")
      .fallback("10000")
      .range(10, 10'000'000);
  return s;
}

Result<ClientConfig> ClientConfig::from(const config::Node& irc) {
  ClientConfig c;
  for (const auto& server : irc.list("servers"))
    c.servers.push_back({server.str("host"), static_cast<std::uint16_t>(server.integer("port")), server.boolean("tls")});
  if (c.servers.empty()) return std::unexpected(irc["servers"].error("at least one server is needed"));

  c.nick = irc.str("nick");
  if (c.nick.empty() || c.nick.find_first_of(" ,*?!@:") != std::string::npos || c.nick[0] == '#')
    return std::unexpected(irc["nick"].error("not a valid nickname"));
  c.alt_nicks = irc.strings("alt_nicks");
  c.username = irc.str("username");
  if (c.username.empty()) c.username = c.nick;
  c.realname = irc.str("realname");
  c.password = irc.str("password");

  if (irc.has("sasl")) {
    const auto sasl = irc.map("sasl");
    c.sasl.mechanism = sasl.str("mechanism") == "EXTERNAL" ? SaslMechanism::External : SaslMechanism::Plain;
    c.sasl.username = sasl.str("username");
    c.sasl.password = sasl.str("password");
    if (c.sasl.mechanism == SaslMechanism::Plain && (c.sasl.username.empty() || c.sasl.password.empty()))
      return std::unexpected(irc["sasl"].error("PLAIN needs username and password"));
  }
  c.sasl_required = irc.boolean("sasl_required");
  if (c.sasl_required && c.sasl.mechanism == SaslMechanism::None)
    return std::unexpected(irc["sasl_required"].error("needs a sasl: section"));
  if (irc.has("nickserv")) {
    const auto ns = irc.map("nickserv");
    c.nickserv.password = ns.str("password");
    c.nickserv.service = ns.str("service");
  }

  for (const auto& channel : irc.list("channels")) {
    ChannelConfig ch{channel.str("name"), channel.str("key")};
    if (ch.name.empty() || ch.name.find_first_of(" ,\a") != std::string::npos)
      return std::unexpected(channel.error("not a valid channel name"));
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

  c.tls.ca_file = irc.str("ca_file");
  c.tls.client_cert = irc.str("client_cert");
  c.tls.client_key = irc.str("client_key");
  c.tls.verify = irc.boolean("tls_verify");
  if (c.sasl.mechanism == SaslMechanism::External && c.tls.client_cert.empty())
    return std::unexpected(irc["sasl"].error("EXTERNAL needs client_cert"));
  if (!c.tls.client_key.empty() && c.tls.client_cert.empty())
    return std::unexpected(irc["client_key"].error("client_key without client_cert"));
  c.max_queue = static_cast<std::size_t>(irc.integer("max_queue"));
  return c;
}

}  // namespace chatops::irc
