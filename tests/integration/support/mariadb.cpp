#include "tests/integration/support/mariadb.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <mysql.h>

#include <iostream>
#include <stdexcept>

namespace chatops::test {

namespace fs = std::filesystem;

Mariadb::Mariadb(MariadbOptions options) : options_(options) {
  if (running_as_root()) {
    run_as_ = lookup_user("mysql");
    if (!run_as_) throw std::runtime_error("no mysql system user (the mariadb-server package creates it)");
  }
  dir_.share();
  port_ = free_port();
  // mariadb-install-db failed once under a loaded CI-like run (exited 1, its bootstrap server
  // saying nothing) and never again in dozens of runs: a second try in a fresh data directory,
  // the first failure's output kept in the test's output to find its cause.
  for (int attempt = 1;; ++attempt) {
    fs::remove_all(dir_ / "data");
    for (const char* owned : {"data", "run"}) {  // the server writes its files, socket and pid file there
      fs::create_directories(dir_ / owned);
      if (run_as_ && ::chown((dir_ / owned).c_str(), run_as_->uid, run_as_->gid) != 0)
        throw std::runtime_error("cannot chown " + (dir_ / owned).string());
    }
    Process install(ProcessOptions{.argv = {"mariadb-install-db", "--no-defaults",
                                            "--datadir=" + (dir_ / "data").string(),
                                            "--auth-root-authentication-method=normal", "--skip-test-db",
                                            "--skip-name-resolve"},
                                   .env = {},
                                   .log_dir = dir_.path(),
                                   .name = "install-db",
                                   .cwd = {},
                                   .run_as = run_as_});
    const bool exited = install.wait_exit(120s);
    const auto status = describe_status(install.wait_status());
    if (exited && status == "exited 0") break;
    const auto failure = "mariadb-install-db failed (" + status + "):\n" + install.output();
    if (attempt == 2) throw std::runtime_error(failure);
    std::cerr << failure << "\n(trying once more)\n";
  }
  if (options_.tls) {
    ca_ = std::make_unique<TestCa>(dir_ / "tls");
    ca_->issue_server("server", {"localhost"}, {"127.0.0.1"});
    ::chmod((dir_ / "tls").c_str(), 0755);
  }
  start();
  run(nullptr, std::string("CREATE DATABASE ") + database + "; CREATE USER '" + user + "'@'%' IDENTIFIED BY '" +
                   password + "'; GRANT ALL ON *.* TO '" + user + "'@'%'");
}

Mariadb::~Mariadb() { stop(); }

void Mariadb::start() {
  if (running()) return;
  process_.reset();
  std::vector<std::string> argv = {"mariadbd",
                                   "--no-defaults",
                                   "--datadir=" + (dir_ / "data").string(),
                                   "--socket=" + (dir_ / "run/mysqld.sock").string(),
                                   "--pid-file=" + (dir_ / "run/mysqld.pid").string(),
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=127.0.0.1",
                                   "--skip-name-resolve",
                                   "--innodb-flush-log-at-trx-commit=0",  // a test needs no durability
                                   "--innodb-buffer-pool-size=32M"};
  if (options_.tls) {
    argv.push_back("--ssl-ca=" + ca_file().string());
    argv.push_back("--ssl-cert=" + (dir_ / "tls/server.pem").string());
    argv.push_back("--ssl-key=" + (dir_ / "tls/server.key").string());
  }
  process_ = std::make_unique<Process>(ProcessOptions{
      .argv = argv, .env = {}, .log_dir = dir_.path(), .name = "mariadbd", .cwd = {}, .run_as = run_as_});
  if (!process_->wait_for_log("ready for connections", 60s) || !wait_for_port(port_, 5s))
    throw std::runtime_error("mariadbd did not start (" + describe_status(process_->wait_status()) + "):\n" +
                             process_->output());
}

void Mariadb::stop() {
  if (process_) process_->stop(20s);
}

void Mariadb::kill9() {
  if (process_) process_->kill9();
}

std::vector<std::vector<std::string>> Mariadb::query(const std::string& sql) const { return run(database, sql); }

std::vector<std::vector<std::string>> Mariadb::run(const char* db, const std::string& sql) const {
  std::unique_ptr<MYSQL, void (*)(MYSQL*)> m(mysql_init(nullptr), mysql_close);
  if (!mysql_real_connect(m.get(), "localhost", "root", nullptr, db, 0, (dir_ / "run/mysqld.sock").c_str(),
                          CLIENT_MULTI_STATEMENTS))
    throw std::runtime_error("cannot connect to the test MariaDB: " + std::string(mysql_error(m.get())));
  if (mysql_real_query(m.get(), sql.data(), sql.size()))
    throw std::runtime_error("test SQL failed: " + std::string(mysql_error(m.get())) + "\n" + sql);
  std::vector<std::vector<std::string>> rows;
  do {
    MYSQL_RES* result = mysql_store_result(m.get());
    if (!result) {
      if (mysql_field_count(m.get()) != 0)
        throw std::runtime_error("test SQL failed: " + std::string(mysql_error(m.get())) + "\n" + sql);
      continue;
    }
    rows.clear();
    const unsigned n = mysql_num_fields(result);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
      auto& out = rows.emplace_back();
      for (unsigned i = 0; i < n; ++i) out.emplace_back(row[i] ? row[i] : "");
    }
    mysql_free_result(result);
  } while (mysql_next_result(m.get()) == 0);
  if (mysql_errno(m.get()))
    throw std::runtime_error("test SQL failed: " + std::string(mysql_error(m.get())) + "\n" + sql);
  return rows;
}

}  // namespace chatops::test
