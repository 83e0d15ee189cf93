#include "ingestion/bus/kafka_bus_speaker.hpp"

#include <atomic>
#include <cstring>

#include <spdlog/spdlog.h>

#include "ingestion/bus/bus_message.hpp"
#include "ingestion/stream/kafka_source.hpp"

namespace chatops::ingestion::bus {

namespace {
// How long a receive waits for messages: also how soon a stop is seen.
constexpr std::chrono::milliseconds kReceiveWait{200};
}  // namespace

// The Kafka source's consumer (group, rebalances, close) reading bus messages, whose offsets the
// progress commits rather than the journal's commit.
class BusConsumer final : public stream::KafkaSource {
 public:
  BusConsumer(const BusOptions& o, BusProgress& progress)
      : KafkaSource(StreamOptions{.receive_wait = kReceiveWait}, consumer_options(o), payload::Mapping{}),
        progress_(progress), max_message_size_(o.max_message_size) {}
  ~BusConsumer() override { stop(); }

 private:
  static stream::KafkaOptions consumer_options(const BusOptions& o) {
    stream::KafkaOptions k;
    k.brokers = o.brokers;
    k.group = o.group;
    k.topics = {o.topic};
    // A standby joining the group leaves the partition with the speaker that has it.
    k.properties = {{"partition.assignment.strategy", "cooperative-sticky"}};
    k.properties.insert(k.properties.end(), o.properties.begin(), o.properties.end());
    k.start = "earliest";  // a new group starts with everything the receivers produced
    k.max_message_size = o.max_message_size;
    return k;
  }

  SourceResult<> connect() override {
    auto connected = KafkaSource::connect();
    if (!connected) return connected;
    rd_kafka_t* consumer = this->consumer();
    progress_.attach([consumer](const std::map<Partition, CommitPoint>& points) {
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(points.size()));
      for (const auto& [partition, point] : points) {
        auto* entry = rd_kafka_topic_partition_list_add(list, partition.first.c_str(), partition.second);
        entry->offset = point.next;
        // librdkafka frees what it was given: a copy of the metadata.
        entry->metadata = ::strdup(point.metadata.c_str());
        entry->metadata_size = point.metadata.size();
      }
      // Committed as it is (not stored): a partition revoked meanwhile is refused, and its next
      // owner says what is not done.
      if (const auto err = rd_kafka_commit(consumer, list, 1); err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        spdlog::warn("bus: cannot commit offsets: {}", rd_kafka_err2str(err));
      rd_kafka_topic_partition_list_destroy(list);
    });
    return {};
  }

  void disconnect() override {
    progress_.detach();
    KafkaSource::disconnect();
  }

  std::expected<IngestionEvent, stream::Unreadable> to_event(const rd_kafka_message_t& m, const std::string& topic,
                                                             const std::string& position) override {
    const Partition partition{topic, m.partition};
    if (!progress_.seeded(partition)) seed(partition);
    auto event = m.len > max_message_size_
                     ? std::unexpected("longer than max_message_size (" + std::to_string(m.len) + " bytes)")
                     : decode(m.payload ? std::string_view(static_cast<const char*>(m.payload), m.len) : "");
    progress_.taken(partition, m.offset, event.has_value());
    if (!event) {
      // Receivers write only bus messages: anything else on the topic is worth a warning, not a
      // debug line. It is skipped (and its offset committed), never said, never fatal.
      spdlog::warn("bus: message {} is not a bus message and is skipped: {}", position, event.error());
      return std::unexpected(stream::Unreadable{"bus_message", "not a bus message: " + event.error()});
    }
    return std::move(*event);
  }

  // The group's committed point of a partition just given to this speaker: the done offsets in
  // its metadata were said by the speaker before, and are skipped.
  void seed(const Partition& partition) {
    constexpr int kCommittedTimeoutMs = 5000;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, partition.first.c_str(), partition.second);
    CommitPoint point;
    if (const auto err = rd_kafka_committed(consumer(), list, kCommittedTimeoutMs); err) {
      spdlog::warn("bus: cannot read the committed offset of {}/{}: {}; what it says was said may be said again",
                   partition.first, partition.second, rd_kafka_err2str(err));
    } else {
      const auto& entry = list->elems[0];
      point.next = std::max<std::int64_t>(0, entry.offset);
      if (entry.metadata) point.metadata.assign(static_cast<const char*>(entry.metadata), entry.metadata_size);
    }
    rd_kafka_topic_partition_list_destroy(list);
    progress_.seed(partition, point);
  }

  // Offsets move with the progress (BusProgress), not with the journal's commit; the lag is the
  // Kafka source's (messages after the last one taken).
  SourceResult<> store(const Offsets& next) override {
    update_lag(next);
    return {};
  }
  // The progress follows one batch at a time: what is taken is what the next submission is.
  bool pipelined() const override { return false; }

  BusProgress& progress_;
  const std::size_t max_message_size_;
};

void SpeakerJournal::submit(EventBatch batch, Completion done) {
  // One journal batch per source, in order of first appearance; each event remembers its place.
  // Events the previous speaker said (per its commit) are not journaled: duplicates.
  const auto said_before = progress_.said_before();
  std::vector<EventBatch> groups;
  std::vector<std::vector<std::size_t>> places;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    if (i < said_before.size() && said_before[i]) continue;
    auto& event = batch.events[i];
    std::size_t g = 0;
    while (g < groups.size() && groups[g].source != event.source) ++g;
    if (g == groups.size()) {
      groups.push_back(EventBatch{event.source, {}, std::nullopt});
      places.emplace_back();
    }
    groups[g].events.push_back(std::move(event));
    places[g].push_back(i);
  }
  struct Join {
    BatchResult result;
    std::vector<std::pair<std::string, std::string>> keys;  // source, dedupe key: for duplicates
    std::atomic<std::size_t> remaining;
    std::mutex mutex;
    Completion done;
  };
  auto join = std::make_shared<Join>();
  join->result.outcomes.assign(batch.events.size(), Submission::Duplicate);
  join->result.ids.assign(batch.events.size(), 0);
  join->keys.resize(batch.events.size());
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (std::size_t j = 0; j < places[g].size(); ++j)
      join->keys[places[g][j]] = {groups[g].source, groups[g].events[j].dedupe_key};
  join->remaining.store(groups.size());
  join->done = std::move(done);
  if (groups.empty()) {
    progress_.journaled(join->result, [](std::size_t) { return std::nullopt; });
    return join->done(join->result);
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    journal_.submit(std::move(groups[g]), [this, join, place = places[g]](const BatchResult& r) {
      {
        std::lock_guard lock(join->mutex);
        if (!r.committed() && join->result.error.empty()) join->result.error = r.error;
        for (std::size_t j = 0; j < place.size() && j < r.outcomes.size(); ++j) {
          join->result.outcomes[place[j]] = r.outcomes[j];
          join->result.ids[place[j]] = j < r.ids.size() ? r.ids[j] : 0;
        }
      }
      if (join->remaining.fetch_sub(1) != 1) return;
      if (!join->result.committed()) {
        progress_.refused();
      } else {
        progress_.journaled(join->result, [this, &join](std::size_t i) -> std::optional<std::int64_t> {
          const auto& [source, key] = join->keys[i];
          if (key.empty()) return std::nullopt;  // not journaled here: said by the speaker before
          auto found = journal_.find_event(source, key);
          if (!found) {
            spdlog::error("bus: {}", found.error().message);
            return std::nullopt;  // counted done: at worst said again by a standby
          }
          if (!*found || (*found)->second) return std::nullopt;
          return (*found)->first;
        });
      }
      join->done(join->result);
    });
  }
}

BusSpeaker::BusSpeaker(const BusOptions& options, Journal& journal, metrics::Registry* registry)
    : store_(journal, progress_), runtime_("bus", "stream", store_, registry),
      consumer_(std::make_unique<BusConsumer>(options, progress_)) {
  runtime_.relay_origins();
  journal.set_on_done([this](std::int64_t id) { progress_.done(id); });
}

BusSpeaker::~BusSpeaker() { stop(); }

SourceReport BusSpeaker::report() const {
  SourceReport r;
  r.name = kReportName;
  r.kind = "bus";
  r.family = runtime_.family();
  r.status = runtime_.status().snapshot();
  r.accepted = runtime_.accepted();
  r.duplicates = runtime_.duplicates();
  r.refused = runtime_.refused();
  r.lag = consumer_->lag();
  r.outstanding = progress_.outstanding();
  return r;
}

void BusSpeaker::start() {
  runtime_.open();
  if (auto started = consumer_->start(runtime_); !started)
    spdlog::error("bus: the speaker cannot start: {}", started.error().message);
  started_ = true;
}

void BusSpeaker::stop() {
  if (!started_) return;
  consumer_->stop();
  runtime_.close();
  started_ = false;
}

}  // namespace chatops::ingestion::bus
