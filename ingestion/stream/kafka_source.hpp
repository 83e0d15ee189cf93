#pragma once
// `kind: stream, system: kafka`: a librdkafka consumer in a consumer group. Offsets are never
// stored automatically (enable.auto.offset.store=false): after the journal committed a batch, the
// next offset of each partition in it is stored and committed. A rebalance commits what is stored
// before partitions go. Delivery is at-least-once upstream; the dedupe key topic/partition/offset
// makes it said once.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "ingestion/payload/mapping.hpp"
#include "ingestion/runtime/stream.hpp"
#include "ingestion/stream/kafka_config.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

struct KafkaOptions {
  std::string brokers;
  std::string group;
  std::vector<std::string> topics;  // names, or regexes starting with ^
  std::vector<std::pair<std::string, std::string>> properties;  // passed to librdkafka as they are
  std::string start = "latest";  // auto.offset.reset: where a group without committed offsets begins
  bool json = true;              // else text: the message is the field `text`
  std::size_t batch_size = 500;
  std::size_t max_message_size = 1024 * 1024;
};

class KafkaSource : public StreamSource {
 public:
  KafkaSource(StreamOptions stream, KafkaOptions options, payload::Mapping mapping);
  ~KafkaSource() override;

  // Messages after the last one taken, over the partitions it has read (nullopt before it knows);
  // from any thread.
  std::optional<std::int64_t> lag() const;

  // librdkafka's rebalance, error and statistics callbacks (on the consumer thread, inside a poll).
  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void client_error(rd_kafka_resp_err_t err, const char* reason);
  void statistics(std::string_view json);

 protected:
  using Partition = std::pair<std::string, std::int32_t>;
  // The offset after the last message of a batch from each partition: its Received::upstream.
  using Offsets = std::map<Partition, std::int64_t>;
  // What one message becomes (the Kafka journal's speaker reads its own format: ingestion/bus/).
  virtual std::expected<IngestionEvent, Unreadable> to_event(const rd_kafka_message_t& message, const std::string& topic,
                                                             const std::string& position);
  // Stores and commits (asynchronously) the offsets after a batch the journal committed.
  virtual SourceResult<> store(const Offsets& next);
  rd_kafka_t* consumer() const { return consumer_; }
  // The lag of the partitions in `next` (a batch's offsets), from their high watermarks.
  void update_lag(const Offsets& next);

  SourceResult<> connect() override;
  void disconnect() override;
  // Batches are acknowledged in order, so offsets are stored in order.
  bool pipelined() const override { return true; }

 private:
  SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) override;
  SourceResult<> acknowledge(const Received& batch) override;

  // One message into the batch (an event, or counted as failed); its offset is done either way.
  void take(const rd_kafka_message_t& message, Received& batch, Offsets& taken);
  // One partition's lag, into the gauge and the total lag() reads.
  void set_lag(const Partition& partition, std::int64_t lag);

  const KafkaOptions o_;
  const payload::Mapping mapping_;
  rd_kafka_t* consumer_ = nullptr;
  // A permanent error the error callback saw, ending the source at the end of the receive.
  std::optional<SourceError> failed_;
  // False from an error the client reported (brokers down, a lost connection) until the next
  // message: leaving the group then skips what would wait for the brokers.
  bool reachable_ = true;
  bool closing_ = false;  // leaving the group (disconnect())
  SourceMetrics::Gauge lag_;
  std::map<Partition, std::int64_t> lags_;    // the consumer thread's
  std::atomic<std::int64_t> total_lag_{-1};  // their sum, for lag()
  SourceMetrics::Counter unreadable_;
};

// librdkafka's log lines into spdlog (a conf's log_cb).
void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* text);
// Whether a librdkafka property holds a secret (never put into a message or log line).
bool secret_property(std::string_view name);
// Checks a `properties:` map against librdkafka; names in `own` are refused as set by `owner`.
Result<void> check_kafka_properties(const config::Node& properties, const std::set<std::string, std::less<>>& own,
                                    std::string_view owner);
Result<std::unique_ptr<IngestionSource>> make_kafka_source(const config::Node& validated);

}  // namespace chatops::ingestion::stream
