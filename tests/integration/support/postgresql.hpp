// A real PostgreSQL (Debian's postgresql package) for tests: its own cluster (initdb) in a
// temporary directory, run as the `postgres` system user when the test runs as root (initdb and
// postgres refuse root), listening on a free port on 127.0.0.1 and on a Unix socket in the temp
// dir. The superuser `chatops` logs in with a password over TCP (scram-sha-256) and without one
// over the socket, which the test's own queries use. fsync is off: a test cluster needs no
// durability, and starts faster. The constructor returns once the server answers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

namespace chatops::test {

struct PostgresqlOptions {
  bool tls = false;  // ssl = on, with a server certificate from a test CA (SANs localhost, 127.0.0.1)
};

class Postgresql {
 public:
  explicit Postgresql(PostgresqlOptions options = {});  // throws std::runtime_error when it does not start
  ~Postgresql();
  Postgresql(const Postgresql&) = delete;
  Postgresql& operator=(const Postgresql&) = delete;

  int port() const { return port_; }
  static constexpr const char* user = "chatops";
  static constexpr const char* password = "pg-s3cret";
  static constexpr const char* database = "chatops";
  std::filesystem::path ca_file() const { return ca_ ? ca_->ca_cert() : std::filesystem::path(); }
  const TempDir& dir() const { return dir_; }
  const std::filesystem::path& bin_dir() const { return bin_; }  // initdb, postgres, psql

  // Runs SQL (several statements allowed) as the superuser over the socket, in `dbname`; throws
  // with the server's message on an error. Returns the last statement's rows as text ("" for NULL).
  std::vector<std::vector<std::string>> query(const std::string& sql, const std::string& dbname = database) const;
  void execute(const std::string& sql, const std::string& dbname = database) const { query(sql, dbname); }

  void start();    // (re)starts on the same port and data; waits until it answers
  void stop();     // fast shutdown: clients are disconnected
  void kill9();
  void restart() { stop(); start(); }
  bool running() const { return process_ && process_->running(); }
  std::string log() const { return process_ ? process_->output() : std::string(); }

 private:
  void init_cluster();

  PostgresqlOptions options_;
  TempDir dir_{"chatops-postgresql"};
  std::optional<RunAs> run_as_;
  std::filesystem::path bin_;  // the server's bin directory
  std::unique_ptr<TestCa> ca_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace chatops::test
