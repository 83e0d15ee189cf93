#include "ingestion/stream/nats_config.hpp"

#include <filesystem>

#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

config::Schema nats_schema() {
  config::Schema s(
      "stream/nats",
      "NATS (libnats): a JetStream durable pull consumer when `stream` is set (at-least-once, acknowledged "
      "after the journal), else core NATS subscriptions (at-most-once: what is published while the bot "
      "is not connected is lost).");
  s.field("servers", config::Kind::List,
          "Server URLs tried in turn: nats://host:port, or tls://host:port for TLS. Give credentials with the keys "
          "below rather than in the URLs.")
      .items(config::Kind::String)
      .fallback("[\"nats://localhost:4222\"]")
      .example("[\"nats://nats1:4222\", \"nats://nats2:4222\"]");
  s.field("stream", config::Kind::String,
          "JetStream stream to consume with a durable pull consumer. Without it, the source subscribes to `subjects` "
          "on core NATS.")
      .example("ALERTS");
  s.field("subjects", config::Kind::List,
          "Core NATS: the subjects subscribed to (wildcards * and >). JetStream: at most one, the filter of a consumer "
          "the source makes (all the stream's subjects without it).")
      .items(config::Kind::String)
      .example("[\"alerts.>\"]");
  s.field("consumer", config::Kind::String,
          "JetStream: the durable consumer's name, made (pull, explicit acks) when missing; an existing pull consumer "
          "is used as it is. By default chatops-<source name>.");
  s.field("start", config::Kind::String,
          "JetStream: where a consumer made by the source begins: latest (messages stored after it) or earliest (the "
          "whole stream).")
      .fallback("latest")
      .one_of({"latest", "earliest"});
  s.field("ack_wait", config::Kind::Duration,
          "JetStream: a consumer made by the source redelivers a message not acknowledged within this (the bot died "
          "before its journal commit).")
      .fallback("30s")
      .range(0.1, 86400);
  s.field(
      "queue_group", config::Kind::String,
      "Core NATS: subscribe in this queue group, so that several bots share the messages (each message goes to one).");
  s.field("token", config::Kind::Secret, "Authentication token; never logged.").example("\"${NATS_TOKEN}\"");
  s.field("user", config::Kind::String, "User name (with password).");
  s.field("password", config::Kind::Secret, "Password; never logged.").example("\"${NATS_PASSWORD}\"");
  s.field("nkey", config::Kind::String, "NKey public key (U…) of the user; with nkey_seed_file.");
  s.field("nkey_seed_file", config::Kind::String, "File holding the NKey seed (SU…) that signs the server's nonce.");
  s.field("credentials_file", config::Kind::String,
          "A .creds file (user JWT and NKey seed, as `nsc` writes it) for servers in operator mode.");
  s.field("tls", config::Kind::Boolean,
          "Require TLS (also implied by tls:// URLs); the server's certificate and host name are verified.")
      .fallback("false");
  s.field("tls_hostname", config::Kind::String,
          "The name (or address) the server's certificate must hold; by default the host of the first of servers. "
          "libnats checks one name for every server.");
  s.field("ca_file", config::Kind::String, "PEM file of the CAs that may sign the server's certificate (implies tls).");
  s.field("cert_file", config::Kind::String,
          "Client certificate (PEM), for servers that verify clients; with key_file.");
  s.field("key_file", config::Kind::String, "The client certificate's private key (PEM).");
  add_format_field(s);
  s.field("batch_size", config::Kind::Integer,
          "Most messages journaled (and acknowledged) together (a JetStream fetch).")
      .fallback("500")
      .range(1, 100000);
  s.field("max_message_size", config::Kind::Size, "Larger messages are skipped (counted, and acknowledged).")
      .fallback("1MiB")
      .range(1, 64 * 1024 * 1024);
  s.field(
       "max_pending", config::Kind::Integer,
       "Core NATS: messages held in memory while the journal catches up (64 MiB at most); more are dropped and counted "
       "(chatops_nats_dropped_total).")
      .fallback("10000")
      .range(1, 10000000);
  s.field("timeout", config::Kind::Duration, "Connecting, and each JetStream request.").fallback("5s").range(0.1, 600);
  payload::add_mapping_fields(s, kNatsMappingKeys);
  return s;
}

namespace {

Result<void> readable_file(const config::Node& v, std::string_view key) {
  if (!v.has(key)) return {};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(v.str(key), ec))
    return std::unexpected(v[key].error("no such file: " + v.str(key)));
  return {};
}

}  // namespace

Result<void> check_nats_config(const config::Node& v) {
  if (auto mapping = payload::Mapping::from_config(v, kNatsMappingKeys); !mapping)
    return std::unexpected(mapping.error());
  const bool jetstream = v.has("stream");
  const auto subjects = v.has("subjects") ? v.list("subjects") : std::vector<config::Node>{};
  for (const auto& subject : subjects)
    if (subject.scalar().empty() || subject.scalar().find_first_of(" \t\r\n") != std::string::npos)
      return std::unexpected(subject.error("a subject is not empty and has no white space"));
  if (!jetstream && subjects.empty())
    return std::unexpected(v.error("core NATS needs subjects (or give a JetStream stream)"));
  if (jetstream && subjects.size() > 1)
    return std::unexpected(v["subjects"].error("a JetStream consumer has one filter subject at most"));
  if (jetstream && v.has("queue_group")) return std::unexpected(v["queue_group"].error("queue_group is for core NATS"));
  if (jetstream && v.str("stream").find_first_of(" .*>\t") != std::string::npos)
    return std::unexpected(v["stream"].error("a stream name has no spaces, dots, * or >"));
  if (v.has("consumer") && v.str("consumer").find_first_of(" .*>\t") != std::string::npos)
    return std::unexpected(v["consumer"].error("a consumer name has no spaces, dots, * or >"));
  if (v.has("nkey") != v.has("nkey_seed_file")) return std::unexpected(v.error("nkey and nkey_seed_file go together"));
  if (v.has("cert_file") != v.has("key_file")) return std::unexpected(v.error("cert_file and key_file go together"));
  const int methods = int(v.has("token")) + int(v.has("user") || v.has("password")) + int(v.has("nkey")) +
                      int(v.has("credentials_file"));
  if (methods > 1) return std::unexpected(v.error("one of token, user/password, nkey and credentials_file"));
  for (const auto key : {"nkey_seed_file", "credentials_file", "ca_file", "cert_file", "key_file"})
    if (auto ok = readable_file(v, key); !ok) return ok;
  if (v.list("servers").empty()) return std::unexpected(v["servers"].error("at least one server"));
  return {};
}

}  // namespace chatops::ingestion::stream
