#include "ingestion/db/postgresql.hpp"

#include <libpq-fe.h>

#include <array>

namespace chatops::ingestion::db {

namespace {

// OIDs of built-in types (catalog/pg_type.dat; fixed across versions).
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kJson = 114, kFloat4 = 700, kFloat8 = 701,
              kDate = 1082, kTimestamp = 1114, kTimestampTz = 1184, kNumeric = 1700, kJsonb = 3802;

Type type_of(Oid oid) {
  switch (oid) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
      return Type::Integer;
    case kFloat4:
    case kFloat8:
    case kNumeric:
      return Type::Float;
    case kBool:
      return Type::Boolean;
    case kDate:
    case kTimestamp:
    case kTimestampTz:
      return Type::Time;
    case kJson:
    case kJsonb:
      return Type::Json;
    default:
      return Type::Text;
  }
}

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

// libpq's messages end with a newline and may span lines.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      if (!out.empty() && out.back() != ' ') out += "; ";
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

class PostgresqlEngine final : public Engine {
 public:
  PostgresqlEngine(ConnectOptions options, RewrittenQuery query) : o_(std::move(options)), q_(std::move(query)) {}
  ~PostgresqlEngine() override { close(); }

  SourceResult<std::vector<std::string>> open(Deadline deadline) override {
    close();
    if (auto connected = connect(deadline); !connected) return std::unexpected(connected.error());
    // Lets the server end a query whose client has gone (closing is how a run is abandoned).
    // PostgreSQL 14 and later; older servers refuse it, which changes nothing else.
    if (PQsendQuery(conn_, "SET client_connection_check_interval = 1000")) {
      if (auto r = await(deadline); !r) return std::unexpected(r.error());
    }
    if (!PQsendPrepare(conn_, "", q_.text.c_str(), 0, nullptr)) return std::unexpected(lost("preparing the query"));
    auto prepared = await(deadline);
    if (!prepared) return std::unexpected(prepared.error());
    if (PQresultStatus(prepared->get()) != PGRES_COMMAND_OK)
      return std::unexpected(failed(prepared->get(), "the query does not prepare"));
    if (!PQsendDescribePrepared(conn_, "")) return std::unexpected(lost("describing the query"));
    auto described = await(deadline);
    if (!described) return std::unexpected(described.error());
    const PGresult* d = described->get();
    if (PQresultStatus(d) != PGRES_COMMAND_OK) return std::unexpected(failed(d, "the query does not describe"));
    if (PQnparams(d) != 2)
      return std::unexpected(SourceError::configuration("the query has parameters other than :last and :limit"));
    std::vector<std::string> columns;
    types_.clear();
    for (int i = 0; i < PQnfields(d); ++i) {
      columns.emplace_back(PQfname(d, i));
      types_.push_back(type_of(PQftype(d, i)));
    }
    return columns;
  }

  SourceResult<std::vector<Row>> fetch(const Cell& last, std::int64_t limit, Deadline deadline) override {
    if (!conn_) return std::unexpected(SourceError::transient("not connected"));
    const std::string limit_text = std::to_string(limit);
    const std::array<const char*, 2> values{last.text.c_str(), limit_text.c_str()};
    if (!PQsendQueryPrepared(conn_, "", 2, values.data(), nullptr, nullptr, 0))
      return std::unexpected(lost("sending the query"));
    auto result = await(deadline);
    if (!result) return std::unexpected(result.error());
    const PGresult* r = result->get();
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return std::unexpected(failed(r, "the query failed"));
    const int fields = PQnfields(r);
    if (fields != static_cast<int>(types_.size()))
      return std::unexpected(SourceError::transient("the query's columns changed since it was prepared"));
    std::vector<Row> rows(static_cast<std::size_t>(PQntuples(r)));
    for (int i = 0; i < PQntuples(r); ++i) {
      auto& row = rows[static_cast<std::size_t>(i)];
      row.reserve(types_.size());
      for (int j = 0; j < fields; ++j) {
        if (PQgetisnull(r, i, j)) row.push_back({});
        else row.push_back({types_[static_cast<std::size_t>(j)],
                            std::string(PQgetvalue(r, i, j), static_cast<std::size_t>(PQgetlength(r, i, j)))});
      }
    }
    return rows;
  }

  void close() override {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
  }

  // Wakes the wait for the server; the run then closes the connection. A cancel request (PQcancel)
  // would open a second connection, which blocks without a timeout on an unreachable server; the
  // server ends the abandoned query itself (client_connection_check_interval, statement_timeout).
  void interrupt() override { raise_interrupt(); }

 private:
  SourceResult<> connect(Deadline deadline) {
    const std::string port = std::to_string(o_.port);
    const std::string options = "-c default_transaction_read_only=on -c statement_timeout=" +
                                std::to_string(o_.statement_timeout.count()) +
                                " -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601";
    std::string ca_file = o_.tls.ca_file;
    if (ca_file.empty() && o_.tls.mode.starts_with("verify")) ca_file = "/etc/ssl/certs/ca-certificates.crt";
    std::vector<std::pair<const char*, std::string>> params = {
        {"host", o_.host},           {"port", port},
        {"dbname", o_.database},     {"user", o_.user},
        {"sslmode", o_.tls.mode},    {"application_name", "chatops-bot"},
        {"options", options},        {"client_encoding", "UTF8"},
        {"keepalives", "1"},         {"keepalives_idle", "30"},
    };
    if (!o_.password.empty()) params.emplace_back("password", o_.password);
    if (!ca_file.empty()) params.emplace_back("sslrootcert", ca_file);
    if (!o_.tls.cert_file.empty()) params.emplace_back("sslcert", o_.tls.cert_file);
    if (!o_.tls.key_file.empty()) params.emplace_back("sslkey", o_.tls.key_file);
    std::vector<const char*> keywords, values;
    for (const auto& [k, v] : params) {
      keywords.push_back(k);
      values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);

    conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
    if (!conn_) return std::unexpected(SourceError::transient("cannot connect: out of memory"));
    // As libpq asks: first wait as if PQconnectPoll had said "writing".
    for (auto state = PGRES_POLLING_WRITING; state != PGRES_POLLING_OK; state = PQconnectPoll(conn_)) {
      if (state == PGRES_POLLING_FAILED || PQstatus(conn_) == CONNECTION_BAD) {
        const auto message = "cannot connect: " + one_line(PQerrorMessage(conn_));
        return std::unexpected(postgresql_connect_configuration_error(message) ? SourceError::configuration(message)
                                                                              : SourceError::transient(message));
      }
      if (auto waited = wait(state == PGRES_POLLING_WRITING, deadline, "connecting"); !waited)
        return std::unexpected(waited.error());
    }
    return {};
  }

  SourceResult<> wait(bool for_write, Deadline deadline, std::string_view doing) const {
    switch (wait_socket(PQsocket(conn_), for_write, deadline)) {
      case Wait::Ready:
        return {};
      case Wait::Interrupted:
        return std::unexpected(SourceError::transient("stopped while " + std::string(doing)));
      case Wait::TimedOut:
        break;
    }
    return std::unexpected(SourceError::transient("timed out while " + std::string(doing)));
  }

  // The last result of what was sent (libpq ends each with a null one).
  SourceResult<ResultPtr> await(Deadline deadline) {
    while (PQisBusy(conn_)) {
      if (auto waited = wait(false, deadline, "waiting for the server"); !waited) return std::unexpected(waited.error());
      if (!PQconsumeInput(conn_)) return std::unexpected(lost("reading"));
    }
    ResultPtr last;
    while (PGresult* r = PQgetResult(conn_)) last.reset(r);
    if (!last) return std::unexpected(lost("reading"));
    return last;
  }

  SourceError lost(std::string_view doing) const {
    return SourceError::transient("connection lost while " + std::string(doing) + ": " + one_line(PQerrorMessage(conn_)));
  }

  SourceError failed(const PGresult* r, std::string_view what) const {
    if (PQstatus(conn_) == CONNECTION_BAD) return lost(what);
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const std::string sqlstate = state ? state : "";
    std::string message = std::string(what) + ": " + (primary ? primary : one_line(PQresultErrorMessage(r)));
    if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
    return postgresql_configuration_error(sqlstate) ? SourceError::configuration(message)
                                                    : SourceError::transient(message);
  }

  const ConnectOptions o_;
  const RewrittenQuery q_;
  PGconn* conn_ = nullptr;  // the poller thread's alone
  std::vector<Type> types_;  // of the prepared query's columns
};

}  // namespace

std::unique_ptr<Engine> make_postgresql_engine(ConnectOptions options, RewrittenQuery query) {
  return std::make_unique<PostgresqlEngine>(std::move(options), std::move(query));
}

bool postgresql_configuration_error(std::string_view sqlstate) {
  // Classes: 22 data exception (e.g. :last of the wrong type), 28 invalid authorization, 3D
  // invalid catalog name, 42 syntax error or access rule violation, 0A feature not supported;
  // 25006 a write in a read-only transaction.
  if (sqlstate == "25006") return true;
  for (std::string_view cls : {"22", "28", "3D", "42", "0A"})
    if (sqlstate.starts_with(cls)) return true;
  return false;
}

bool postgresql_connect_configuration_error(std::string_view message) {
  for (std::string_view clue : {"password", "authentication failed", "does not exist", "pg_hba.conf",
                                "permission denied", "certificate", "does not support SSL", "does not match host name",
                                "private key", "invalid sslmode", "invalid connection option"})
    if (contains(message, clue)) return true;
  return false;
}

}  // namespace chatops::ingestion::db

// chatops-postgresql.so's one entry point.
extern "C" const chatops::ingestion::db::EngineModule* chatops_module_postgresql() {
  static const chatops::ingestion::db::EngineModule module{chatops::ingestion::db::make_postgresql_engine};
  return &module;
}
