#include "ingestion/stream/stream_kind.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/modules/module_loader.hpp"
// Each system's schema and checks, when this build has it (and its row in systems() below); its
// sources are made by its module.
#ifdef CHATOPS_WITH_KAFKA
#include "ingestion/stream/kafka_config.hpp"
#endif
#ifdef CHATOPS_WITH_REDIS
#include "ingestion/stream/redis_config.hpp"
#endif
#ifdef CHATOPS_WITH_NATS
#include "ingestion/stream/nats_config.hpp"
#endif
#ifdef CHATOPS_WITH_RABBITMQ
#include "ingestion/stream/rabbitmq_config.hpp"
#endif

namespace chatops::ingestion::stream {

namespace {

// A broker the kind knows. Its functions are null when this build does not have it (its CMake
// option CHATOPS_WITH_<NAME> was off): it is still known, so that the error names the option. Its
// sources are made by its module, chatops-<name>.so (SystemModule).
struct System {
  std::string name;
  config::Schema (*schema)() = nullptr;                       // its keys, merged into the kind's
  Result<void> (*check)(const config::Node& validated) = nullptr;  // what the schema cannot say
  bool built() const { return schema != nullptr; }
};

// Every system the kind knows, built or not: adding one is a row here (and its header above).
const std::vector<System>& systems() {
  static const std::vector<System> table = {
#ifdef CHATOPS_WITH_KAFKA
      {"kafka", kafka_schema, check_kafka_config},
#else
      {"kafka"},
#endif
#ifdef CHATOPS_WITH_REDIS
      {"redis", redis_schema, check_redis_config},
#else
      {"redis"},
#endif
#ifdef CHATOPS_WITH_NATS
      {"nats", nats_schema, check_nats_config},
#else
      {"nats"},
#endif
#ifdef CHATOPS_WITH_RABBITMQ
      {"rabbitmq", rabbitmq_schema, check_rabbitmq_config},
#else
      {"rabbitmq"},
#endif
  };
  return table;
}

const System* find_system(std::string_view name) {
  const auto& table = systems();
  const auto found = std::ranges::find(table, name, &System::name);
  return found == table.end() ? nullptr : &*found;
}

std::vector<std::string> all_systems() {
  std::vector<std::string> names;
  for (const auto& system : systems()) names.push_back(system.name);
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
  for (const auto& system : systems())
    if (system.built()) built.push_back(system.name);
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
  const std::string name = raw["system"].scalar();
  const System* system = find_system(name);
  if (!system)
    return std::unexpected(raw["system"].error("unknown system \"" + name + "\"; known: " + joined(all_systems())));
  if (!system->built())
    return std::unexpected(raw["system"].error("this build has no " + name + " (CMake option CHATOPS_WITH_" +
                                               uppercase(name) + " was off)"));
  auto validated = config::validate(stream_source_schema().merged(system->schema(), "stream/" + name), raw);
  if (!validated) return validated;
  if (auto checked = system->check(*validated); !checked) return std::unexpected(checked.error());
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
        const System* system = find_system(v.str("system"));
        if (!system || !system->built()) return std::unexpected(v["system"].error("this build has no " + v.str("system")));
        auto module = modules::load<SystemModule>(system->name);
        if (!module) return std::unexpected(v["system"].error(module.error().message));
        return (*module)->make(v);
      },
      .schemas =
          [] {
            std::vector<config::Schema> schemas{stream_source_schema()};
            for (const auto& system : systems())
              if (system.built()) schemas.push_back(system.schema());
            return schemas;
          },
  };
}

}  // namespace chatops::ingestion::stream
