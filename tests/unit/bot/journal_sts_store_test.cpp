#include "bot/journal_sts_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/integration/support/process.hpp"

using namespace chatops;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  test::TempDir dir{"chatops-sts-journal"};
  std::chrono::system_clock::time_point now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  std::unique_ptr<ingestion::Journal> journal;

  void open() {
    journal.reset();
    ingestion::JournalOptions options;
    options.path = (dir / "journal.db").string();
    auto opened = ingestion::Journal::open(options, [this] { return now; });
    REQUIRE(opened.has_value());
    journal = std::move(*opened);
  }
};

std::optional<irc::StsPolicy> loaded(bot::JournalStsStore& store, std::string_view host) {
  auto policy = store.load(host);
  REQUIRE(policy.has_value());
  return *policy;
}

}  // namespace

TEST_CASE("STS policies in the journal: kept across a restart, gone once expired or removed", "[bot][sts]") {
  Fixture f;
  f.open();
  const irc::StsPolicy policy{6697, 300s, f.now + 300s};
  {
    bot::JournalStsStore store(*f.journal);
    CHECK(loaded(store, "irc.example.org") == std::optional<irc::StsPolicy>());
    REQUIRE(store.save("irc.example.org", policy));
  }
  f.open();  // a restart
  bot::JournalStsStore store(*f.journal);
  CHECK(loaded(store, "irc.example.org") == std::optional<irc::StsPolicy>(policy));
  CHECK(loaded(store, "other.example.org") == std::optional<irc::StsPolicy>());
  f.now += 301s;
  CHECK(loaded(store, "irc.example.org") == std::optional<irc::StsPolicy>());
  REQUIRE(store.save("irc.example.org", {6697, 300s, f.now + 300s}));
  REQUIRE(store.remove("irc.example.org"));
  CHECK(loaded(store, "irc.example.org") == std::optional<irc::StsPolicy>());
}

TEST_CASE("STS policies in the journal drive the client's routing after a restart", "[bot][sts]") {
  Fixture f;
  f.open();
  const irc::ServerConfig plain{"irc.example.org", 6667, false};
  {
    bot::JournalStsStore store(*f.journal);
    irc::StsPolicies policies(store);
    policies.offered({"irc.example.org", 6697, true}, "duration=3600", true, f.now);
  }
  f.open();
  bot::JournalStsStore store(*f.journal);
  irc::StsPolicies policies(store);
  CHECK(policies.route(plain, f.now + 10s) == irc::ServerConfig{"irc.example.org", 6697, true});
}
