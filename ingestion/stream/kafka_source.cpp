#include "ingestion/stream/kafka_source.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "ingestion/payload/json.hpp"
#include "ingestion/stream/kafka_statistics.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

namespace {

// Leaving the group takes milliseconds with the coordinator up; stop() is to return within 2 s.
constexpr auto kCloseBound = std::chrono::milliseconds(1500);

using Message = std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)>;

std::string_view text_of(const void* data, std::size_t size) {
  return data ? std::string_view(static_cast<const char*>(data), size) : std::string_view();
}

// Valid UTF-8 as a JSON string, else null: keys and headers may be binary.
nlohmann::json utf8_or_null(std::string_view s) {
  if (!simdjson::validate_utf8(s.data(), s.size())) return nullptr;
  return std::string(s);
}

// Errors that retrying with the same configuration cannot mend.
bool permanent(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__FATAL:
      return true;
    default:
      return false;
  }
}

void error_callback(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaSource*>(opaque)->client_error(static_cast<rd_kafka_resp_err_t>(err), reason);
}

int statistics_callback(rd_kafka_t*, char* json, std::size_t length, void* opaque) {
  static_cast<KafkaSource*>(opaque)->statistics(std::string_view(json, length));
  return 0;  // librdkafka frees the JSON
}

void commit_done(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*, void*) {
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    spdlog::warn("kafka: committing offsets failed ({}): the messages since will be consumed again and "
                 "recognised as duplicates",
                 rd_kafka_err2str(err));
}

void rebalance_callback(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                        void* opaque) {
  static_cast<KafkaSource*>(opaque)->rebalance(err, partitions);
}

}  // namespace

void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  // syslog levels: 0–3 errors, 4 warning, 5–6 notice/info, 7 debug
  const auto spd = level <= 3 ? spdlog::level::err : level == 4 ? spdlog::level::warn
                   : level <= 6                  ? spdlog::level::info
                                                 : spdlog::level::debug;
  spdlog::log(spd, "kafka {} {}: {}", rd_kafka_name(rk), facility, text);
}

bool secret_property(std::string_view name) {
  return name.find("password") != std::string_view::npos || name.find("secret") != std::string_view::npos ||
         name.find(".pem") != std::string_view::npos || name == "sasl.oauthbearer.config";
}

KafkaSource::KafkaSource(StreamOptions stream, KafkaOptions options, payload::Mapping mapping)
    : StreamSource(stream), o_(std::move(options)), mapping_(std::move(mapping)) {}

KafkaSource::~KafkaSource() { stop(); }

SourceResult<> KafkaSource::connect() {
  lag_ = runtime().metrics().gauge("chatops_kafka_consumer_lag",
                                   "Messages of a partition after the last one a Kafka source journaled.",
                                   {"topic", "partition"});
  unreadable_ = runtime().metrics().counter("chatops_kafka_unreadable_total",
                                            "Kafka messages skipped (acknowledged without an event), by cause.",
                                            {"cause"});
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> error{};
  std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", o_.brokers},     {"group.id", o_.group},
      {"enable.auto.offset.store", "false"}, {"enable.auto.commit", "false"},
      {"auto.offset.reset", o_.start},       {"client.id", "chatops-bot"},
      // The end of a partition says its lag is 0, also to a consumer that has nothing left to take.
      {"enable.partition.eof", "true"},
      // librdkafka reconnects by itself after an outage and says so only in its statistics: on an
      // idle topic nothing else would show that the source is running again.
      {"statistics.interval.ms", "1000"},
      // librdkafka 2.0 stops fetching for a whole second whenever its local queue holds
      // queued.min.messages (default 100,000; the group consumer counts every partition's
      // messages together), a second the source, emptying the queue faster, mostly spent idle:
      // a backlog of 150,000 messages stood still 0.6 s. The queue's size limit
      // (queued.max.messages.kbytes, 64 MiB) still bounds its memory.
      {"queued.min.messages", "1000000"},
  };
  settings.insert(settings.end(), o_.properties.begin(), o_.properties.end());
  for (const auto& [name, value] : settings)
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return std::unexpected(SourceError::configuration(
          "property " + name + ": " + (secret_property(name) ? std::string("invalid value") : error.data())));
    }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_callback);
  rd_kafka_conf_set_offset_commit_cb(conf, commit_done);
  rd_kafka_conf_set_log_cb(conf, log_to_spdlog);
  rd_kafka_conf_set_error_cb(conf, error_callback);
  rd_kafka_conf_set_stats_cb(conf, statistics_callback);
  failed_.reset();
  reachable_ = true;
  closing_ = false;
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (!consumer_) {
    rd_kafka_conf_destroy(conf);
    return std::unexpected(SourceError::configuration(std::string("cannot create the Kafka consumer: ") + error.data()));
  }
  rd_kafka_poll_set_consumer(consumer_);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(static_cast<int>(o_.topics.size()));
  for (const auto& t : o_.topics) rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  const auto err = rd_kafka_subscribe(consumer_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) {
    disconnect();
    return std::unexpected(SourceError::configuration(std::string("cannot subscribe: ") + rd_kafka_err2str(err)));
  }
  return {};
}

void KafkaSource::rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  const char* protocol = rd_kafka_rebalance_protocol(consumer_);
  const bool cooperative = protocol && std::string_view(protocol) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      if (auto* e = rd_kafka_incremental_assign(consumer_, partitions)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(consumer_, partitions);
    }
    spdlog::info("source {}: {} partition(s) assigned", runtime().name(), partitions->cnt);
    return;
  }
  // Revoked (or an error): what the journal committed is stored; commit it before the partitions
  // go, so that their next owner starts after it. Messages taken but not journaled are not stored.
  // Not when the brokers cannot be reached (it would wait for them), and not waited for when the
  // source stops (a coordinator that does not answer would hold stop() up; each batch's offsets
  // were committed after it anyway).
  if (!rd_kafka_assignment_lost(consumer_) && reachable_) {
    const auto committed = rd_kafka_commit(consumer_, nullptr, closing_ ? 1 : 0);
    if (committed && committed != RD_KAFKA_RESP_ERR__NO_OFFSET)
      spdlog::warn("source {}: committing before a rebalance failed: {}", runtime().name(), rd_kafka_err2str(committed));
  }
  if (cooperative) {
    if (auto* e = rd_kafka_incremental_unassign(consumer_, partitions)) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(consumer_, nullptr);
  }
  spdlog::info("source {}: {} partition(s) revoked", runtime().name(), partitions->cnt);
}

void KafkaSource::client_error(rd_kafka_resp_err_t err, const char* reason) {
  const std::string what = std::string(rd_kafka_err2name(err)) + ": " + reason;
  if (permanent(err) || rd_kafka_fatal_error(consumer_, nullptr, 0)) {
    failed_ = SourceError::configuration(what);
    return;
  }
  // librdkafka reconnects and retries by itself: say so, and go on.
  reachable_ = false;
  spdlog::warn("source {}: {}", runtime().name(), what);
  runtime().status().fail(SourceError::transient(what), SourceState::Retrying);
}

void KafkaSource::statistics(std::string_view json) {
  // Only the way back: the way down is said by client_error, in librdkafka's own words.
  if (reachable_ || failed_ || !consumer_reach(json).problem.empty()) return;
  reachable_ = true;
  if (runtime().status().state() != SourceState::Retrying) return;
  runtime().status().set_state(SourceState::Running);
  spdlog::info("source {}: the brokers are reachable again", runtime().name());
}

SourceResult<Received> KafkaSource::receive(std::chrono::steady_clock::time_point deadline) {
  Received batch;
  Offsets offsets;
  std::size_t taken = 0;
  while (taken < o_.batch_size) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // Wait for the first message; then take what is already there.
    Message m(rd_kafka_consumer_poll(consumer_, taken ? 0 : static_cast<int>(std::max<long>(0, left.count()))),
              rd_kafka_message_destroy);
    if (!m) {
      if (taken || left.count() <= 0) break;
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (!offsets.contains({rd_kafka_topic_name(m->rkt), m->partition})) set_lag({rd_kafka_topic_name(m->rkt), m->partition}, 0);
      continue;
    }
    if (m->err) {
      client_error(m->err, rd_kafka_message_errstr(m.get()));
      break;
    }
    reachable_ = true;
    if (runtime().status().state() == SourceState::Retrying) runtime().status().set_state(SourceState::Running);
    take(*m, batch, offsets);
    ++taken;
  }
  // Not acknowledged: the group gives them again once the configuration is mended.
  if (failed_) return std::unexpected(*failed_);
  // Stored once the batch is committed (or, with only unreadable messages, after the batches before it).
  if (!offsets.empty()) batch.upstream = std::move(offsets);
  return batch;
}

void KafkaSource::take(const rd_kafka_message_t& m, Received& batch, Offsets& taken) {
  const std::string topic = rd_kafka_topic_name(m.rkt);
  taken[{topic, m.partition}] = m.offset + 1;
  const std::string position = topic + "/" + std::to_string(m.partition) + "/" + std::to_string(m.offset);
  auto event = to_event(m, topic, position);
  if (event) {
    batch.events.push_back(std::move(*event));
    return;
  }
  skip_unreadable(runtime(), unreadable_, position, event.error().cause, event.error().reason);
}

std::expected<IngestionEvent, Unreadable> KafkaSource::to_event(const rd_kafka_message_t& m, const std::string& topic,
                                                                const std::string& position) {
  auto item_text = payload_item(text_of(m.payload, m.len), o_.json, o_.max_message_size);
  if (!item_text) return std::unexpected(item_text.error());
  std::string item = std::move(*item_text);
  auto doc = payload::parse_json(item);
  if (!doc) return std::unexpected(Unreadable{"not_json", "not JSON: " + doc.error()});

  std::vector<std::pair<std::string, std::string>> headers;
  nlohmann::json header_fields = nlohmann::json::object();
  if (rd_kafka_headers_t* hdrs = nullptr; rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      const auto v = utf8_or_null(text_of(value, size));
      if (v.is_null() || !simdjson::validate_utf8(name, std::strlen(name))) continue;
      headers.emplace_back(name, v.get<std::string>());
      header_fields[name] = v;
    }
  }
  const payload::HeaderLookup lookup = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return std::nullopt;
  };
  rd_kafka_timestamp_type_t kind = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const auto timestamp = rd_kafka_message_timestamp(&m, &kind);
  const payload::EnvelopeField envelope{
      "kafka",
      {
          {"topic", topic},
          {"partition", m.partition},
          {"offset", m.offset},
          {"key", utf8_or_null(text_of(m.key, m.key_len))},
          {"timestamp", kind == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nlohmann::json(nullptr) : nlohmann::json(timestamp)},
          {"headers", std::move(header_fields)},
      }};
  auto e = mapping_.map(doc->root(), lookup, "kafka/" + topic, &envelope, payload::FieldsForm::Text, item);
  if (!e) return std::unexpected(Unreadable{e.error().cause, e.error().reason});
  auto& event = *e;
  if (event.dedupe_key.empty()) event.dedupe_key = position;
  if (o_.json) event.raw = std::move(item);
  if (event.default_template.empty())
    event.default_template = o_.json ? "[{{_event.source}}] {{_event.topic}} {{kafka.key}} (offset {{kafka.offset}})"
                                  : "[{{_event.source}}] {{text}}";
  return std::move(event);
}

SourceResult<> KafkaSource::store(const Offsets& offsets) {
  if (offsets.empty()) return {};
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [partition, next] : offsets)
    rd_kafka_topic_partition_list_add(list, partition.first.c_str(), partition.second)->offset = next;
  // A partition revoked meanwhile is refused here: its next owner consumes those messages again and
  // the journal recognises them as duplicates.
  rd_kafka_offsets_store(consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  const auto err = rd_kafka_commit(consumer_, nullptr, 1);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    spdlog::warn("source {}: cannot commit offsets: {}", runtime().name(), rd_kafka_err2str(err));
  update_lag(offsets);
  return {};
}

void KafkaSource::update_lag(const Offsets& offsets) {
  for (const auto& [partition, next] : offsets) {
    std::int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(consumer_, partition.first.c_str(), partition.second, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0)
      set_lag(partition, std::max<std::int64_t>(0, high - next));
  }
}

void KafkaSource::set_lag(const Partition& partition, std::int64_t lag) {
  lag_.set(static_cast<double>(lag), {partition.first, std::to_string(partition.second)});
  lags_[partition] = lag;
  std::int64_t total = 0;
  for (const auto& [p, n] : lags_) total += n;
  total_lag_.store(total);
}

std::optional<std::int64_t> KafkaSource::lag() const {
  const auto total = total_lag_.load();
  return total < 0 ? std::nullopt : std::optional(total);
}

SourceResult<> KafkaSource::acknowledge(const Received& batch) {
  const auto* offsets = std::any_cast<Offsets>(&batch.upstream);
  return offsets ? store(*offsets) : SourceResult<>{};
}

void KafkaSource::disconnect() {
  lags_.clear();  // the next connection may be given other partitions
  total_lag_.store(-1);
  if (!consumer_) return;
  if (!reachable_) {
    // Leaving the group and a last commit would wait for a coordinator that cannot be reached
    // (20 s and more). Each batch's offsets were committed after it; whatever of them did not get
    // through is consumed again by the next owner and recognised as duplicates by the journal. The
    // group sees this member go when its session times out.
    spdlog::info("source {}: the brokers cannot be reached: leaving without a last commit", runtime().name());
    rd_kafka_destroy_flags(consumer_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    consumer_ = nullptr;
    return;
  }
  closing_ = true;
  // Leave the group, committing what is stored on the way out. Destroying the handle while its
  // close is under way deadlocks librdkafka 2.0 (seen with a coordinator unreachable), so the
  // close is waited for; one that never ends leaves the handle behind rather than hang.
  rd_kafka_queue_t* queue = rd_kafka_queue_new(consumer_);
  bool closed = true;
  if (rd_kafka_error_t* e = rd_kafka_consumer_close_queue(consumer_, queue)) {
    rd_kafka_error_destroy(e);
  } else {
    // Served as events: this queue also gets messages and errors, which a callback poll rejects.
    const auto until = std::chrono::steady_clock::now() + kCloseBound;
    while (!(closed = rd_kafka_consumer_closed(consumer_)) && std::chrono::steady_clock::now() < until) {
      rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 50);
      if (!event) continue;
      if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE)
        rebalance(rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event));
      rd_kafka_event_destroy(event);
    }
  }
  rd_kafka_queue_destroy(queue);
  if (closed) {
    rd_kafka_destroy_flags(consumer_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  } else {
    spdlog::error("source {}: the Kafka consumer did not close within {} ms; it is left behind", runtime().name(),
                  kCloseBound.count());
    // Its threads go on reconnecting: silenced, so that they neither log forever nor log into a
    // logger that the process destroys as it exits (seen under AddressSanitizer).
    rd_kafka_set_log_level(consumer_, 0);
  }
  consumer_ = nullptr;
}

Result<void> check_kafka_properties(const config::Node& props, const std::set<std::string, std::less<>>& own,
                                    std::string_view owner) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> error{};
  Result<void> outcome;
  for (const auto& name : props.keys()) {
    const auto value = props[name];
    if (own.contains(name)) {
      outcome = std::unexpected(value.error("property " + name + " is set by " + std::string(owner)));
      break;
    }
    if (!value.is_scalar()) {
      outcome = std::unexpected(value.error("property " + name + " must be a single value"));
      break;
    }
    if (rd_kafka_conf_set(conf, name.c_str(), value.scalar().c_str(), error.data(), error.size()) != RD_KAFKA_CONF_OK) {
      outcome = std::unexpected(
          value.error(secret_property(name) ? "invalid value for property " + name : std::string(error.data())));
      break;
    }
  }
  rd_kafka_conf_destroy(conf);
  return outcome;
}

namespace {

std::vector<std::pair<std::string, std::string>> properties_of(const config::Node& v) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!v.has("properties")) return out;
  const auto props = v.map("properties");
  for (const auto& name : props.keys()) out.emplace_back(name, props[name].scalar());
  return out;
}

}  // namespace

Result<std::unique_ptr<IngestionSource>> make_kafka_source(const config::Node& v) {
  auto mapping = payload::Mapping::from_config(v, kKafkaMappingKeys);
  if (!mapping) return std::unexpected(mapping.error());
  KafkaOptions o;
  o.brokers = v.str("brokers");
  o.topics = v.strings("topics");
  o.group = v.has("group") ? v.str("group") : "chatops-" + v.str("name");
  o.properties = properties_of(v);
  o.start = v.str("start");
  o.json = v.str("format") == "json";
  o.batch_size = static_cast<std::size_t>(v.integer("batch_size"));
  o.max_message_size = v.size("max_message_size");
  return std::make_unique<KafkaSource>(stream_options(v), std::move(o), std::move(*mapping));
}

}  // namespace chatops::ingestion::stream
