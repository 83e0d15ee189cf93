#pragma once
// The query a db source runs is written once, for every engine, with two named placeholders:
//
//   SELECT id, level, message FROM alerts WHERE id > :last ORDER BY id LIMIT :limit
//
// :last is the high-water mark (the tracking column's last value said) and :limit the row cap.
// They become the engine's own parameters ($1 and $2 for PostgreSQL, ? for SQLite and MariaDB)
// and the values are bound, never spliced into the text. Placeholders inside quotes, quoted
// identifiers, comments and dollar-quoted strings are left alone, as is PostgreSQL's :: cast.
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace chatops::ingestion::db {

enum class Dialect { PostgreSQL, SQLite, MariaDB };

enum class Parameter { Last, Limit };

struct RewrittenQuery {
  std::string text;
  // The value each positional parameter takes, in order ($1 = Last, $2 = Limit for PostgreSQL;
  // one per ? otherwise, as often as the placeholders appear).
  std::vector<Parameter> parameters;
};

// An error when :last or :limit is missing (the message says how to write the query).
Result<RewrittenQuery> rewrite_placeholders(std::string_view query, Dialect dialect);

}  // namespace chatops::ingestion::db
