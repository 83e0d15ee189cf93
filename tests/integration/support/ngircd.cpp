#include "tests/integration/support/ngircd.hpp"

#include <sys/stat.h>

#include <sstream>
#include <stdexcept>

namespace chatops::test {

Ngircd::Ngircd(NgircdOptions options) : options_(std::move(options)) {
  // As root ngircd switches to "nobody" (it refuses ServerUID 0), so it must read its files.
  dir_.share();
  port_ = free_port();
  if (options_.tls) {
    ca_ = std::make_unique<TestCa>(dir_ / "tls");
    server_cert_ = ca_->issue_server("server", {"localhost"}, {"127.0.0.1"});
    tls_port_ = free_port();
    ::chmod((dir_ / "tls").c_str(), 0755);
  }
  write_config();
  start();
}

Ngircd::~Ngircd() { stop(); }

std::filesystem::path Ngircd::ca_file() const { return ca_ ? ca_->ca_cert() : std::filesystem::path(); }

void Ngircd::write_config() const {
  std::ostringstream c;
  c << "[Global]\n"
    << "Name = " << options_.server_name << "\n"
    << "Info = chatops test server\n"
    << "AdminInfo1 = test\nAdminInfo2 = test\nAdminEMail = test@localhost\n"
    << "Listen = 127.0.0.1\n"
    << "Ports = " << port_ << "\n"
    << "MotdPhrase = chatops test\n"
    << "[Limits]\n"
    << "MaxConnectionsIP = 0\n"   // tests open several clients from 127.0.0.1
    << "MaxJoins = 0\n"
    << "MaxNickLength = 30\n"     // default 9 (RFC 2812) is too short for test nicks
    << "PingTimeout = " << options_.ping_timeout << "\n"
    << "PongTimeout = " << options_.pong_timeout << "\n";
  if (options_.no_flood_penalty) c << "MaxPenaltyTime = 0\n";
  c << "[Options]\n"
    << "DNS = no\nIdent = no\nPAM = no\n"   // no lookups: faster and deterministic
    << "[Operator]\n"
    << "Name = testoper\nPassword = testpass\n";
  if (options_.tls)
    c << "[SSL]\n"
      << "CertFile = " << server_cert_.cert.string() << "\n"
      << "KeyFile = " << server_cert_.key.string() << "\n"
      << "DHFile = " << dir_.write("tls/dhparams.pem", dh_params_pem()).string() << "\n"
      << "Ports = " << tls_port_ << "\n";
  for (const auto& channel : options_.channels)
    c << "[Channel]\nName = " << channel << "\nModes = +nt\n";
  c << options_.extra_config << "\n";
  auto file = dir_.write("ngircd.conf", c.str());
  ::chmod(file.c_str(), 0644);
}

void Ngircd::start() {
  if (running()) return;
  process_.reset();
  process_ = std::make_unique<Process>(ProcessOptions{
      .argv = {"ngircd", "--nodaemon", "--config", (dir_ / "ngircd.conf").string()},
      .env = {},
      .log_dir = dir_.path(),
      .name = "ngircd",
      .cwd = {},
      .run_as = {}});
  // "ready" is logged after all listeners are open.
  bool ready = process_->wait_for_log(std::regex(R"(Server ".*" \(on ".*"\) ready)"), 10s) &&
               wait_for_port(port_, 5s) && (!tls_port_ || wait_for_port(tls_port_, 5s));
  if (!ready)
    throw std::runtime_error("ngircd did not start (" + describe_status(process_->wait_status()) +
                             "):\n" + process_->output());
}

void Ngircd::stop() {
  if (process_) process_->stop(5s);
}

void Ngircd::kill9() {
  if (process_) process_->kill9();
}

}  // namespace chatops::test
