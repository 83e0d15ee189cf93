#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "ingestion/manager.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;

namespace {
// A source kind for tests: `fail_starts: N` makes the first N starts fail; `fail_after_start`
// makes a running source report Failed once.
struct Script {
  std::atomic<int> starts{0}, stops{0};
};

class ScriptedSource final : public IngestionSource {
 public:
  ScriptedSource(std::string name, int fail_starts, bool fail_after_start, Script& script)
      : name_(std::move(name)), fail_starts_(fail_starts), fail_after_start_(fail_after_start), script_(script) {}
  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "scripted"; }
  Result<void> start(EventSink& sink) override {
    const int n = ++script_.starts;
    if (n <= fail_starts_) return fail("upstream unreachable (start " + std::to_string(n) + ")");
    IngestionEvent e;
    e.source = name_;
    e.topic = "test/started";
    sink.submit_one(e);
    counters_.set_state(n == fail_starts_ + 1 && fail_after_start_ ? SourceState::Failed : SourceState::Running);
    return {};
  }
  void stop() override {
    ++script_.stops;
    counters_.set_state(SourceState::Stopped);
  }
  IngestionStatus status() const override { return counters_.snapshot(); }

 private:
  std::string name_;
  int fail_starts_;
  bool fail_after_start_;
  Script& script_;
  StatusCounters counters_;
};

class CountingSink final : public EventSink {
 public:
  std::atomic<int> events{0};
  std::string kind_seen;
  void submit(EventBatch batch, Completion done) override {
    for (const auto& e : batch.events) kind_seen = e.family;
    events += static_cast<int>(batch.events.size());
    done({std::vector<Submission>(batch.events.size(), Submission::Accepted),
          std::vector<std::int64_t>(batch.events.size(), 0), ""});
  }
};

std::vector<SourceKind> scripted_kind(Script& script) {
  config::Schema schema = common_source_schema();
  schema.field("fail_starts", config::Kind::Integer, "Starts that fail first.").fallback("0");
  schema.field("fail_after_start", config::Kind::Boolean, "Report Failed after the first good start.").fallback("false");
  SourceKind k;
  k.name = "scripted";
  k.doc = "For tests.";
  k.validate = [schema](const config::Node& raw) { return config::validate(schema, raw); };
  k.make = [&script](const config::Node& v, SourceContext&) -> Result<std::unique_ptr<IngestionSource>> {
    return std::make_unique<ScriptedSource>(v.str("name"), static_cast<int>(v.integer("fail_starts")),
                                            v.boolean("fail_after_start"), script);
  };
  k.schemas = [schema] { return std::vector<config::Schema>{schema}; };
  return {k};
}

config::Node sources(const std::string& yaml) { return (*config::load_string("sources:\n" + yaml, "test.yml"))["sources"]; }

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}
}  // namespace

TEST_CASE("a source that fails to start is retried with backoff until it runs", "[manager]") {
  Script script;
  auto kinds = scripted_kind(script);
  CountingSink sink;
  IngestionManager manager(sink, {}, kinds);
  REQUIRE(manager.configure(sources("  - {name: flaky, kind: scripted, fail_starts: 2}\n")));
  manager.start();
  REQUIRE(eventually([&] { return manager.all_running(); }));
  REQUIRE(script.starts == 3);
  REQUIRE(sink.events == 1);
  REQUIRE(sink.kind_seen == "scripted");  // filled in by the manager
  manager.stop();
  REQUIRE(script.stops == 1);
}

TEST_CASE("a running source that fails is stopped and restarted", "[manager]") {
  Script script;
  auto kinds = scripted_kind(script);
  CountingSink sink;
  IngestionManager manager(sink, {}, kinds);
  REQUIRE(manager.configure(sources("  - {name: wobbly, kind: scripted, fail_after_start: true}\n")));
  manager.start();
  REQUIRE(eventually([&] { return script.starts == 2 && manager.all_running(); }));
  REQUIRE(manager.reports().at(0).restarts == 1);
  REQUIRE(manager.reports().at(0).accepted == 2);
  manager.stop();
}

TEST_CASE("every source problem is reported with its position", "[manager]") {
  Script script;
  auto kinds = scripted_kind(script);
  CountingSink sink;
  IngestionManager manager(sink, {}, kinds);
  auto configured = manager.configure(sources("  - {name: a, kind: scripted}\n"
                                              "  - {name: a, kind: scripted}\n"
                                              "  - {name: b, kind: telepathy}\n"
                                              "  - {name: c, kind: scripted, fail_starts: lots}\n"));
  REQUIRE_FALSE(configured);
  const auto& m = configured.error().message;
  INFO(m);
  CHECK(m.find("test.yml:3:") != std::string::npos);
  CHECK(m.find("sources[1].name: duplicate source name 'a'") != std::string::npos);
  CHECK(m.find("test.yml:4:") != std::string::npos);
  CHECK(m.find("unknown source kind 'telepathy' (known: scripted)") != std::string::npos);
  CHECK(m.find("test.yml:5:") != std::string::npos);
}
