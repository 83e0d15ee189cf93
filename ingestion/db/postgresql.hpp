#pragma once
// PostgreSQL through libpq: connect without blocking (so that stop and the deadline are heard),
// a read-only session in UTC with ISO dates and the run's timeout as statement_timeout, the
// query prepared once and run with its parameters bound.
#include <memory>
#include <string_view>

#include "ingestion/db/engine.hpp"

namespace chatops::ingestion::db {

std::unique_ptr<Engine> make_postgresql_engine(ConnectOptions options, RewrittenQuery query);

// Whether an error PostgreSQL reports with this SQLSTATE is one of configuration (a syntax
// error, a missing table or column, no privilege, a write in the read-only session, a value of
// the wrong type) rather than a passing one.
bool postgresql_configuration_error(std::string_view sqlstate);
// Whether a failed connection (libpq's message) is one of configuration: wrong password, an
// unknown database or user, no pg_hba.conf entry, a TLS certificate that does not verify.
// libpq gives no SQLSTATE for these; the server's messages are matched in English (initdb's
// default for the C and C.UTF-8 locales).
bool postgresql_connect_configuration_error(std::string_view message);

}  // namespace chatops::ingestion::db
