// A Kafka cluster for tests: librdkafka's mock cluster (a real Kafka protocol endpoint on free
// ports of 127.0.0.1, with consumer groups and committed offsets), living in the test process,
// with a producer that waits for the brokers' acknowledgement of each message.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace chatops::test {

class KafkaMock {
 public:
  explicit KafkaMock(int brokers = 1);  // throws std::runtime_error when it cannot be made
  ~KafkaMock();
  KafkaMock(const KafkaMock&) = delete;
  KafkaMock& operator=(const KafkaMock&) = delete;

  // host:port,… for bootstrap.servers.
  const std::string& bootstraps() const { return bootstraps_; }
  void create_topic(const std::string& topic, int partitions, int replication = 1);
  // Produces one message (to `partition`, or by key when -1) and waits for its acknowledgement.
  void produce(const std::string& topic, const std::string& value, const std::string& key = "",
               const std::vector<std::pair<std::string, std::string>>& headers = {}, int partition = -1);
  // Produces many (value i from make(i)) to a partition chosen by key, then waits for them all.
  template <class Make>
  void produce_many(const std::string& topic, int n, Make make) {
    for (int i = 0; i < n; ++i) enqueue(topic, make(i), std::to_string(i));
    flush();
  }
  // The sum over the topic's partitions of the group's committed offsets (0 for none).
  std::int64_t committed(const std::string& group, const std::string& topic, int partitions) const;
  // A partition's committed offset for the group (-1 for none) and the commit's metadata.
  std::pair<std::int64_t, std::string> committed_point(const std::string& group, const std::string& topic,
                                                       int partition) const;
  // The partition's first offset still held. The mock keeps a few MiB a partition (librdkafka
  // 2.0.2: 5 MiB) and drops its oldest message sets past that: more produced, the first are gone.
  std::int64_t first_offset(const std::string& topic, int partition) const;
  // Every message of a partition, in offset order (the value of offset i at index i).
  std::vector<std::string> messages(const std::string& topic, int partition = 0) const;
  // Takes broker `id` (1…brokers) off the network and back.
  void broker_down(int id);
  void broker_up(int id);
  // Delays every answer of broker `id` by `ms` (0: none): a broker that holds its connections but
  // does not answer, as one behind a lost route does.
  void broker_rtt(int id, int ms);

 private:
  void enqueue(const std::string& topic, const std::string& value, const std::string& key);
  void flush();

  rd_kafka_t* producer_ = nullptr;  // hosts the mock cluster
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

}  // namespace chatops::test
