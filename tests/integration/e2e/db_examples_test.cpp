// docs/examples.md, "Databases": each example's configuration, word for word, run by the built
// bot against a real database (only the server's address, its CA and the interval changed); the
// application's statements from the page are run as they are, and the channel shows the lines
// the page says it shows.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "tests/integration/e2e/bot_process.hpp"
#include "tests/integration/e2e/doc_examples.hpp"
#include "tests/integration/support/ngircd.hpp"
#ifdef CHATOPS_WITH_POSTGRESQL
#include "tests/integration/support/postgresql.hpp"
#endif

using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

// The source has run once (start: now noted where the table ends): its mark is in the journal.
bool has_mark(const TempDir& dir, const std::string& source) {
  try {
    SQLite::Database journal((dir / "chatops.db").string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(journal, "SELECT 1 FROM cursors WHERE source = ?");
    q.bind(1, source);
    return q.executeStep();
  } catch (const SQLite::Exception&) {
    return false;  // not created yet
  }
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 20s) {
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

}  // namespace

TEST_CASE("docs/examples.md: alerts an application writes to SQLite", "[e2e][db][examples]") {
  const std::string heading = "### Alerts an application writes to SQLite";
  const auto sql = examples::blocks(heading, "sql");
  const auto yaml = examples::blocks(heading, "yaml");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(sql.size() == 2);
  REQUIRE(yaml.size() == 1);
  REQUIRE(text.size() == 1);

  Ngircd ircd(NgircdOptions{.channels = {"#ops"}});
  TempDir dir("chatops-db-example");
  std::filesystem::create_directories(dir / "data");  // the bot runs in `dir`: ./data/app.db is there
  SQLite::Database app((dir / "data/app.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  app.exec(sql[0]);
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#ops");
  BotProcess bot(dir, examples::bot_yaml(examples::replaced(yaml[0], "interval: 10s", "interval: 1s"), ircd.port(),
                                         "#ops"));
  REQUIRE(watcher.wait_for_join("opsbot", "#ops", 15s));
  REQUIRE(eventually([&] { return has_mark(dir, "alerts"); }));

  app.exec(sql[1]);
  const auto expected = examples::lines(text[0]);
  REQUIRE(eventually([&] { return examples::said(watcher, "#ops").size() >= expected.size(); }));
  std::this_thread::sleep_for(500ms);  // and nothing more
  CHECK(examples::said(watcher, "#ops") == expected);
}

#ifdef CHATOPS_WITH_POSTGRESQL
TEST_CASE("docs/examples.md: new orders in PostgreSQL", "[e2e][db][examples][postgresql]") {
  const std::string heading = "### New orders in PostgreSQL";
  const auto sql = examples::blocks(heading, "sql");
  const auto yaml = examples::blocks(heading, "yaml");
  const auto text = examples::blocks(heading, "text");
  REQUIRE(sql.size() == 2);
  REQUIRE(yaml.size() == 1);
  REQUIRE(text.size() == 1);

  Postgresql pg(PostgresqlOptions{.tls = true});
  pg.execute("CREATE DATABASE shop");
  const std::string password = "reader-s3cret";
  pg.execute(examples::replaced(sql[0], "'…'", "'" + password + "'"), "shop");
  ::setenv("ORDERS_DB_PASSWORD", password.c_str(), 1);  // the bot inherits the environment

  Ngircd ircd(NgircdOptions{.channels = {"#sales"}});
  TempDir dir("chatops-db-example");
  IrcTestClient watcher(IrcClientOptions{.port = ircd.port(), .nick = "watcher"});
  watcher.join("#sales");
  auto config = examples::replaced(yaml[0], "host: db.example.org",
                                   "host: 127.0.0.1\n    port: " + std::to_string(pg.port()));
  config = examples::replaced(config, "tls: {mode: verify-full}",
                              "tls: {mode: verify-full, ca_file: " + pg.ca_file().string() + "}");
  config = examples::replaced(config, "interval: 15s", "interval: 1s");
  BotProcess bot(dir, examples::bot_yaml(config, ircd.port(), "#sales"));
  REQUIRE(watcher.wait_for_join("opsbot", "#sales", 15s));
  REQUIRE(eventually([&] { return has_mark(dir, "orders"); }));

  pg.execute(sql[1], "shop");
  const auto expected = examples::lines(text[0]);
  REQUIRE(eventually([&] { return examples::said(watcher, "#sales").size() >= expected.size(); }));
  std::this_thread::sleep_for(500ms);
  CHECK(examples::said(watcher, "#sales") == expected);
}
#endif
