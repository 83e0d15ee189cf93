#pragma once
// `kind: stream, system: nats` (libnats). Two modes:
//  - JetStream (`stream:` set): a durable pull consumer (made with explicit acks when missing),
//    fetched in batches; each message is acknowledged only after the journal committed it, and
//    the acks are flushed to the server before the next fetch. At-least-once
//    upstream; the dedupe key <stream>/<stream sequence> makes it said once.
//  - core NATS (no `stream:`): subscriptions to subjects (wildcards * and >), optionally in a queue
//    group. Core NATS keeps nothing: what arrives while the bot is down or disconnected is lost
//    (at-most-once); a bounded in-memory queue drops (and counts) what the journal cannot keep up with.
// A lost connection is transient (the stream base reconnects with backoff; libnats' own
// reconnection is off so that one policy and one state apply); a refused authentication, a missing
// stream or JetStream being off are configuration errors.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ingestion/payload/mapping.hpp"
#include "ingestion/runtime/stream.hpp"
#include "ingestion/stream/nats_config.hpp"

struct __natsConnection;
struct __natsSubscription;
struct __natsMsg;
struct __jsCtx;

namespace chatops::ingestion::stream {

struct NatsOptions {
  std::vector<std::string> servers{"nats://localhost:4222"};
  std::vector<std::string> subjects;       // core: subscribed; JetStream: the consumer's filter (one at most)
  std::optional<std::string> stream;       // JetStream when set
  std::string consumer;                    // the durable consumer's name
  std::optional<std::string> queue_group;  // core only
  bool from_beginning = false;             // a new consumer starts with the stream's first message
  std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
  std::optional<std::string> token, user, password, nkey, nkey_seed_file, credentials_file;
  bool tls = false;
  std::string tls_hostname;  // what the server's certificate must name
  std::optional<std::string> ca_file, cert_file, key_file;
  bool json = true;  // else text: the message is the field `text`
  std::size_t batch_size = 500;
  std::size_t max_message_size = 1024 * 1024;
  std::size_t max_pending = 10000;  // core: messages held in memory before the journal took them (and 64 MiB)
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
};

class NatsSource final : public StreamSource {
 public:
  NatsSource(StreamOptions stream, NatsOptions options, payload::Mapping mapping);
  ~NatsSource() override;

  // libnats' callbacks (on its threads).
  void delivered(__natsMsg* message);  // core subscriptions
  void subscription_done();            // a core subscription's last callback has returned

 private:
  SourceResult<> connect() override;
  SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) override;
  SourceResult<> acknowledge(const Received& batch) override;
  void refused(const Received& batch) override;
  void disconnect() override;
  // Serial, not pipelined: fetching while the last batch commits gives libnats 3.4 pull requests
  // that expire within milliseconds, and under load that corrupted the heap (a test crashed in 1 of
  // about 20 runs, never with fetches of 100 ms and more; bench/README.md, "Quiet machine").
  bool pipelined() const override { return false; }

  // The JetStream messages of a batch, acknowledged after its commit: its Received::upstream
  // (shared, as std::any copies; the messages are destroyed with the last copy).
  struct Taken;

  SourceResult<> open_consumer();
  SourceResult<> subscribe_core();
  SourceResult<Received> fetch(std::chrono::steady_clock::time_point deadline);
  SourceResult<Received> take_queued(std::chrono::steady_clock::time_point deadline);
  // One message into the batch (an event, or skipped and counted); `position` names it.
  void take(__natsMsg* message, const std::string& position, std::optional<std::uint64_t> sequence, Received& batch);
  // An error of a libnats call named `what`, classified.
  SourceError failure(int status, const std::string& what, int js_code = 0) const;

  const NatsOptions o_;
  const payload::Mapping mapping_;
  __natsConnection* connection_ = nullptr;
  __jsCtx* js_ = nullptr;
  __natsSubscription* pull_ = nullptr;
  std::vector<__natsSubscription*> subscriptions_;
  // Core messages delivered by libnats and not yet taken.
  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<__natsMsg*> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t live_subscriptions_ = 0;
  SourceMetrics::Counter unreadable_, dropped_;
};

Result<std::unique_ptr<IngestionSource>> make_nats_source(const config::Node& validated);

}  // namespace chatops::ingestion::stream
