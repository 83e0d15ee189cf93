// InspIRCd 3 linked with Atheme services on 127.0.0.1: the stack real networks run, with
// SASL (PLAIN, EXTERNAL) answered by services, NickServ accounts, IRCv3 capabilities and the
// default flood control of a real network (threshold 10, 1 line/s, fakelag, recvq 4096).
// The constructor returns once services have linked; the destructor stops both.
#pragma once

#include <memory>
#include <string>

#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

namespace chatops::test {

struct InspircdOptions {
  std::string server_name = "irc.test";
  std::string network = "ChatopsTest";
  std::string services_name = "services.test";
  bool tls = true;  // a TLS client port: cert from the test CA; client certs requested, CertFP
                    // is their SHA-256 (cert_fingerprint()), as Atheme's NickServ CERT ADD shows
  bool services = true;          // start Atheme and wait for the link (else no SASL, no NickServ)
  bool relaxed_port = false;     // an extra plain port whose <connect> class has no flood limits
  // ircv3_sts: plain clients are offered sts=port=<tls_port>, TLS clients that sent SNI
  // "localhost" sts=duration=<sts_duration> (needs tls)
  bool sts = false;
  int sts_duration = 300;
  std::string extra_config{};    // appended verbatim to inspircd.conf
  std::string extra_atheme_config{};  // appended verbatim to atheme.conf
};

class InspircdWithServices {
 public:
  // Throws std::runtime_error (with the logs) if the servers do not come up within 15 s.
  explicit InspircdWithServices(InspircdOptions options = {});
  ~InspircdWithServices();
  InspircdWithServices(const InspircdWithServices&) = delete;
  InspircdWithServices& operator=(const InspircdWithServices&) = delete;

  int port() const { return port_; }                  // plain client port, default flood limits
  int tls_port() const { return tls_port_; }          // 0 without options.tls
  int relaxed_port() const { return relaxed_port_; }  // 0 without options.relaxed_port
  int link_port() const { return link_port_; }        // server port Atheme links to
  const std::string& server_name() const { return options_.server_name; }
  const std::string& services_name() const { return options_.services_name; }
  std::filesystem::path ca_file() const;              // CA of the server cert (localhost, 127.0.0.1)
  const CertFiles& server_cert() const { return server_cert_; }  // with options.tls
  const TestCa* ca() const { return ca_.get(); }
  const TempDir& dir() const { return dir_; }

  // Registers a NickServ account: connects as nick <name>, sends REGISTER, waits for the
  // confirmation, quits. Email defaults to <name>@example.org. Throws on failure.
  void register_account(const std::string& name, const std::string& password,
                        const std::string& email = "");

  void start();     // InspIRCd (same ports) then, if not running, Atheme; waits for the link
  void stop();      // both (InspIRCd 3.15 with ssl_gnutls dies of SIGSEGV on SIGTERM: expected)
  void restart();   // InspIRCd only, same ports; Atheme keeps its accounts and relinks
  void kill9();     // SIGKILL InspIRCd (Atheme keeps running and relinks on start())
  bool running() const { return ircd_ && ircd_->running(); }
  // Waits until Atheme has (re)synced with the uplink more often than `links_before` times.
  bool wait_for_services(int links_before, Duration timeout = 15s);
  int services_links() const;                          // syncs seen so far in Atheme's log

  Process* ircd() { return ircd_.get(); }
  Process* services() { return services_.get(); }
  std::string log() const;   // both servers' stdout/stderr, for failure messages

 private:
  void write_inspircd_config() const;
  void write_atheme_config() const;
  void start_ircd();
  void start_services();

  InspircdOptions options_;
  TempDir dir_{"chatops-inspircd"};
  std::unique_ptr<TestCa> ca_;
  CertFiles server_cert_;
  int port_ = 0;
  int tls_port_ = 0;
  int relaxed_port_ = 0;
  int link_port_ = 0;
  std::unique_ptr<Process> ircd_;
  std::unique_ptr<Process> services_;
};

}  // namespace chatops::test
