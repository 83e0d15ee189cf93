#include "ingestion/db/mariadb.hpp"

#include <sys/socket.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include <algorithm>
#include <charconv>
#include <mutex>

namespace chatops::ingestion::db {

namespace {

// MariaDB 10.5+ marks a JSON column (stored as LONGTEXT) in its extended metadata.
bool json_format(const MYSQL_FIELD& field) {
  MARIADB_CONST_STRING format{};
  return mariadb_field_attr(&format, &field, MARIADB_FIELD_ATTR_FORMAT_NAME) == 0 &&
         std::string_view(format.str, format.length) == "json";
}

Type type_of(const MYSQL_FIELD& field) {
  if (json_format(field)) return Type::Json;
  switch (field.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return Type::Integer;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return Type::Float;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
    case MYSQL_TYPE_DATETIME:
      return Type::Time;
    case MYSQL_TYPE_TIMESTAMP:
      return Type::TimeUtc;  // the session's time zone is UTC
    case MYSQL_TYPE_JSON:
      return Type::Json;
    default:
      return Type::Text;
  }
}

// Values up to this size are read straight into the row's buffers; longer ones are fetched again
// into a buffer of their size.
constexpr unsigned long kInlineValue = 256;

class MariadbEngine final : public Engine {
 public:
  MariadbEngine(ConnectOptions options, RewrittenQuery query) : o_(std::move(options)), q_(std::move(query)) {}
  ~MariadbEngine() override { close(); }

  SourceResult<std::vector<std::string>> open(Deadline) override {
    close();
    static std::once_flag library;
    std::call_once(library, [] { mysql_library_init(0, nullptr, nullptr); });
    MYSQL* m = mysql_init(nullptr);
    if (!m) return std::unexpected(SourceError::transient("cannot connect: out of memory"));
    {
      std::lock_guard lock(mutex_);
      conn_ = m;
    }
    configure(m);
    const bool socket = o_.host.starts_with('/');
    // A connection attempt cannot be interrupted (Connector/C exposes its socket only once
    // connected): it ends within the connect timeout.
    if (!mysql_real_connect(m, socket ? "localhost" : o_.host.c_str(), o_.user.c_str(),
                            o_.password.empty() ? nullptr : o_.password.c_str(), o_.database.c_str(),
                            static_cast<unsigned>(o_.port), socket ? o_.host.c_str() : nullptr, 0))
      return std::unexpected(error("cannot connect", mysql_errno(m), mysql_error(m)));
    {
      std::lock_guard lock(mutex_);
      connected_ = true;
    }
    if (interrupted()) return std::unexpected(SourceError::transient("stopped while connecting"));
    for (std::string_view setting : {"SET SESSION TRANSACTION READ ONLY", "SET time_zone = '+00:00'"})
      if (mysql_real_query(m, setting.data(), setting.size()))
        return std::unexpected(error("cannot set up the session", mysql_errno(m), mysql_error(m)));
    // MariaDB's own limit on a statement (MySQL calls it max_execution_time): failing is harmless.
    const std::string limit = "SET SESSION max_statement_time = " +
                              std::to_string(static_cast<double>(o_.statement_timeout.count()) / 1000.0);
    (void)mysql_real_query(m, limit.data(), limit.size());
    return prepare(m);
  }

  SourceResult<std::vector<Row>> fetch(const Cell& last, std::int64_t limit, Deadline deadline) override {
    auto rows = read(last, limit);
    // The read timeout (the run's) ends a slow query as a lost connection: say what it was.
    if (!rows && !interrupted() && std::chrono::steady_clock::now() >= deadline)
      return std::unexpected(
          SourceError::transient("the query ran past the run's timeout (" + rows.error().message + ")"));
    return rows;
  }

  void close() override {
    std::lock_guard lock(mutex_);
    if (stmt_) mysql_stmt_close(stmt_);
    if (conn_) mysql_close(conn_);
    stmt_ = nullptr;
    conn_ = nullptr;
    connected_ = false;
  }

  // Shutting the socket down makes the blocked read return at once (with "lost connection").
  void interrupt() override {
    std::lock_guard lock(mutex_);
    raise_interrupt();
    if (connected_) ::shutdown(static_cast<int>(mysql_get_socket(conn_)), SHUT_RDWR);
  }

 private:
  SourceResult<std::vector<Row>> read(const Cell& last, std::int64_t limit) {
    if (!stmt_) return std::unexpected(SourceError::transient("not connected"));
    struct FreeResult {
      MYSQL_STMT* s;
      ~FreeResult() { mysql_stmt_free_result(s); }
    } free_result{stmt_};
    if (auto bound = bind_parameters(last, limit); !bound) return std::unexpected(bound.error());
    if (mysql_stmt_execute(stmt_)) return std::unexpected(statement_error("the query failed"));
    const std::size_t n = types_.size();
    std::vector<std::string> buffers(n, std::string(kInlineValue, '\0'));
    std::vector<unsigned long> lengths(n);
    std::vector<my_bool> nulls(n), truncated(n);
    std::vector<MYSQL_BIND> results(n);
    for (std::size_t i = 0; i < n; ++i) {
      results[i].buffer_type = MYSQL_TYPE_STRING;  // the library converts numbers and dates to text
      results[i].buffer = buffers[i].data();
      results[i].buffer_length = kInlineValue;
      results[i].length = &lengths[i];
      results[i].is_null = &nulls[i];
      results[i].error = &truncated[i];
    }
    if (mysql_stmt_bind_result(stmt_, results.data())) return std::unexpected(statement_error("the query failed"));
    std::vector<Row> rows;
    for (;;) {
      const int rc = mysql_stmt_fetch(stmt_);
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) return std::unexpected(statement_error("reading the rows failed"));
      Row row;
      row.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (nulls[i]) {
          row.push_back({});
          continue;
        }
        std::string text;
        if (lengths[i] <= kInlineValue) {
          text.assign(buffers[i].data(), lengths[i]);
        } else {
          text.resize(lengths[i]);
          MYSQL_BIND whole{};
          whole.buffer_type = MYSQL_TYPE_STRING;
          whole.buffer = text.data();
          whole.buffer_length = lengths[i];
          if (mysql_stmt_fetch_column(stmt_, &whole, static_cast<unsigned>(i), 0))
            return std::unexpected(statement_error("reading a value failed"));
        }
        row.push_back({types_[i], std::move(text)});
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void configure(MYSQL* m) const {
    const unsigned timeout = static_cast<unsigned>(std::max<std::int64_t>(1, (o_.statement_timeout.count() + 999) / 1000));
    mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const auto& tls = o_.tls;
    if (tls.mode == "disable") return;
    const my_bool enforce = tls.mode != "prefer";
    const my_bool verify = tls.mode.starts_with("verify");
    // Any TLS option asks for TLS when the server offers it; enforcing refuses a server without.
    std::string ca_file = tls.ca_file;
    if (ca_file.empty() && verify) ca_file = "/etc/ssl/certs/ca-certificates.crt";
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &enforce);
    if (!ca_file.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CA, ca_file.c_str());
    if (!tls.cert_file.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CERT, tls.cert_file.c_str());
    if (!tls.key_file.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_KEY, tls.key_file.c_str());
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }

  SourceResult<std::vector<std::string>> prepare(MYSQL* m) {
    stmt_ = mysql_stmt_init(m);
    if (!stmt_) return std::unexpected(error("cannot prepare the query", mysql_errno(m), mysql_error(m)));
    if (mysql_stmt_prepare(stmt_, q_.text.data(), q_.text.size()))
      return std::unexpected(statement_error("the query does not prepare"));
    if (mysql_stmt_param_count(stmt_) != q_.parameters.size())
      return std::unexpected(SourceError::configuration("the query has parameters other than :last and :limit"));
    MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
    if (!meta) return std::unexpected(SourceError::configuration("the query returns no rows: a db source runs a SELECT"));
    std::vector<std::string> columns;
    types_.clear();
    const MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    for (unsigned i = 0; i < mysql_num_fields(meta); ++i) {
      columns.emplace_back(fields[i].name, fields[i].name_length);
      types_.push_back(type_of(fields[i]));
    }
    mysql_free_result(meta);
    return columns;
  }

  SourceResult<> bind_parameters(const Cell& last, std::int64_t limit) {
    limit_ = limit;
    last_text_ = last.text;
    std::vector<MYSQL_BIND> binds(q_.parameters.size());
    MYSQL_BIND last_bind{};
    last_bind.buffer_type = MYSQL_TYPE_STRING;
    last_bind.buffer = last_text_.data();
    last_bind.buffer_length = last_text_.size();
    if (last.type == Type::Integer &&
        std::from_chars(last.text.data(), last.text.data() + last.text.size(), last_integer_).ec == std::errc{}) {
      last_bind.buffer_type = MYSQL_TYPE_LONGLONG;
      last_bind.buffer = &last_integer_;
    }
    for (std::size_t i = 0; i < binds.size(); ++i) {
      if (q_.parameters[i] == Parameter::Last) {
        binds[i] = last_bind;
      } else {
        binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
        binds[i].buffer = &limit_;
      }
    }
    if (mysql_stmt_bind_param(stmt_, binds.data())) return std::unexpected(statement_error("binding :last and :limit"));
    return {};
  }

  SourceError statement_error(std::string_view what) const {
    return error(what, mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_));
  }

  SourceError error(std::string_view what, unsigned code, const char* text) const {
    if (interrupted()) return SourceError::transient("stopped");
    const std::string message = std::string(what) + ": " + text + " (error " + std::to_string(code) + ")";
    return mariadb_configuration_error(code) ? SourceError::configuration(message) : SourceError::transient(message);
  }

  const ConnectOptions o_;
  const RewrittenQuery q_;
  std::mutex mutex_;  // conn_ and connected_ against interrupt()
  MYSQL* conn_ = nullptr;
  bool connected_ = false;
  MYSQL_STMT* stmt_ = nullptr;
  std::vector<Type> types_;
  // What the bound parameters point at while the statement runs.
  long long limit_ = 0, last_integer_ = 0;
  std::string last_text_;
};

}  // namespace

std::unique_ptr<Engine> make_mariadb_engine(ConnectOptions options, RewrittenQuery query) {
  return std::make_unique<MariadbEngine>(std::move(options), std::move(query));
}

bool mariadb_configuration_error(unsigned int code) {
  switch (code) {
    case ER_DBACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_ERROR:
    case ER_NO_DB_ERROR:
    case ER_BAD_DB_ERROR:
    case ER_NON_UNIQ_ERROR:
    case ER_BAD_FIELD_ERROR:
    case ER_PARSE_ERROR:
    case ER_UNKNOWN_TABLE:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_NO_SUCH_TABLE:
    case ER_SYNTAX_ERROR:
    case ER_WRONG_ARGUMENTS:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_NOT_SUPPORTED_YET:
    case ER_NOT_SUPPORTED_AUTH_MODE:
    case ER_OPTION_PREVENTS_STATEMENT:
    case ER_SP_DOES_NOT_EXIST:
    case ER_PROCACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
    case CR_SSL_CONNECTION_ERROR:
    case CR_AUTH_PLUGIN_CANNOT_LOAD:
      return true;
    default:
      return false;
  }
}

}  // namespace chatops::ingestion::db

// chatops-mariadb.so's one entry point.
extern "C" const chatops::ingestion::db::EngineModule* chatops_module_mariadb() {
  static const chatops::ingestion::db::EngineModule module{chatops::ingestion::db::make_mariadb_engine};
  return &module;
}
