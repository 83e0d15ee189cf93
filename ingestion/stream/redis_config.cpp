#include "ingestion/stream/redis_config.hpp"


#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

config::Schema redis_schema() {
  config::Schema s("stream/redis", "Redis (hiredis): Streams, read by a consumer in a consumer group, or Pub/Sub "
                                   "channels and patterns (at-most-once). No TLS (Debian's hiredis 0.14 has none): "
                                   "use a local Redis or a TLS tunnel.");
  s.field("host", config::Kind::String, "Server name or address.").fallback("localhost");
  s.field("port", config::Kind::Integer, "TCP port.").fallback("6379").range(1, 65535);
  s.field("user", config::Kind::String, "ACL user (Redis 6 or later); without it, AUTH with the password alone.");
  s.field("password", config::Kind::Secret, "Password; never logged.").example("\"${REDIS_PASSWORD}\"");
  s.field("database", config::Kind::Integer, "Database number (SELECT).").fallback("0").range(0, 1000000);
  s.field("streams", config::Kind::List, "Stream keys to read; each gets the group (made with MKSTREAM if missing).")
      .items(config::Kind::String)
      .example("[alerts]");
  s.field("channels", config::Kind::List,
          "Pub/Sub channels to subscribe to (instead of streams). At-most-once: what is published while the source is "
          "not subscribed is lost.")
      .items(config::Kind::String)
      .example("[deploys]");
  s.field("patterns", config::Kind::List, "Pub/Sub patterns to subscribe to (PSUBSCRIBE, glob-style: alerts.*).")
      .items(config::Kind::String)
      .example("[\"alerts.*\"]");
  add_format_field(s, "Pub/Sub messages (a stream entry is its fields, or json_field). ");
  s.field("group", config::Kind::String, "Consumer group. By default chatops-<source name>.");
  s.field("consumer", config::Kind::String,
          "Consumer name in the group; keep it stable: after a restart the consumer reads its own pending entries "
          "first. By default chatops-<source name>; give each bot its own when several share a group.");
  s.field("start", config::Kind::String,
          "Where a group made by the source begins: latest (entries added after it) or earliest (the whole stream).")
      .fallback("latest")
      .one_of({"latest", "earliest"});
  s.field("json_field", config::Kind::String,
          "An entry field holding a JSON document that is the item; without it, the item is the entry's fields "
          "(name → text).")
      .example("payload");
  s.field("batch_size", config::Kind::Integer, "Most entries journaled (and acknowledged) together (COUNT).")
      .fallback("500")
      .range(1, 100000);
  s.field("max_message_size", config::Kind::Size,
          "Larger entries (their fields as JSON, or the json_field) are skipped (counted, and acknowledged).")
      .fallback("1MiB")
      .range(1, 64 * 1024 * 1024);
  s.field("claim_idle", config::Kind::Duration,
          "Entries another consumer read but did not acknowledge for this long (it died) are taken over with "
          "XAUTOCLAIM (Redis 6.2 or later).")
      .fallback("5m")
      .range(1, 86400 * 30);
  s.field("timeout", config::Kind::Duration, "Connecting and each command.").fallback("5s").range(0.1, 600);
  payload::add_mapping_fields(s, kRedisMappingKeys);
  return s;
}

Result<void> check_redis_config(const config::Node& v) {
  if (auto mapping = payload::Mapping::from_config(v, kRedisMappingKeys); !mapping)
    return std::unexpected(mapping.error());
  auto given = [&](const char* key) { return v.has(key) && !v.list(key).empty(); };
  const bool streams = given("streams"), pubsub = given("channels") || given("patterns");
  if (!streams && !pubsub)
    return std::unexpected(v.error("give streams (Redis Streams), or channels and/or patterns (Pub/Sub)"));
  if (streams && pubsub)
    return std::unexpected(v["streams"].error("streams and channels/patterns cannot share a source (a subscribed "
                                              "connection runs no other command): make two sources"));
  for (const char* key : {"streams", "channels", "patterns"})
    if (v.has(key))
      for (const auto& name : v.list(key))
        if (name.scalar().empty()) return std::unexpected(name.error(std::string("an empty name in ") + key));
  return {};
}

}  // namespace chatops::ingestion::stream
