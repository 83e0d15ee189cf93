#pragma once
// What a db source needs of a database, one implementation per engine (sqlite.cpp,
// postgresql.cpp, mariadb.cpp): connect in a read-only session, prepare the query once, run it
// with the high-water mark and the row cap bound as parameters, hand back typed rows, and stop a
// connection or a query under way when asked from another thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ingestion/db/placeholders.hpp"
#include "ingestion/db/value.hpp"
#include "ingestion/source.hpp"

namespace chatops::ingestion::db {

using Deadline = std::chrono::steady_clock::time_point;
using Row = std::vector<Cell>;

// TLS to a database server. Modes as libpq names them: disable, prefer (TLS when the server
// offers it, unverified), require (TLS, unverified), verify-ca (the chain), verify-full (the
// chain and the host name).
struct TlsOptions {
  std::string mode = "prefer";
  std::string ca_file, cert_file, key_file;  // empty: not given
};

struct ConnectOptions {
  std::string query;  // with :last and :limit, as configured
  // Longest a statement may run on the server (the run's timeout): a slow query ends there.
  std::chrono::milliseconds statement_timeout{std::chrono::seconds(30)};
  // SQLite
  std::string path;
  std::chrono::milliseconds busy_timeout{std::chrono::seconds(5)};
  // PostgreSQL and MariaDB
  std::string host;  // a name or address; a path starting with / is a Unix socket (its directory for PostgreSQL)
  int port = 0;
  std::string database, user, password;
  TlsOptions tls;
};

class Engine {
 public:
  Engine();
  virtual ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  // Connects (read-only session, TLS as configured) and prepares the query; returns the names of
  // the columns it returns. Errors are classified: wrong credentials, an unknown database or
  // table, a syntax error are configuration errors; a refused or lost connection is transient.
  virtual SourceResult<std::vector<std::string>> open(Deadline deadline) = 0;
  // Runs the prepared query with :last and :limit bound; the rows as the query orders them.
  virtual SourceResult<std::vector<Row>> fetch(const Cell& last, std::int64_t limit, Deadline deadline) = 0;
  // Disconnects (and forgets the prepared query). Safe to call when not connected.
  virtual void close() = 0;

  // From another thread: an open() or fetch() under way returns soon with a transient error, and
  // so do later ones until rearm().
  virtual void interrupt() = 0;
  // On the poller's thread, before open(): forgets a past interrupt().
  void rearm();

 protected:
  bool interrupted() const { return interrupted_.load(); }
  // Wakes wait_socket(); set by interrupt() implementations.
  void raise_interrupt();

  enum class Wait { Ready, Interrupted, TimedOut };
  // Waits until `fd` is readable (or writable), the deadline passes, or interrupt() is called.
  Wait wait_socket(int fd, bool for_write, Deadline deadline) const;

 private:
  std::atomic<bool> interrupted_{false};
  int wake_fd_ = -1;  // an eventfd: readable once interrupted
};

// What an engine's module (chatops-postgresql.so, chatops-mariadb.so: the engine and its client
// library) gives: its extern "C" factory chatops_module_<engine> returns this table. Loaded when a
// source of the engine is made, never to validate one.
struct EngineModule {
  std::unique_ptr<Engine> (*make)(ConnectOptions options, RewrittenQuery query);
};

// The engine for `engine:` (sqlite, postgresql, mariadb), with the query rewritten for it; an
// error names an engine this build does not have.
Result<std::unique_ptr<Engine>> make_engine(std::string_view name, ConnectOptions options);
// The engines this build has, for messages and the schema.
std::vector<std::string> engine_names();

}  // namespace chatops::ingestion::db
