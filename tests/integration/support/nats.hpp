// A real NATS server (Debian's nats-server 2.9) for tests: on a free port of 127.0.0.1, with
// JetStream (-js) storing in a temporary directory (kept across stop()/start(), as a restarted
// server keeps its streams), one kind of authentication, and TLS from the test CA on request.
// The test's own publishes and JetStream requests go through libnats with the same credentials.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

typedef struct __natsConnection natsConnection;
typedef struct __jsCtx jsCtx;

namespace chatops::test {

// A user NKey: the public key (U…) the server knows and the seed (SU…) the client signs with.
struct NkeyPair {
  std::string public_key;
  std::string seed;
};
// A fresh ed25519 user NKey, encoded as nkeys does (base32 with a prefix byte and a CRC16).
NkeyPair make_user_nkey();

struct NatsServerOptions {
  // Credentials: operator mode (decentralised JWT auth), an operator, an account and a user
  // made by the test, the user's .creds file as `nsc` writes it.
  enum class Auth { None, Token, Password, Nkey, Credentials } auth = Auth::Password;
  bool tls = false;             // TLS required, with a certificate from the test CA
  bool verify_clients = false;  // and a client certificate required
};

class NatsServer {
 public:
  explicit NatsServer(NatsServerOptions options = {});  // throws std::runtime_error when it does not start
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  static constexpr const char* token = "nats-t0ken";
  static constexpr const char* user = "chatops";
  static constexpr const char* password = "nats-s3cret";

  int port() const { return port_; }
  std::string url() const;  // nats://127.0.0.1:<port> (tls:// with TLS)
  const NkeyPair& nkey() const { return nkey_; }
  std::filesystem::path nkey_seed_file() const { return dir_ / "user.nk"; }
  std::filesystem::path credentials_file() const { return dir_ / "user.creds"; }
  std::filesystem::path ca_file() const;
  const CertFiles& client_cert() const { return client_cert_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  void start();  // (re)starts on the same port with the same store; waits until it accepts connections
  void stop();

  // Core publish (flushed), with optional headers.
  void publish(const std::string& subject, const std::string& data,
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  // A file-stored JetStream stream on `subjects`.
  void add_stream(const std::string& name, const std::vector<std::string>& subjects);
  // Publishes to JetStream and waits for its ack; returns the stream sequence.
  std::uint64_t js_publish(const std::string& subject, const std::string& data);
  // Publishes n messages (make(i)) to JetStream asynchronously and waits for all their acks.
  void js_publish_many(const std::string& subject, int n, const std::function<std::string(int)>& make);
  // The test's own connection (a bare client of the benchmark).
  natsConnection* connection() { return client(); }
  // A durable consumer's ack floor (the last stream sequence acknowledged with all before it);
  // nullopt when it does not exist.
  std::optional<std::uint64_t> acked(const std::string& stream, const std::string& consumer);
  // Messages of a consumer delivered and not acknowledged (0 when it does not exist).
  std::int64_t ack_pending(const std::string& stream, const std::string& consumer);

 private:
  natsConnection* client();
  jsCtx* jetstream();
  void close_client();

  NatsServerOptions options_;
  TempDir dir_{"chatops-nats"};
  int port_ = 0;
  NkeyPair nkey_;
  std::unique_ptr<TestCa> ca_;
  CertFiles server_cert_, client_cert_;
  std::unique_ptr<Process> process_;
  natsConnection* client_ = nullptr;
  jsCtx* js_ = nullptr;
};

}  // namespace chatops::test
