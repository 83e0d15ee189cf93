#pragma once
// `kind: stream, system: redis` (hiredis): Redis Streams read by a consumer group, or Pub/Sub
// channels and patterns. Stream entries are read with XREADGROUP (the group made with MKSTREAM when missing) and acknowledged with XACK only after
// the journal committed them. After a reconnection the consumer first reads its own pending
// entries again (those it had read but not acknowledged when it died); entries another consumer
// left pending longer than claim_idle are taken over with XAUTOCLAIM. At-least-once upstream; the
// dedupe key stream/entry-id makes it said once. Pub/Sub is at-most-once: Redis keeps nothing for
// a subscriber, so what is published while the source is not subscribed (or refused by the
// journal) is lost.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ingestion/payload/mapping.hpp"
#include "ingestion/runtime/stream.hpp"
#include "ingestion/stream/redis_config.hpp"

struct redisContext;
struct redisReply;

namespace chatops::ingestion::stream {

struct RedisOptions {
  std::string host = "localhost";
  int port = 6379;
  std::optional<std::string> user, password;
  std::int64_t database = 0;
  std::vector<std::string> streams;
  std::vector<std::string> channels, patterns;  // Pub/Sub (instead of streams)
  bool json = true;  // Pub/Sub messages: JSON documents, else text (the field `text`)
  std::string group, consumer;
  bool from_beginning = false;  // a new group starts at the first entry (0) rather than at new ones ($)
  std::optional<std::string> json_field;  // the entry's field holding a JSON document
  std::size_t batch_size = 500;
  std::size_t max_message_size = 1024 * 1024;
  std::chrono::milliseconds claim_idle{std::chrono::minutes(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
};

class RedisSource final : public StreamSource {
 public:
  RedisSource(StreamOptions stream, RedisOptions options, payload::Mapping mapping);
  ~RedisSource() override;

 private:
  using Reply = std::unique_ptr<redisReply, void (*)(redisReply*)>;
  // The entry ids of a batch, by stream, to XACK after its commit: its Received::upstream.
  using Taken = std::map<std::string, std::vector<std::string>>;

  SourceResult<> connect() override;
  SourceResult<Received> receive(std::chrono::steady_clock::time_point deadline) override;
  SourceResult<> acknowledge(const Received& batch) override;
  void disconnect() override;
  // Pub/Sub acknowledges nothing; a stream's next read does not depend on the last XACK.
  bool pipelined() const override { return true; }

  // Runs one command; an error reply or a lost connection is an error naming `what`.
  SourceResult<Reply> command(const std::vector<std::string>& args, const std::string& what);
  void send(const std::vector<std::string>& args);
  // The next reply on the connection, whatever it is (a lost connection is an error naming `what`).
  SourceResult<Reply> next_command_reply(const std::string& what);
  // An error reply as an error naming `what` (configuration or transient, as the error says).
  static SourceResult<Reply> checked(SourceResult<Reply> reply, const std::string& what);
  // XREADGROUP's arguments: new entries (>), or while history_ this consumer's pending ones;
  // blocking until `block_until` if given.
  std::vector<std::string> read_args(std::optional<std::chrono::steady_clock::time_point> block_until) const;
  void send_read_ahead();
  bool read_ahead_sent() const;
  // The reply to the read-ahead sent by the last receive().
  SourceResult<Reply> read_ahead();
  // Reads the replies of the commands sent without waiting (unread_), in order: all of them, or,
  // if `through_read_ahead`, until the read-ahead's is in read_ahead_. An XACK's error is an error.
  SourceResult<> read_unread(bool through_read_ahead);
  void flush();  // what send() buffered, to the socket
  // The entries of one stream in a reply ([[id, [field, value, …]], …]) into the batch.
  void take(const std::string& stream, const redisReply& entries, Received& batch, Taken& taken);
  SourceResult<> claim(Received& batch, Taken& taken);
  bool pubsub() const { return o_.streams.empty(); }
  SourceResult<> subscribe();
  SourceResult<Received> receive_published(std::chrono::steady_clock::time_point deadline);
  // The next reply already read from the socket, or read within `wait` (nullptr: none came).
  SourceResult<Reply> next_reply(std::chrono::milliseconds wait);
  // A Pub/Sub message ([p]message…) into the batch; subscription confirmations are passed over.
  void take_published(const redisReply& reply, Received& batch);

  const RedisOptions o_;
  const payload::Mapping mapping_;
  redisContext* context_ = nullptr;
  bool history_ = true;  // reading this consumer's own pending entries before new ones (>)
  // The last pending entry read of each stream while history_: the next read starts after it
  // (not at 0, which would give the batch in flight again before it is acknowledged).
  std::map<std::string, std::string> history_after_;
  std::chrono::steady_clock::time_point next_claim_{};
  // Commands sent whose replies are still to be read, in order: Redis works on them while this
  // thread maps a batch. After a full batch of new entries, a non-blocking XREADGROUP (the
  // read-ahead: blocking, it would hold the XACKs behind it) is sent before the batch is mapped;
  // XACKs are sent without waiting for their replies.
  enum class Sent { ReadAhead, Ack };
  std::deque<Sent> unread_;
  std::optional<Reply> read_ahead_;  // the read-ahead's reply, read before another command's
  // Pub/Sub messages that came while connect() waited for the subscriptions' confirmations.
  std::deque<Reply> early_;
  SourceMetrics::Counter unreadable_, claimed_;
};

Result<std::unique_ptr<IngestionSource>> make_redis_source(const config::Node& validated);

}  // namespace chatops::ingestion::stream
