// A real ngIRCd on 127.0.0.1 for one test: own temp dir, own free ports, started by the
// constructor (ready to accept clients when it returns), stopped by the destructor.
// ngircd has no SASL; use InspircdWithServices for that.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

namespace chatops::test {

struct NgircdOptions {
  std::string server_name = "irc.test";
  bool tls = false;                    // also a TLS port, cert issued by the test CA
  std::vector<std::string> channels{};   // pre-created persistent channels (mode +P), e.g. "#ops"
  bool no_flood_penalty = false;       // [Limits] MaxPenaltyTime = 0: no 1 s read penalties
  int ping_timeout = 120;              // [Limits] PingTimeout (s) before the server PINGs
  int pong_timeout = 20;               // [Limits] PongTimeout (s)
  std::string extra_config{};            // appended verbatim to ngircd.conf (own sections)
};

class Ngircd {
 public:
  explicit Ngircd(NgircdOptions options = {});   // throws std::runtime_error if not ready in 10 s
  ~Ngircd();
  Ngircd(const Ngircd&) = delete;
  Ngircd& operator=(const Ngircd&) = delete;

  int port() const { return port_; }              // plain-text port
  int tls_port() const { return tls_port_; }      // 0 without options.tls
  const std::string& server_name() const { return options_.server_name; }
  // CA certificate that signed the server certificate (SANs DNS:localhost, IP:127.0.0.1).
  std::filesystem::path ca_file() const;
  const TestCa* ca() const { return ca_.get(); }
  const TempDir& dir() const { return dir_; }

  void start();          // (re)starts on the same ports; waits until it accepts connections
  void stop();           // SIGTERM (clients get ERROR), waits for exit
  void kill9();          // SIGKILL: clients see the connection drop without ERROR
  void restart() { stop(); start(); }
  bool running() const { return process_ && process_->running(); }
  Process* process() { return process_.get(); }
  std::string log() const { return process_ ? process_->output() : std::string(); }

 private:
  void write_config() const;

  NgircdOptions options_;
  TempDir dir_{"chatops-ngircd"};
  std::unique_ptr<TestCa> ca_;
  CertFiles server_cert_;
  int port_ = 0;
  int tls_port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace chatops::test
