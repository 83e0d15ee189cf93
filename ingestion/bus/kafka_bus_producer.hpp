#pragma once
// The receiver's journal: where its sources' batches go when `bus.role` is receiver. Each event is
// produced whole (bus_message.hpp) to the bus topic, keyed by its source's name (one partition per
// key keeps a source's order), with acks=all and an idempotent producer; a batch's completion runs
// only once every one of its messages has a delivery report, and with Accepted only when all were
// acknowledged by the brokers — else the batch is refused and its source does not acknowledge
// upstream (a webhook gets 503). A batch's cursor and state changes go to the local journal after
// its events are on the bus: a poller's cursor moves only after the brokers' acknowledgement
// (at-least-once; the speaker's dedupe makes a repeat said once).
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "core/metrics.hpp"
#include "ingestion/bus/bus_config.hpp"
#include "ingestion/bus/kafka_bus_config.hpp"
#include "ingestion/runtime/store.hpp"

namespace chatops::ingestion::bus {

class BusProducer final : public Producer {
 public:
  // `local`: the process's SQLite journal, for cursors and state.
  static Result<std::unique_ptr<BusProducer>> open(const BusOptions& options, SourceStore& local,
                                                   metrics::Registry* registry = nullptr);
  ~BusProducer() override;  // refuses what the brokers have not acknowledged, then stops
  BusProducer(const BusProducer&) = delete;
  BusProducer& operator=(const BusProducer&) = delete;

  void submit(EventBatch batch, Completion done) override;

  std::uint64_t produced() const override { return produced_.load(); }
  std::uint64_t failed() const override { return failed_.load(); }
  BrokerReach reach() const override;

  struct Pending;
  struct Reachability;
  struct Ticket {  // one message's opaque
    BusProducer* producer;
    std::shared_ptr<Pending> pending;
  };

 private:
  BusProducer(const BusOptions& options, SourceStore& local, rd_kafka_t* producer,
              std::unique_ptr<Reachability> reachability, metrics::Registry* registry);
  // librdkafka's delivery report of one message of `pending` (on the poll thread).
  void delivered(const rd_kafka_message_t& message, const std::shared_ptr<Pending>& pending);
  void count(bool acknowledged);
  void finish(const std::shared_ptr<Pending>& pending);  // once: at its last report, or at its deadline
  void expire(std::chrono::steady_clock::time_point now);  // refuses the batches past their deadline

  const BusOptions options_;
  SourceStore& local_;
  std::unique_ptr<Reachability> reachability_;  // the statistics callback's opaque: outlives producer_
  rd_kafka_t* producer_;
  rd_kafka_topic_t* topic_ = nullptr;  // held so that its metadata is fetched before the first event
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> produced_{0}, failed_{0};
  metrics::Counter* produced_counter_ = nullptr;
  metrics::Counter* failed_counter_ = nullptr;
  std::mutex waiting_mutex_;
  std::vector<std::weak_ptr<Pending>> waiting_;  // batches not yet answered, in submission order
  std::thread poller_;  // serves delivery reports and deadlines
};

}  // namespace chatops::ingestion::bus
