// docs/examples.md, "Databases": each example's configuration, word for word, run by the built
// bot against a real database (only the database's address, its CA and the interval changed); the
// application's statements from the page are run as they are, and the channel shows the lines
// the page says it shows.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"
#ifdef CHATOPS_WITH_POSTGRESQL
#include "tests/integration/support/postgresql.hpp"
#endif

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// An example's blocks: the application's SQL (its table, then what it writes), the config, the
// channel's lines.
struct Example {
  std::vector<std::string> sql, yaml, text;
  explicit Example(const std::string& heading)
      : sql(examples::blocks(heading, "sql")), yaml(examples::blocks(heading, "yaml")),
        text(examples::blocks(heading, "text")) {
    REQUIRE(sql.size() == 2);
    REQUIRE(yaml.size() == 1);
    REQUIRE(text.size() == 1);
  }
};

// Starts the bot on the example's config and waits until its source noted where the table ends;
// then runs what the application writes, and checks the channel against the page.
void run_example(const Example& example, const std::string& config, const std::string& source,
                 const std::string& channel, const std::function<void(const std::string& sql)>& application) {
  Ngircd ircd(NgircdOptions{.channels = {channel}});
  TempDir dir("chatops-db-example");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join(channel);
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), channel));
  REQUIRE(watcher.wait_for_join("opsbot", channel, 30s));
  REQUIRE(compliance::eventually([&] { return examples::has_cursor(dir, source); }, 20s));
  application(example.sql[1]);
  const auto expected = examples::lines(example.text[0]);
  REQUIRE(compliance::eventually([&] { return examples::said(watcher, channel).size() >= expected.size(); }, 20s));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, channel) == expected);
}

}  // namespace

TEST_CASE("docs/examples.md: alerts an application writes to SQLite", "[e2e][db][examples]") {
  const Example example("### Alerts an application writes to SQLite");
  TempDir app_dir("chatops-db-app");
  SQLite::Database app((app_dir / "app.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  app.exec(example.sql[0]);
  auto config = examples::replaced(example.yaml[0], "path: ./data/app.db", "path: " + (app_dir / "app.db").string());
  config = examples::replaced(config, "interval: 10s", "interval: 1s");
  run_example(example, config, "alerts", "#ops", [&](const std::string& sql) { app.exec(sql); });
}

#ifdef CHATOPS_WITH_POSTGRESQL
TEST_CASE("docs/examples.md: new orders in PostgreSQL", "[e2e][db][examples][postgresql]") {
  const Example example("### New orders in PostgreSQL");
  Postgresql pg(PostgresqlOptions{.tls = true});
  pg.execute("CREATE DATABASE shop");
  const std::string password = "reader-s3cret";
  pg.execute(examples::replaced(example.sql[0], "'…'", "'" + password + "'"), "shop");
  ::setenv("ORDERS_DB_PASSWORD", password.c_str(), 1);  // the bot inherits the environment
  auto config = examples::replaced(example.yaml[0], "host: db.example.org",
                                   "host: 127.0.0.1\n    port: " + std::to_string(pg.port()));
  config = examples::replaced(config, "tls: {mode: verify-full}",
                              "tls: {mode: verify-full, ca_file: " + pg.ca_file().string() + "}");
  config = examples::replaced(config, "interval: 15s", "interval: 1s");
  run_example(example, config, "orders", "#sales", [&](const std::string& sql) { pg.execute(sql, "shop"); });
}
#endif
