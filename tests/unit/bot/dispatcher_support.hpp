#pragma once
// What the dispatcher's tests share: a scripted IRC side, a journal in a temporary folder, and the
// real planner on config binds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bindings/bind_table.hpp"
#include "bindings/config_binds.hpp"
#include "bot/dispatcher.hpp"
#include "bot/planner.hpp"
#include "core/config/node.hpp"
#include "core/config/schema.hpp"
#include "ingestion/journal/journal.hpp"

namespace chatops::bot::testing {

// The IRC side, scripted: which targets are ready, and what was handed over, confirmed on demand.
class ScriptedIrc final : public IrcPort {
 public:
  std::set<std::string> ready;
  std::vector<std::pair<Send, std::function<void(bool)>>> pending;
  std::vector<Send> delivered;

  bool can_speak_to(const std::string& target) const override { return ready.contains(target); }
  std::size_t line_width(const std::string&, bool) const override { return 400; }
  void say(const Send& send, std::function<void(bool)> on_done) override { pending.emplace_back(send, std::move(on_done)); }

  // Confirms everything handed over so far (and what that pulls in), like a server accepting lines.
  void accept_all() {
    while (!pending.empty()) {
      auto [send, done] = std::move(pending.front());
      pending.erase(pending.begin());
      delivered.push_back(send);
      done(true);
    }
  }
  void drop_all() {
    auto dropped = std::move(pending);
    pending.clear();
    for (auto& [send, done] : dropped) done(false);
  }
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& s : delivered) out.push_back(s.text);
    return out;
  }
};

struct Fixture {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("chatops-dispatcher-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::unique_ptr<ingestion::Journal> journal;
  ScriptedIrc irc;
  static inline int counter = 0;

  Fixture() { open(); }
  ~Fixture() {
    journal.reset();
    std::filesystem::remove_all(dir);
  }
  void open() {
    journal.reset();
    ingestion::JournalOptions options;
    options.path = (dir / "journal.db").string();
    journal = std::move(*ingestion::Journal::open(options));
  }
  void add(const std::string& text, const std::string& topic = "test/event",
           std::chrono::system_clock::time_point arrived = std::chrono::system_clock::now()) {
    ingestion::IngestionEvent e;
    e.source = "test";
    e.family = "webhook";
    e.topic = topic;
    e.time = arrived;
    e.fields = {{"text", text}, {"repo", "org/repo"}};
    REQUIRE(journal->submit_one(e) == ingestion::Submission::Accepted);
  }
  // The event's failed_reason in the journal ("" when none).
  std::string failed_reason(std::int64_t event_id) {
    SQLite::Database db((dir / "journal.db").string());
    SQLite::Statement q(db, "SELECT coalesce(failed_reason, '') FROM events WHERE id = ?");
    q.bind(1, event_id);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getString();
  }
};

// The real planner on config binds, over the scripted IRC side.
struct PlannedBinds {
  bindings::BindTable table;
  Planner planner;
  PlannedBinds(IrcPort& irc, const std::string& binds_yaml) : planner(irc) {
    config::Schema root("root", "");
    root.field("binds", config::Kind::List, "").items(bindings::bind_schema()).fallback("[]");
    auto doc = config::load_string(binds_yaml, "config.yml");
    REQUIRE(doc);
    auto valid = config::validate(root, *doc);
    REQUIRE(valid);
    auto binds = bindings::parse_binds((*valid)["binds"]);
    REQUIRE(binds);
    REQUIRE(bindings::install_binds(table, *binds, planner));
  }
  Dispatcher::Planner planner_fn() {
    return [this](const ingestion::IngestionEvent& e) { return planner.plan(table, e); };
  }
};

inline std::size_t count_containing(const std::vector<std::string>& texts, const std::string& part) {
  return static_cast<std::size_t>(
      std::count_if(texts.begin(), texts.end(), [&](const std::string& t) { return t.find(part) != std::string::npos; }));
}

}  // namespace chatops::bot::testing
