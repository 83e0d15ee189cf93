#pragma once
// MariaDB and MySQL through MariaDB Connector/C: TLS options, read and write timeouts, a
// read-only session in UTC, the query as a server-side prepared statement with its parameters
// bound. A query under way is interrupted by shutting down the connection's socket.
#include <memory>

#include "ingestion/db/engine.hpp"

namespace chatops::ingestion::db {

std::unique_ptr<Engine> make_mariadb_engine(ConnectOptions options, RewrittenQuery query);

// Whether a MariaDB error number (server or client) is one of configuration: access denied, an
// unknown database, table or column, a syntax error, a write in the read-only session, a TLS
// setup that fails.
bool mariadb_configuration_error(unsigned int code);

}  // namespace chatops::ingestion::db
