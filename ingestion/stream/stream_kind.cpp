#include "ingestion/stream/stream_kind.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#ifdef CHATOPS_WITH_KAFKA
#include "ingestion/stream/kafka_source.hpp"
#endif
#ifdef CHATOPS_WITH_REDIS
#include "ingestion/stream/redis_source.hpp"
#endif
#ifdef CHATOPS_WITH_NATS
#include "ingestion/stream/nats_source.hpp"
#endif
#ifdef CHATOPS_WITH_RABBITMQ
#include "ingestion/stream/rabbitmq_source.hpp"
#endif

namespace chatops::ingestion::stream {

namespace {

// Every system the kind knows, built or not (so that a build without one says which option).
const std::vector<std::string>& all_systems() {
  static const std::vector<std::string> names = {"kafka", "redis", "nats", "rabbitmq"};
  return names;
}

std::string uppercase(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

config::Schema system_schema(const std::string& system) {
#ifdef CHATOPS_WITH_KAFKA
  if (system == "kafka") return kafka_schema();
#endif
#ifdef CHATOPS_WITH_REDIS
  if (system == "redis") return redis_schema();
#endif
#ifdef CHATOPS_WITH_NATS
  if (system == "nats") return nats_schema();
#endif
#ifdef CHATOPS_WITH_RABBITMQ
  if (system == "rabbitmq") return rabbitmq_schema();
#endif
  return config::Schema("stream/" + system, "");
}

}  // namespace

void skip_unreadable(SourceRuntime& runtime, const SourceMetrics::Counter& unreadable, const std::string& position,
                     const std::string& cause, const std::string& reason) {
  auto& status = runtime.status();
  ++status.consumed;
  ++status.failed;
  unreadable.inc({cause});
  status.set_error("message " + position + " skipped: " + reason);
  spdlog::debug("source {}: message {} skipped: {}", runtime.name(), position, reason);
}

std::expected<std::string, Unreadable> payload_item(std::string_view payload, bool json, std::size_t max_size) {
  if (payload.size() > max_size)
    return std::unexpected(Unreadable{"too_large", std::to_string(payload.size()) + " bytes, over max_message_size"});
  if (json) return std::string(payload);
  if (!simdjson::validate_utf8(payload.data(), payload.size()))
    return std::unexpected(Unreadable{"not_utf8", "not UTF-8 text"});
  return nlohmann::json{{"text", std::string(payload)}}.dump();
}

void add_format_field(config::Schema& s, std::string_view which) {
  s.field("format", config::Kind::String,
          std::string(which) +
              "json: each message is a JSON document, mapped like a webhook's body; text: the message is the field "
              "`text`.")
      .fallback("json")
      .one_of({"json", "text"});
}

StreamOptions stream_options(const config::Node& v) {
  StreamOptions o;
  o.receive_wait = std::chrono::milliseconds(250);  // stop() waits for the receive under way
  const auto backoff = v.map("backoff");
  o.backoff_initial = backoff.duration("initial");
  o.backoff_max = std::max(backoff.duration("max"), o.backoff_initial);
  return o;
}

std::vector<std::string> built_systems() {
  std::vector<std::string> built;
#ifdef CHATOPS_WITH_KAFKA
  built.push_back("kafka");
#endif
#ifdef CHATOPS_WITH_REDIS
  built.push_back("redis");
#endif
#ifdef CHATOPS_WITH_NATS
  built.push_back("nats");
#endif
#ifdef CHATOPS_WITH_RABBITMQ
  built.push_back("rabbitmq");
#endif
  return built;
}

config::Schema stream_source_schema() {
  config::Schema s("stream", "");
  s.field("system", config::Kind::String,
          "The broker: kafka, redis (Redis Streams, Pub/Sub), nats (NATS, JetStream) or rabbitmq (AMQP 0-9-1).")
      .required()
      .one_of(all_systems());
  config::Schema backoff("backoff", "After a lost connection or a refused batch: the next try waits initial, "
                                    "doubling up to max.");
  backoff.field("initial", config::Kind::Duration, "First wait.").fallback("1s").range(0.01, 3600);
  backoff.field("max", config::Kind::Duration, "Longest wait between tries.").fallback("1m").range(0.01, 86400);
  s.field("backoff", config::Kind::Map, "Reconnection after a failure.").schema(backoff).fallback("{}");
  return common_source_schema().merged(s, "stream");
}

Result<config::Node> validate_stream_source(const config::Node& raw) {
  if (!raw.has("system")) return std::unexpected(raw.error("missing system (one of " + joined(all_systems()) + ")"));
  const std::string system = raw["system"].scalar();
  if (std::ranges::find(all_systems(), system) == all_systems().end())
    return std::unexpected(raw["system"].error("unknown system \"" + system + "\"; known: " + joined(all_systems())));
  const auto built = built_systems();
  if (std::ranges::find(built, system) == built.end())
    return std::unexpected(raw["system"].error("this build has no " + system + " (CMake option CHATOPS_WITH_" +
                                               uppercase(system) + " was off)"));
  auto validated = config::validate(stream_source_schema().merged(system_schema(system), "stream/" + system), raw);
  if (!validated) return validated;
#ifdef CHATOPS_WITH_KAFKA
  if (system == "kafka")
    if (auto checked = check_kafka_config(*validated); !checked) return std::unexpected(checked.error());
#endif
#ifdef CHATOPS_WITH_REDIS
  if (system == "redis")
    if (auto checked = check_redis_config(*validated); !checked) return std::unexpected(checked.error());
#endif
#ifdef CHATOPS_WITH_NATS
  if (system == "nats")
    if (auto checked = check_nats_config(*validated); !checked) return std::unexpected(checked.error());
#endif
#ifdef CHATOPS_WITH_RABBITMQ
  if (system == "rabbitmq")
    if (auto checked = check_rabbitmq_config(*validated); !checked) return std::unexpected(checked.error());
#endif
  return validated;
}

SourceKind stream_source_kind() {
  return {
      .name = "stream",
      .family = "stream",
      .doc = "Messages consumed from a broker (Kafka, Redis, NATS, RabbitMQ), acknowledged upstream only once journaled; each becomes an "
             "event with topic <system>/<upstream topic> unless mapped otherwise. See docs/sources/stream.md.",
      .validate = validate_stream_source,
      .make = [](const config::Node& v, SourceServices&) -> Result<std::unique_ptr<IngestionSource>> {
#ifdef CHATOPS_WITH_KAFKA
        if (v.str("system") == "kafka") return make_kafka_source(v);
#endif
#ifdef CHATOPS_WITH_REDIS
        if (v.str("system") == "redis") return make_redis_source(v);
#endif
#ifdef CHATOPS_WITH_NATS
        if (v.str("system") == "nats") return make_nats_source(v);
#endif
#ifdef CHATOPS_WITH_RABBITMQ
        if (v.str("system") == "rabbitmq") return make_rabbitmq_source(v);
#endif
        return std::unexpected(v["system"].error("this build has no " + v.str("system")));
      },
      .schemas =
          [] {
            std::vector<config::Schema> schemas{stream_source_schema()};
            for (const auto& system : built_systems()) schemas.push_back(system_schema(system));
            return schemas;
          },
  };
}

}  // namespace chatops::ingestion::stream
