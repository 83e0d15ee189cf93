#include "ingestion/db/db_source.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "ingestion/db/page.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::db {

namespace {

const std::vector<std::string>& all_engines() {
  static const std::vector<std::string> names = {"sqlite", "postgresql", "mariadb"};
  return names;
}

// A column name usable as a template key as it is.
bool template_key(std::string_view name) {
  return !name.empty() && name != "_event" && name != "raw" &&
         std::ranges::all_of(name, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "[{{_event.source}}] id={{id}} level={{level}} …": what a bind without a template says.
std::string default_template(const std::vector<std::string>& columns) {
  std::string text = "[{{_event.source}}]";
  int shown = 0;
  for (const auto& c : columns) {
    if (!template_key(c) || ++shown > 8) continue;
    text += " " + c + "={{" + c + "}}";
  }
  return text;
}

std::optional<std::size_t> index_of(const std::vector<std::string>& columns, const std::string& name) {
  const auto it = std::ranges::find(columns, name);
  if (it == columns.end()) return std::nullopt;
  return static_cast<std::size_t>(it - columns.begin());
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

SourceError refused(const BatchResult& result) {
  return SourceError::transient("the journal refused the batch: " + result.error);
}

}  // namespace

DbSource::DbSource(PollOptions poll, DbOptions options, std::unique_ptr<Engine> engine)
    : PollingSource(poll), o_(std::move(options)), engine_(std::move(engine)) {}

DbSource::~DbSource() { stop(); }

SourceResult<> DbSource::open() {
  engine_->rearm();
  if (stopping()) return std::unexpected(SourceError::transient("stopping"));  // its interrupt() came first
  queries_ = runtime().metrics().counter("chatops_db_queries_total", "Queries a db source ran, by outcome.", {"outcome"});
  rows_ = runtime().metrics().counter("chatops_db_rows_total", "Rows a db source read (said or skipped at start).");
  auto columns = engine_->open(std::chrono::steady_clock::now() + options().timeout);
  if (!columns) return std::unexpected(columns.error());
  std::set<std::string> seen;
  for (const auto& c : *columns)
    if (!seen.insert(c).second)
      return std::unexpected(SourceError::configuration("the query returns two columns named " + c +
                                                        ": give them distinct names with AS"));
  auto find = [&](const std::string& name, const char* what) -> SourceResult<std::size_t> {
    if (auto at = index_of(*columns, name)) return *at;
    return std::unexpected(SourceError::configuration(std::string(what) + " " + name +
                                                      " is not among the query's columns (" + joined(*columns) + ")"));
  };
  auto tracking = find(o_.tracking_column, "the tracking column");
  if (!tracking) return std::unexpected(tracking.error());
  tracking_ = *tracking;
  for (auto [column, index, what] : {std::tuple{&o_.key_column, &key_, "the key column"},
                                     std::tuple{&o_.severity_column, &severity_, "the severity column"}}) {
    *index = std::nullopt;
    if (!*column) continue;
    auto at = find(**column, what);
    if (!at) return std::unexpected(at.error());
    *index = *at;
  }
  fields_ = FieldsWriter(*columns, o_.max_value_size);
  topic_ = "db/" + runtime().name();
  template_ = o_.template_text.empty() ? default_template(*columns) : o_.template_text;
  return {};
}

void DbSource::interrupt() { engine_->interrupt(); }

void DbSource::close() { engine_->close(); }

SourceResult<std::optional<Cell>> DbSource::committed_mark() {
  auto cursor = runtime().cursor();
  if (!cursor) return std::unexpected(SourceError::transient("cannot read the high-water mark: " + cursor.error().message));
  if (!*cursor) return std::optional<Cell>{};
  auto mark = decode_cursor(**cursor);
  if (!mark) return std::unexpected(SourceError::configuration(mark.error().message));
  return std::optional<Cell>{*mark};
}

SourceResult<> DbSource::poll(Deadline deadline) {
  if (!mark_) {
    auto committed = committed_mark();
    if (!committed) return std::unexpected(committed.error());
    if (*committed) {
      mark_ = **committed;
    } else if (!o_.start_now) {
      mark_ = o_.initial;
    } else {
      auto done = skip_existing(deadline);
      if (!done) return std::unexpected(done.error());
      if (!*done) return {};  // the next run goes on from skipped_to_
    }
  }
  for (;;) {
    auto more = say_page(deadline);
    if (!more) return std::unexpected(more.error());
    if (!*more || stopping() || std::chrono::steady_clock::now() >= deadline) return {};
  }
}

SourceResult<bool> DbSource::skip_existing(Deadline deadline) {
  Cell from = skipped_to_.value_or(o_.initial);
  std::size_t skipped = 0;
  for (;;) {
    auto rows = engine_->fetch(from, o_.max_rows, deadline);
    queries_.inc({rows ? "ok" : "error"});
    if (!rows) return std::unexpected(rows.error());
    auto plan = plan_page(*rows, tracking_, static_cast<std::size_t>(o_.max_rows), from, o_.tracking_column);
    if (!plan) return std::unexpected(SourceError::configuration(plan.error().message));
    rows_.inc({}, static_cast<double>(plan->take));
    skipped += plan->take;
    if (plan->mark) from = *plan->mark;
    if (!plan->more) break;
    skipped_to_ = from;
    if (stopping() || std::chrono::steady_clock::now() >= deadline) return false;
  }
  // The mark is committed even when the table is empty: the rows that come later are new.
  const auto result = runtime().submit_and_wait({}, encode_cursor(from));
  if (!result.committed()) return std::unexpected(refused(result));
  spdlog::info("source {}: start: now — {} row(s) already there are not said; new rows are those with {} after {}",
               runtime().name(), skipped, o_.tracking_column, from.text);
  mark_ = from;
  skipped_to_.reset();
  return true;
}

SourceResult<bool> DbSource::say_page(Deadline deadline) {
  auto rows = engine_->fetch(*mark_, o_.max_rows, deadline);
  queries_.inc({rows ? "ok" : "error"});
  if (!rows) return std::unexpected(rows.error());
  auto plan = plan_page(*rows, tracking_, static_cast<std::size_t>(o_.max_rows), *mark_, o_.tracking_column);
  if (!plan) return std::unexpected(SourceError::configuration(plan.error().message));
  if (plan->take == 0) return false;
  auto& status = runtime().status();
  rows_.inc({}, static_cast<double>(plan->take));
  status.consumed += plan->take;
  std::vector<IngestionEvent> events;
  events.reserve(plan->take);
  for (std::size_t i = 0; i < plan->take; ++i) events.push_back(event_of((*rows)[i]));
  const auto result = runtime().submit_and_wait(std::move(events), encode_cursor(*plan->mark));
  if (!result.committed()) return std::unexpected(refused(result));
  status.processed += result.count(Submission::Accepted);
  status.skipped += result.count(Submission::Duplicate);
  status.committed += plan->take;
  mark_ = plan->mark;
  return plan->more;
}

IngestionEvent DbSource::event_of(const Row& row) const {
  IngestionEvent e;
  e.topic = topic_;
  e.fields = EventFields::from_text(fields_.write(row));
  if (key_) e.dedupe_key = row[*key_].text;
  if (severity_) e.severity = severity_from_string(payload::ascii_lower(row[*severity_].text));
  e.default_template = template_;
  return e;
}

// --- configuration

config::Schema db_source_schema() {
  config::Schema s("db", "");
  s.field("engine", config::Kind::String, "The database: sqlite, postgresql or mariadb (also for MySQL).")
      .required()
      .one_of(all_engines());
  s.field("query", config::Kind::String,
          "The SELECT to poll, with :last where the tracking column's last value goes and :limit for the row cap "
          "(bound as parameters, never spliced into the text). Rows must come in ascending order of the tracking "
          "column.")
      .required()
      .example("\"SELECT id, level, message FROM alerts WHERE id > :last ORDER BY id LIMIT :limit\"");
  s.field("tracking_column", config::Kind::String,
          "The column whose last value said is the high-water mark (an id, a timestamp); best strictly increasing.")
      .required()
      .example("id");
  s.field("start", config::Kind::String,
          "Where a source without a saved mark starts: now (the rows already there are not said) or beginning "
          "(from `initial`). Once a mark is saved it is where the source goes on from.")
      .fallback("now")
      .one_of({"now", "beginning"});
  s.field("initial", config::Kind::String,
          "The mark before the first row: a value of the tracking column's type below every value (0 for ids, "
          "'1970-01-01' for timestamps).")
      .fallback("0");
  s.field("max_rows", config::Kind::Integer, "Row cap of one query (bound to :limit); a full page is followed at once.")
      .fallback("1000")
      .range(2, 100000);
  s.field("key", config::Kind::String,
          "A column holding a unique id, used as the events' dedupe key. Not needed for exactly-once (the mark is "
          "saved with the events); none by default, so that rows sharing a value are all said.");
  s.field("severity_column", config::Kind::String,
          "A column holding each row's severity (info, notice, warning, error, critical).");
  s.field("max_value_size", config::Kind::Size, "Longer text values are cut (on a UTF-8 boundary, ending with …).")
      .fallback("64KiB")
      .range(16, 16 * 1024 * 1024);
  s.field("template", config::Kind::String,
          "Default template for binds that give none; by default the source and the first columns, `name=value`.");
  add_poll_fields(s, "30s");
  return common_source_schema().merged(s, "db");
}

config::Schema db_engine_schema(std::string_view engine) {
  if (engine == "sqlite") {
    config::Schema s("db/sqlite", "A SQLite file, opened read-only.");
    s.field("path", config::Kind::String, "The database file.").required().example("./data/app.db");
    s.field("busy_timeout", config::Kind::Duration,
            "How long to wait for a writer's lock before the run fails (and is retried).")
        .fallback("5s")
        .range(0, 3600);
    return s;
  }
  const bool postgresql = engine == "postgresql";
  config::Schema s(postgresql ? "db/postgresql" : "db/mariadb",
                   postgresql ? "PostgreSQL (libpq), in a read-only session."
                              : "MariaDB or MySQL (MariaDB Connector/C), in a read-only session.");
  s.field("host", config::Kind::String,
          postgresql ? "Server name or address; a path is the directory of its Unix socket."
                     : "Server name or address; a path is its Unix socket.")
      .fallback("localhost");
  s.field("port", config::Kind::Integer, "TCP port.").fallback(postgresql ? "5432" : "3306").range(1, 65535);
  s.field("database", config::Kind::String, "Database name.").required();
  s.field("user", config::Kind::String, "User name (best one that may only read).").required();
  s.field("password", config::Kind::Secret, "Password; never logged.").example("\"${DB_PASSWORD}\"");
  config::Schema tls("tls", "TLS to the server.");
  tls.field("mode", config::Kind::String,
            "disable; prefer (TLS when the server offers it, unverified); require (TLS, unverified); verify-ca "
            "(the chain); verify-full (the chain and the host name)." +
                std::string(postgresql ? "" : " Connector/C checks the host name in verify-ca too."))
      .fallback("prefer")
      .one_of({"disable", "prefer", "require", "verify-ca", "verify-full"});
  tls.field("ca_file", config::Kind::String, "CA certificates (PEM); the system's by default in the verify modes.");
  tls.field("cert_file", config::Kind::String, "Client certificate (PEM), for servers that ask for one.");
  tls.field("key_file", config::Kind::String, "Its private key (PEM).");
  s.field("tls", config::Kind::Map, "TLS options.").schema(tls).fallback("{}");
  return s;
}

Result<config::Node> validate_db_source(const config::Node& raw) {
  if (!raw.has("engine")) return std::unexpected(raw.error("missing engine (one of " + joined(all_engines()) + ")"));
  const std::string engine = raw["engine"].scalar();
  if (std::ranges::find(all_engines(), engine) == all_engines().end())
    return std::unexpected(raw["engine"].error("unknown engine \"" + engine + "\"; known: " + joined(all_engines())));
  const auto built = engine_names();
  if (std::ranges::find(built, engine) == built.end())
    return std::unexpected(raw["engine"].error("this build has no " + engine + " (CMake option " +
                                               (engine == "postgresql" ? "CHATOPS_WITH_POSTGRESQL" : "CHATOPS_WITH_MARIADB") +
                                               " was off); it has " + joined(built)));
  auto validated = config::validate(db_source_schema().merged(db_engine_schema(engine), "db/" + engine), raw);
  if (!validated) return validated;
  const Dialect dialect = engine == "sqlite"       ? Dialect::SQLite
                          : engine == "postgresql" ? Dialect::PostgreSQL
                                                   : Dialect::MariaDB;
  if (auto rewritten = rewrite_placeholders(validated->str("query"), dialect); !rewritten)
    return std::unexpected((*validated)["query"].error(rewritten.error().message));
  return validated;
}

Result<std::unique_ptr<IngestionSource>> make_db_source(const config::Node& v) {
  const std::string engine = v.str("engine");
  ConnectOptions c;
  c.query = v.str("query");
  c.statement_timeout = v.duration("timeout");
  if (engine == "sqlite") {
    c.path = v.str("path");
    c.busy_timeout = v.duration("busy_timeout");
  } else {
    c.host = v.str("host");
    c.port = static_cast<int>(v.integer("port"));
    c.database = v.str("database");
    c.user = v.str("user");
    if (v.has("password")) c.password = v.str("password");
    const auto tls = v.map("tls");
    c.tls.mode = tls.str("mode");
    for (auto [key, value] : {std::pair{"ca_file", &c.tls.ca_file}, std::pair{"cert_file", &c.tls.cert_file},
                              std::pair{"key_file", &c.tls.key_file}})
      if (tls.has(key)) *value = tls.str(key);
  }
  auto made = make_engine(engine, std::move(c));
  if (!made) return std::unexpected(v["engine"].error(made.error().message));  // its module cannot be loaded
  DbOptions o;
  o.tracking_column = v.str("tracking_column");
  if (v.has("key")) o.key_column = v.str("key");
  if (v.has("severity_column")) o.severity_column = v.str("severity_column");
  o.start_now = v.str("start") == "now";
  o.initial = initial_mark(v.str("initial"));
  o.max_rows = v.integer("max_rows");
  o.max_value_size = v.size("max_value_size");
  if (v.has("template")) o.template_text = v.str("template");
  return std::make_unique<DbSource>(poll_options(v), std::move(o), std::move(*made));
}

SourceKind db_source_kind() {
  return {
      .name = "db",
      .family = "db",
      .doc = "SQL polling: a query run at intervals on SQLite, PostgreSQL or MariaDB/MySQL; each new row (after the "
             "tracking column's high-water mark) becomes an event with topic db/<name>. See docs/sources/db.md.",
      .validate = validate_db_source,
      .make = [](const config::Node& validated, SourceServices&) { return make_db_source(validated); },
      .schemas =
          [] {
            std::vector<config::Schema> schemas{db_source_schema()};
            for (const auto& engine : all_engines()) schemas.push_back(db_engine_schema(engine));
            return schemas;
          },
  };
}

}  // namespace chatops::ingestion::db
