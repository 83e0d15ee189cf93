#include "ingestion/bus/kafka_bus_producer.hpp"

#include <pthread.h>

#include <array>
#include <mutex>

#include <spdlog/spdlog.h>

#include "ingestion/bus/bus_message.hpp"
#include "ingestion/bus/kafka_bus_properties.hpp"
#include "ingestion/stream/kafka_statistics.hpp"

namespace chatops::ingestion::bus {

namespace {

constexpr int kPollMs = 100;  // how soon the poll thread sees a stop


BatchResult accepted(std::size_t events) {
  BatchResult r;
  r.outcomes.assign(events, Submission::Accepted);
  r.ids.assign(events, 0);  // the speaker's journal gives ids
  return r;
}

}  // namespace

// One batch on its way: answered when its last message has its delivery report.
struct BusProducer::Pending {
  EventBatch batch;  // events moved out once produced; cursor and state kept for the local journal
  std::size_t events = 0;
  Completion done;
  std::atomic<std::size_t> remaining{0};
  std::mutex mutex;
  std::string error;  // the first failure; empty when every message was acknowledged
  std::chrono::steady_clock::time_point deadline;  // refused then, whatever librdkafka still waits for
  std::atomic<bool> finished{false};
  std::atomic<bool> expired{false};  // refused at its deadline: its late reports are not counted
  void failed(std::string why) {
    std::lock_guard lock(mutex);
    if (error.empty()) error = std::move(why);
  }
};

// What the statistics callback last found, read by /healthz on the io thread.
struct BusProducer::Reachability {
  std::string topic;
  metrics::Gauge* brokers_up = nullptr;
  mutable std::mutex mutex;
  BrokerReach reach{0, "not connected to the brokers yet"};
  bool told = false;  // the first statistics were logged

  void update(std::string_view statistics) {
    auto now = stream::producer_reach(statistics, topic);
    if (brokers_up) brokers_up->set(now.brokers_up);
    std::lock_guard lock(mutex);
    // Said at the first statistics and when it can produce again or no longer, not once a second
    // (the brokers' states in the problem change while they are down).
    if (!told || now.problem.empty() != reach.problem.empty()) {
      if (!now.problem.empty())
        spdlog::warn("bus: cannot produce to the brokers: {} (not ready until it can)", now.problem);
      else
        spdlog::info("bus: producing to topic {}: {} broker connection(s) up", topic, now.brokers_up);
    }
    told = true;
    reach = std::move(now);
  }
};

Result<std::unique_ptr<BusProducer>> BusProducer::open(const BusOptions& o, SourceStore& local,
                                                       metrics::Registry* registry) {
  std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", o.brokers},
      {"client.id", "chatops-bot-receiver"},
      // What makes an acknowledged event survive a broker's loss, and retries neither repeat nor
      // reorder messages within the producer.
      {"acks", "all"},
      {"enable.idempotence", "true"},
      {"message.timeout.ms", std::to_string(o.delivery_timeout.count())},
      {"linger.ms", "2"},
      // Whether it can produce (reach()): the brokers' and the topic's state, once a second.
      {"statistics.interval.ms", "1000"},
  };
  settings.insert(settings.end(), o.properties.begin(), o.properties.end());
  auto conf = make_conf(settings);
  if (!conf) return std::unexpected(conf.error());
  rd_kafka_conf_set_dr_msg_cb(*conf, [](rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    // Each message's own opaque is its ticket: the producer and its batch.
    auto* ticket = static_cast<Ticket*>(message->_private);
    ticket->producer->delivered(*message, ticket->pending);
    delete ticket;
  });
  auto reachability = std::make_unique<Reachability>();
  reachability->topic = o.topic;
  if (registry)
    reachability->brokers_up = &registry->gauge("chatops_bus_brokers_up",
                                                "Broker connections of the receiver's producer that are up (0: it "
                                                "cannot produce, and is not ready).");
  rd_kafka_conf_set_opaque(*conf, reachability.get());
  rd_kafka_conf_set_stats_cb(*conf, [](rd_kafka_t*, char* json, std::size_t length, void* opaque) {
    static_cast<Reachability*>(opaque)->update(std::string_view(json, length));
    return 0;  // librdkafka frees the JSON
  });
  std::array<char, 512> error{};
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, error.data(), error.size());
  if (!producer) {
    rd_kafka_conf_destroy(*conf);
    return fail(std::string("bus: cannot create the Kafka producer: ") + error.data());
  }
  return std::unique_ptr<BusProducer>(new BusProducer(o, local, producer, std::move(reachability), registry));
}

BusProducer::BusProducer(const BusOptions& options, SourceStore& local, rd_kafka_t* producer,
                         std::unique_ptr<Reachability> reachability, metrics::Registry* registry)
    : Producer(local),
      options_(options),
      local_(local),
      reachability_(std::move(reachability)),
      producer_(producer),
      topic_(rd_kafka_topic_new(producer, options.topic.c_str(), nullptr)) {
  if (registry) {
    auto& produced = registry->counter_family("chatops_bus_produced_total",
                                              "Events a receiver produced to the bus topic, by outcome (acknowledged "
                                              "by the brokers, or failed: not acknowledged, the batch refused).",
                                              {"outcome"});
    produced_counter_ = &produced.labels({"acknowledged"});
    failed_counter_ = &produced.labels({"failed"});
  }
  poller_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "bus-producer");
    while (!stopping_.load()) {
      rd_kafka_poll(producer_, kPollMs);
      expire(std::chrono::steady_clock::now());
    }
  });
}

void BusProducer::expire(std::chrono::steady_clock::time_point now) {
  // librdkafka times a message out only once the request carrying it ends: a request in flight to
  // a broker that went away keeps its messages for up to socket.timeout.ms (60 s), past the
  // sender's patience and http.answer_timeout. The batch is refused at delivery_timeout instead
  // (its sender retries; a message that reaches the brokers after all is a repeat, which the
  // speaker's dedupe says once).
  std::vector<std::shared_ptr<Pending>> expired;
  {
    std::lock_guard lock(waiting_mutex_);
    std::erase_if(waiting_, [&](const std::weak_ptr<Pending>& w) {
      const auto pending = w.lock();
      if (!pending || pending->finished.load()) return true;
      if (now < pending->deadline) return false;
      expired.push_back(pending);
      return true;
    });
  }
  for (const auto& pending : expired) {
    // Its messages without a report count as failed now (not acknowledged in time), once.
    pending->expired.store(true);
    for (auto left = pending->remaining.load(); left > 0; --left) count(false);
    pending->failed("the brokers did not acknowledge every event within bus.delivery_timeout");
    finish(pending);
  }
}

BusProducer::~BusProducer() {
  // What the brokers acknowledge within the delivery timeout is answered accepted; the rest is
  // purged, and its delivery reports (errors) refuse the batches.
  rd_kafka_flush(producer_, static_cast<int>(options_.delivery_timeout.count()));
  rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  stopping_.store(true);
  poller_.join();
  rd_kafka_poll(producer_, 0);
  if (topic_) rd_kafka_topic_destroy(topic_);
  rd_kafka_destroy(producer_);
}

BrokerReach BusProducer::reach() const {
  std::lock_guard lock(reachability_->mutex);
  return reachability_->reach;
}

void BusProducer::submit(EventBatch batch, Completion done) {
  if (batch.events.empty()) return local_.submit(std::move(batch), std::move(done));
  auto pending = std::make_shared<Pending>();
  pending->events = batch.events.size();
  pending->remaining.store(batch.events.size());
  pending->done = std::move(done);
  pending->deadline = std::chrono::steady_clock::now() + options_.delivery_timeout;
  {
    std::lock_guard lock(waiting_mutex_);
    waiting_.push_back(pending);
  }
  auto events = std::move(batch.events);
  pending->batch = std::move(batch);
  const auto& key = pending->batch.source;
  for (const auto& event : events) {
    auto message = encode(event);
    auto* ticket = new Ticket{this, pending};
    const auto err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(message.data(), message.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(ticket), RD_KAFKA_V_END);
    if (err) {
      // Not queued (the local queue full, the producer failed): no report will come for it.
      delete ticket;
      count(false);
      pending->failed(std::string("cannot produce to the bus: ") + rd_kafka_err2str(err));
      if (pending->remaining.fetch_sub(1) == 1) finish(pending);
    }
  }
}

void BusProducer::delivered(const rd_kafka_message_t& message, const std::shared_ptr<Pending>& pending) {
  if (!pending->expired.load()) count(!message.err);
  if (message.err)
    pending->failed(std::string("the brokers did not acknowledge an event: ") + rd_kafka_err2str(message.err));
  if (pending->remaining.fetch_sub(1) == 1) finish(pending);
}

void BusProducer::count(bool acknowledged) {
  (acknowledged ? produced_ : failed_)++;
  if (auto* counter = acknowledged ? produced_counter_ : failed_counter_) counter->inc();
}

void BusProducer::finish(const std::shared_ptr<Pending>& pending) {
  if (pending->finished.exchange(true)) return;  // refused at its deadline already
  std::string error;
  {
    std::lock_guard lock(pending->mutex);
    error = pending->error;
  }
  if (!error.empty()) {
    spdlog::warn("bus: a batch of {} events of source {} is refused: {}", pending->events, pending->batch.source, error);
    return pending->done(BatchResult::refused(pending->events, error));
  }
  if (!pending->batch.cursor && pending->batch.state.empty()) return pending->done(accepted(pending->events));
  // The cursor and state move after the events are on the bus: a crash in between gives the
  // events again (at-least-once), and the speaker's dedupe says them once.
  local_.submit(std::move(pending->batch), [pending](const BatchResult& local) {
    pending->done(local.committed()
                      ? accepted(pending->events)
                      : BatchResult::refused(pending->events, "events on the bus, but the cursor was not saved: " +
                                                                  local.error));
  });
}

}  // namespace chatops::ingestion::bus
