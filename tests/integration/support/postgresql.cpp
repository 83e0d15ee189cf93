#include "tests/integration/support/postgresql.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <stdexcept>
#include <thread>

namespace chatops::test {

namespace fs = std::filesystem;

namespace {

// The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin).
fs::path server_bin() {
  fs::path best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = entry.path() / "bin";
    if (fs::exists(bin / "postgres") &&
        (best.empty() || std::stoi(entry.path().filename().string()) > std::stoi(best.parent_path().filename().string())))
      best = bin;
  }
  if (best.empty()) throw std::runtime_error("no PostgreSQL server in /usr/lib/postgresql (scripts/setup installs it)");
  return best;
}

void give_to(const fs::path& path, const std::optional<RunAs>& owner, mode_t mode) {
  if (owner && ::chown(path.c_str(), owner->uid, owner->gid) != 0)
    throw std::runtime_error("cannot chown " + path.string());
  ::chmod(path.c_str(), mode);
}

}  // namespace

Postgresql::Postgresql(PostgresqlOptions options) : options_(options) {
  if (running_as_root()) {
    run_as_ = lookup_user("postgres");
    if (!run_as_) throw std::runtime_error("no postgres system user (the postgresql package creates it)");
  }
  bin_ = server_bin();
  dir_.share();
  port_ = free_port();
  init_cluster();
  start();
  execute(std::string("CREATE DATABASE ") + database, "postgres");
}

Postgresql::~Postgresql() { stop(); }

void Postgresql::init_cluster() {
  fs::create_directories(dir_ / "data");
  fs::create_directories(dir_ / "socket");
  give_to(dir_ / "data", run_as_, 0700);
  give_to(dir_ / "socket", run_as_, 0755);
  const auto pwfile = dir_.write("pwfile", std::string(password) + "\n");
  ::chmod(pwfile.c_str(), 0644);
  Process initdb(ProcessOptions{.argv = {(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U", user,
                                         "--pwfile", pwfile.string(), "--auth-local=trust",
                                         "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"},
                                .env = {},
                                .log_dir = dir_.path(),
                                .name = "initdb",
                                .cwd = {},
                                .run_as = run_as_});
  if (!initdb.wait_exit(60s) || describe_status(initdb.wait_status()) != "exited 0")
    throw std::runtime_error("initdb failed (" + describe_status(initdb.wait_status()) + "):\n" + initdb.output());
  if (options_.tls) {
    ca_ = std::make_unique<TestCa>(dir_ / "tls");
    const auto cert = ca_->issue_server("server", {"localhost"}, {"127.0.0.1"});
    ::chmod((dir_ / "tls").c_str(), 0755);
    give_to(cert.key, run_as_, 0600);  // postgres refuses a key others may read
  }
}

void Postgresql::start() {
  if (running()) return;
  process_.reset();
  std::vector<std::string> argv = {(bin_ / "postgres").string(),
                                   "-D", (dir_ / "data").string(),
                                   "-h", "127.0.0.1",
                                   "-p", std::to_string(port_),
                                   "-k", (dir_ / "socket").string(),
                                   "-c", "fsync=off",
                                   "-c", "synchronous_commit=off",
                                   "-c", "full_page_writes=off",
                                   "-c", "max_connections=50"};
  if (options_.tls) {
    for (const std::string& setting : {std::string("ssl=on"), "ssl_cert_file=" + (dir_ / "tls/server.pem").string(),
                                       "ssl_key_file=" + (dir_ / "tls/server.key").string()}) {
      argv.push_back("-c");
      argv.push_back(setting);
    }
  }
  process_ = std::make_unique<Process>(ProcessOptions{
      .argv = argv, .env = {}, .log_dir = dir_.path(), .name = "postgres", .cwd = {}, .run_as = run_as_});
  const std::string conninfo = "host=" + (dir_ / "socket").string() + " port=" + std::to_string(port_) +
                               " user=" + user + " dbname=postgres";
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (!process_->running() || std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("postgres did not start (" + describe_status(process_->wait_status()) + "):\n" +
                               process_->output());
    std::this_thread::sleep_for(20ms);
  }
}

void Postgresql::stop() {
  if (!running()) return;
  process_->signal(SIGINT);  // fast shutdown; SIGTERM would wait for every client to leave
  if (!process_->wait_exit(10s)) process_->kill9();
}

void Postgresql::kill9() {
  if (process_) process_->kill9();
}

std::vector<std::vector<std::string>> Postgresql::query(const std::string& sql, const std::string& dbname) const {
  const std::string conninfo = "host=" + (dir_ / "socket").string() + " port=" + std::to_string(port_) +
                               " user=" + user + " dbname=" + dbname;
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(conninfo.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("cannot connect to the test PostgreSQL: " + std::string(PQerrorMessage(conn.get())));
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn.get(), sql.c_str()), PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    throw std::runtime_error("test SQL failed: " + std::string(PQresultErrorMessage(result.get())) + "\n" + sql);
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(result.get()); ++i) {
    auto& row = rows.emplace_back();
    for (int j = 0; j < PQnfields(result.get()); ++j) row.emplace_back(PQgetvalue(result.get(), i, j));
  }
  return rows;
}

}  // namespace chatops::test
