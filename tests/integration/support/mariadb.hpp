// A real MariaDB server (Debian's mariadb-server) for tests: its own data directory made by
// mariadb-install-db in a temporary directory, run as the `mysql` system user when the test runs
// as root, listening on a free port on 127.0.0.1 and on a Unix socket in the temp dir. The user
// `chatops` (every privilege) logs in with a password; the test's own queries go over the socket
// as root. The constructor returns once the server accepts connections (mariadb-install-db takes
// a few seconds: share one server between the sections of a test).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

namespace chatops::test {

struct MariadbOptions {
  bool tls = false;  // a server certificate from a test CA (SANs localhost, 127.0.0.1)
};

class Mariadb {
 public:
  explicit Mariadb(MariadbOptions options = {});  // throws std::runtime_error when it does not start
  ~Mariadb();
  Mariadb(const Mariadb&) = delete;
  Mariadb& operator=(const Mariadb&) = delete;

  int port() const { return port_; }
  static constexpr const char* user = "chatops";
  static constexpr const char* password = "maria-s3cret";
  static constexpr const char* database = "chatops";
  std::filesystem::path ca_file() const { return ca_ ? ca_->ca_cert() : std::filesystem::path(); }
  const TempDir& dir() const { return dir_; }

  // Runs SQL (several statements allowed) as root over the socket, in `database`; throws with the
  // server's message on an error. Returns the last result's rows as text ("" for NULL).
  std::vector<std::vector<std::string>> query(const std::string& sql) const;
  void execute(const std::string& sql) const { query(sql); }

  void start();  // (re)starts on the same port and data; waits until it accepts connections
  void stop();   // clients are disconnected
  void kill9();
  void restart() { stop(); start(); }
  bool running() const { return process_ && process_->running(); }
  std::string log() const { return process_ ? process_->output() : std::string(); }

 private:
  std::vector<std::vector<std::string>> run(const char* db, const std::string& sql) const;

  MariadbOptions options_;
  TempDir dir_{"chatops-mariadb"};
  std::optional<RunAs> run_as_;
  std::unique_ptr<TestCa> ca_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace chatops::test
