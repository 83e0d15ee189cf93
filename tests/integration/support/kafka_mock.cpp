#include "tests/integration/support/kafka_mock.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace chatops::test {

namespace {

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  std::array<char, 256> error{};
  if (rd_kafka_conf_set(conf, name, value.c_str(), error.data(), error.size()) != RD_KAFKA_CONF_OK)
    throw std::runtime_error(std::string("kafka mock: ") + error.data());
}

}  // namespace

KafkaMock::KafkaMock(int brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "test.mock.num.brokers", std::to_string(brokers));
  set(conf, "acks", "all");
  set(conf, "linger.ms", "5");
  set(conf, "log_level", "3");
  std::array<char, 256> error{};
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
  if (!producer_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka mock: ") + error.data());
  }
  cluster_ = rd_kafka_handle_mock_cluster(producer_);
  if (!cluster_) throw std::runtime_error("kafka mock: no mock cluster");
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

KafkaMock::~KafkaMock() {
  rd_kafka_flush(producer_, 5000);
  rd_kafka_destroy(producer_);
}

void KafkaMock::create_topic(const std::string& topic, int partitions, int replication) {
  if (rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication))
    throw std::runtime_error("kafka mock: cannot create topic " + topic);
}

void KafkaMock::enqueue(const std::string& topic, const std::string& value, const std::string& key) {
  for (;;) {
    const auto err = rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic.c_str()),
                                       RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                       RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer_, 10);
      continue;
    }
    if (err) throw std::runtime_error(std::string("kafka mock: produce: ") + rd_kafka_err2str(err));
    return;
  }
}

void KafkaMock::flush() {
  if (rd_kafka_flush(producer_, 30000)) throw std::runtime_error("kafka mock: messages not acknowledged in 30 s");
}

void KafkaMock::produce(const std::string& topic, const std::string& value, const std::string& key,
                        const std::vector<std::pair<std::string, std::string>>& headers, int partition) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
  for (const auto& [name, v] : headers) rd_kafka_header_add(hdrs, name.data(), name.size(), v.data(), v.size());
  const auto err = rd_kafka_producev(
      producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(hdrs);
    throw std::runtime_error(std::string("kafka mock: produce: ") + rd_kafka_err2str(err));
  }
  flush();
}

namespace {

// The group's committed offsets of partitions 0…partitions-1 of `topic`, with their metadata.
std::vector<std::pair<std::int64_t, std::string>> read_committed(const std::string& bootstraps, const std::string& group,
                                                                 const std::string& topic, int partitions) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstraps);
  set(conf, "group.id", group);
  set(conf, "log_level", "3");
  std::array<char, 256> error{};
  rd_kafka_t* reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (!reader) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka mock: ") + error.data());
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  const auto err = rd_kafka_committed(reader, list, 10000);
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    out.emplace_back(e.offset, e.metadata ? std::string(static_cast<const char*>(e.metadata), e.metadata_size) : "");
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy_flags(reader, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  if (err) throw std::runtime_error(std::string("kafka mock: committed offsets: ") + rd_kafka_err2str(err));
  return out;
}

}  // namespace

std::int64_t KafkaMock::committed(const std::string& group, const std::string& topic, int partitions) const {
  std::int64_t sum = 0;
  for (const auto& [offset, metadata] : read_committed(bootstraps_, group, topic, partitions))
    if (offset > 0) sum += offset;
  return sum;
}

std::pair<std::int64_t, std::string> KafkaMock::committed_point(const std::string& group, const std::string& topic,
                                                                int partition) const {
  auto all = read_committed(bootstraps_, group, topic, partition + 1);
  return all.at(static_cast<std::size_t>(partition));
}

std::int64_t KafkaMock::first_offset(const std::string& topic, int partition) const {
  std::int64_t low = 0, high = 0;
  if (const auto err = rd_kafka_query_watermark_offsets(producer_, topic.c_str(), partition, &low, &high, 10000))
    throw std::runtime_error(std::string("kafka mock: watermarks: ") + rd_kafka_err2str(err));
  return low;
}

std::vector<std::string> KafkaMock::messages(const std::string& topic, int partition) const {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstraps_);
  set(conf, "group.id", "kafka-mock-reader");  // not joined: the partition is assigned
  set(conf, "enable.partition.eof", "true");
  set(conf, "enable.auto.commit", "false");
  set(conf, "log_level", "3");
  std::array<char, 256> error{};
  rd_kafka_t* reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (!reader) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka mock: ") + error.data());
  }
  rd_kafka_poll_set_consumer(reader);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(reader, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<std::string> out;
  bool at_end = false;
  for (int idle = 0; !at_end && idle < 100;) {  // up to 10 s without a message
    rd_kafka_message_t* m = rd_kafka_consumer_poll(reader, 100);
    if (!m) {
      ++idle;
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) at_end = true;
    else if (!m->err) out.emplace_back(static_cast<const char*>(m->payload), m->len);
    rd_kafka_message_destroy(m);
  }
  rd_kafka_destroy_flags(reader, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  return out;
}

void KafkaMock::broker_down(int id) { rd_kafka_mock_broker_set_down(cluster_, id); }
void KafkaMock::broker_up(int id) { rd_kafka_mock_broker_set_up(cluster_, id); }
void KafkaMock::broker_rtt(int id, int ms) { rd_kafka_mock_broker_set_rtt(cluster_, id, ms); }

}  // namespace chatops::test
