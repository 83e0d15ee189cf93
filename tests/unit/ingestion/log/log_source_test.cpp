// `kind: log` on real files written by the test: the compliance harness, the formats (syslog,
// JSON lines, RE2), match/exclude, malformed lines, rotation by rename and by copytruncate while a
// writer keeps appending (every line journaled exactly once), and hostile input (a 100 MB line,
// a file growing faster than it is read).
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "ingestion/log/log_source.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;
using test::compliance::eventually;
using test::compliance::journaled;

namespace {

void append_log(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

struct LogFixture {
  ingestion::SourceKind kind = log::log_source_kind();
  ingestion::testing::TempDir files;
  std::string path = files.file("app.log");
  ingestion::testing::TempDir journal_dir;
  std::unique_ptr<Journal> journal = ingestion::testing::open_journal(journal_dir.file("j.db"));
  std::unique_ptr<test::compliance::Subject> subject;

  // A log source named s on app.log (or `paths`), started; `extra` adds keys.
  std::unique_ptr<test::compliance::Running> run(const std::string& extra = "", const std::string& paths = "") {
    const std::string start = extra.find("start_at") == std::string::npos ? ", start_at: beginning" : "";
    const std::string config = "{name: s, kind: log, paths: [" + (paths.empty() ? path : paths) + "]" + start +
                               ", check_interval: 50ms" + extra + "}";
    subject = std::make_unique<test::compliance::Subject>(test::compliance::Subject{.kind = kind, .config_yaml = config});
    auto r = std::make_unique<test::compliance::Running>(*subject, *journal, "s");
    r->start();
    return r;
  }
  std::vector<IngestionEvent> events() { return journaled(*journal); }
  bool has(std::size_t n) {
    return eventually([&] { return events().size() >= n; }, 30s);
  }
};

// "n=<number>" lines: how many times each number was journaled.
std::map<long, int> numbered(const std::vector<IngestionEvent>& events) {
  std::map<long, int> counts;
  for (const auto& e : events) {
    const std::string line = e.fields.value("line", "");
    if (line.starts_with("n=")) ++counts[std::stol(line.substr(2))];
  }
  return counts;
}

void check_each_once(const std::map<long, int>& counts, long total) {
  for (long i = 1; i <= total; ++i) {
    INFO("line n=" << i);
    REQUIRE(counts.contains(i));
    REQUIRE(counts.at(i) == 1);
  }
  CHECK(static_cast<long>(counts.size()) == total);
}

}  // namespace

TEST_CASE("log sources on a real file pass the compliance harness", "[log][compliance]") {
  ingestion::testing::TempDir dir;
  const auto path = dir.file("app.log");
  append_log(path, "");
  int next = 0;
  const auto kind = log::log_source_kind();
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: log, paths: [" + path + "], start_at: beginning, check_interval: 50ms}",
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i) append_log(path, "line " + std::to_string(++next) + "\n");
                       }},
      .topic_prefix = "log/compliance/",
  };
  test::compliance::run_compliance(subject);
}

TEST_CASE("plain lines become events log/<source>/line with the line and the file", "[log]") {
  LogFixture f;
  append_log(f.path, "hello world\n");
  auto r = f.run();
  REQUIRE(f.has(1));
  const auto e = f.events().at(0);
  CHECK(e.topic == "log/s/line");
  CHECK(e.family == "log");
  CHECK(e.fields["line"] == "hello world");
  CHECK(e.fields["file"] == f.path);
  CHECK(e.default_template == "[{{_event.source}}] {{line}}");
  CHECK(f.journal->cursor("s").value().has_value());
}

TEST_CASE("syslog lines give their fields and severity, a malformed one is an event saying why", "[log][syslog]") {
  LogFixture f;
  append_log(f.path,
             "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n"
             "<3444>Oct 11 22:14:15 mymachine su: bad priority\n");
  auto r = f.run(", format: syslog");
  REQUIRE(f.has(2));
  const auto events = f.events();
  CHECK(events[0].topic == "log/s/line");
  CHECK(events[0].severity == Severity::Critical);
  CHECK(events[0].fields["host"] == "mymachine");
  CHECK(events[0].fields["app"] == "su");
  CHECK(events[0].fields["facility"] == "auth");
  CHECK(events[1].topic == "log/s/malformed");
  CHECK(events[1].severity == Severity::Warning);
  CHECK_THAT(events[1].fields["error"].get<std::string>(), Catch::Contains("above 191"));
  CHECK(events[1].fields["file"] == f.path);
  CHECK(events[1].fields["offset"] > 0);
}

TEST_CASE("malformed: count journals nothing for a malformed line and counts it", "[log]") {
  LogFixture f;
  append_log(f.path, "{\"ok\": 1}\nnot json\n{\"ok\": 2}\n");
  auto r = f.run(", format: json, malformed: count");
  REQUIRE(f.has(2));
  REQUIRE(eventually([&] { return r->runtime.status().snapshot().failed == 1; }, 30s));
  CHECK(f.events().size() == 2);
  CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("not JSON"));
}

TEST_CASE("JSON lines go through the shared mapping: topic, severity, fields, raw", "[log][json]") {
  LogFixture f;
  append_log(f.path, "{\"event\": \"deploy\", \"level\": \"error\", \"svc\": {\"name\": \"api\"}}\n[1, 2]\n");
  auto r = f.run(", format: json, json: {topic_pointer: /event, topic_prefix: log/s/, severity: /level, "
                 "fields: {service: /svc/name}}");
  REQUIRE(f.has(2));
  const auto events = f.events();
  CHECK(events[0].topic == "log/s/deploy");
  CHECK(events[0].severity == Severity::Error);
  CHECK(events[0].fields["service"] == "api");
  CHECK(events[0].fields["file"] == f.path);
  CHECK(payload_text(events[0]).starts_with("{\"event\""));
  CHECK(events[1].topic == "log/s/malformed");
  CHECK(events[1].fields["error"] == "not a JSON object");
}

TEST_CASE("regex: named groups become fields, a level group the severity", "[log][regex]") {
  LogFixture f;
  append_log(f.path, "2024-05-01 12:00:00 [WARNING] disk almost full\nno match here\n");
  auto r = f.run(", format: regex, pattern: '^(?P<time>\\S+ \\S+) \\[(?P<level>\\w+)\\] (?P<message>.*)$'");
  REQUIRE(f.has(2));
  const auto events = f.events();
  CHECK(events[0].fields["time"] == "2024-05-01 12:00:00");
  CHECK(events[0].fields["message"] == "disk almost full");
  CHECK(events[0].severity == Severity::Warning);
  CHECK(events[1].topic == "log/s/malformed");
  CHECK(events[1].fields["error"] == "does not match the pattern");
}

TEST_CASE("match: names the topic of the lines it finds, the rest is only counted, exclude: drops lines",
          "[log][match]") {
  LogFixture f;
  append_log(f.path, "ERROR db down\nINFO fine\nFailed password for root\nERROR healthcheck\n");
  auto r = f.run(", match: {error: '^ERROR', auth: 'Failed password'}, exclude: [healthcheck]");
  REQUIRE(f.has(2));
  REQUIRE(eventually([&] { return r->runtime.status().snapshot().skipped == 2; }, 30s));
  const auto events = f.events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].topic == "log/s/error");
  CHECK(events[1].topic == "log/s/auth");
}

TEST_CASE("unmatched: event says the lines no match: pattern finds as log/<source>/unmatched", "[log][match]") {
  LogFixture f;
  append_log(f.path, "ERROR db down\nINFO fine\nDEBUG noise\n");
  auto r = f.run(", match: {error: '^ERROR'}, exclude: ['^DEBUG'], unmatched: event");
  REQUIRE(f.has(2));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  const auto events = f.events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].topic == "log/s/error");
  CHECK(events[1].topic == "log/s/unmatched");
  CHECK(events[1].fields["line"] == "INFO fine");
}

TEST_CASE("rate_cap: a flood of matching lines gives the cap's events, then one digest per pattern and file",
          "[log][rate_cap]") {
  LogFixture f;
  std::string flood;
  for (int i = 1; i <= 3005; ++i) flood += "ERROR n=" + std::to_string(i) + "\n";
  flood += "Failed password for root\nINFO fine\n";
  append_log(f.path, flood);
  auto r = f.run(", match: {ERROR: '^ERROR', auth: 'Failed password'}, rate_cap: {lines: 5, per: 1s}, batch_lines: 10000");
  REQUIRE(f.has(7));
  const auto events = f.events();
  REQUIRE(events.size() == 7);
  for (int i = 0; i < 5; ++i) CHECK(events[static_cast<std::size_t>(i)].fields["line"] == "ERROR n=" + std::to_string(i + 1));
  std::map<std::string, IngestionEvent> digests;
  for (std::size_t i = 5; i < 7; ++i) digests[events[i].topic] = events[i];
  REQUIRE(digests.contains("log/s/ERROR"));
  REQUIRE(digests.contains("log/s/auth"));
  CHECK(digests["log/s/ERROR"].fields["count"] == 3000);
  CHECK(digests["log/s/ERROR"].fields["digest"] == true);
  CHECK(digests["log/s/ERROR"].fields["text"] == "… 3,000 more lines matched ERROR in app.log");
  CHECK(digests["log/s/ERROR"].fields["line"] == "ERROR n=3005");
  CHECK(digests["log/s/auth"].fields["text"] == "… 1 more line matched auth in app.log");
  CHECK(digests["log/s/ERROR"].default_template == "[{{_event.source}}] {{text}}");
  // The next window says lines again.
  append_log(f.path, "ERROR later\n");
  REQUIRE(f.has(8));
  CHECK(f.events().at(7).fields["line"] == "ERROR later");
  CHECK(r->runtime.status().snapshot().skipped == 3001 + 1);
}

TEST_CASE("rate_cap: lines counted before a restart are in the digest after it, none lost or twice",
          "[log][rate_cap]") {
  LogFixture f;
  const std::string config = ", match: {error: '^ERROR'}, rate_cap: {lines: 2, per: 2s}";
  append_log(f.path, "ERROR 1\nERROR 2\nERROR 3\nERROR 4\n");
  {
    auto r = f.run(config);
    REQUIRE(f.has(2));
    REQUIRE(eventually([&] {
      const auto cursor = f.journal->cursor("s").value();
      return cursor && cursor->find("\"lines\":2") != std::string::npos;
    }, 5s));
  }
  append_log(f.path, "ERROR 5\n");
  auto r = f.run(config);
  // Said, or counted in a digest: each of the five lines once (ERROR 5 may fall in a new window).
  auto accounted = [&] {
    std::uint64_t n = 0;
    for (const auto& e : f.events()) n += e.fields.contains("digest") ? e.fields["count"].get<std::uint64_t>() : 1;
    return n;
  };
  REQUIRE(eventually([&] { return accounted() >= 5; }, 30s));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  CHECK(accounted() == 5);
  const auto events = f.events();
  REQUIRE(events.size() >= 3);
  CHECK(events[2].fields["digest"] == true);
  CHECK(events[2].fields["count"].get<int>() >= 2);
}

TEST_CASE("configuration errors name the key", "[log][config]") {
  auto error_of = [](const std::string& extra) {
    auto raw = config::load_string("sources:\n  - {name: s, kind: log, paths: [/tmp/x.log]" + extra + "}\n", "c.yml");
    REQUIRE(raw);
    auto v = validate_source((*raw)["sources"].items().at(0), {log::log_source_kind()});
    REQUIRE_FALSE(v);
    return v.error().message;
  };
  CHECK_THAT(error_of(", format: regex"), Catch::Contains("needs a pattern"));
  CHECK_THAT(error_of(", format: regex, pattern: '(unclosed'"), Catch::Contains("c.yml:2:") && Catch::Contains("RE2"));
  CHECK_THAT(error_of(", format: regex, pattern: 'no groups'"), Catch::Contains("named groups"));
  CHECK_THAT(error_of(", pattern: '(?P<a>x)'"), Catch::Contains("goes with format: regex"));
  CHECK_THAT(error_of(", match: {'a b': x}"), Catch::Contains("letters, digits"));
  CHECK_THAT(error_of(", exclude: ['[']"), Catch::Contains("exclude"));
  CHECK_THAT(error_of(", start_at: middle"), Catch::Contains("start_at"));
  CHECK_THAT(error_of(", format: json, json: {topic_pointer: nope}"), Catch::Contains("topic_pointer"));
}

TEST_CASE("start_at: end says only what is written after the first start", "[log]") {
  LogFixture f;
  append_log(f.path, "old 1\nold 2\n");
  auto r = f.run(", start_at: end");
  REQUIRE(eventually([&] { return f.journal->cursor("s").value().has_value(); }, 30s));
  append_log(f.path, "new\n");
  REQUIRE(f.has(1));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  REQUIRE(f.events().size() == 1);
  CHECK(f.events()[0].fields["line"] == "new");
}

TEST_CASE("rotation by rename while lines keep coming: every line exactly once, the old file's rest first",
          "[log][rotation]") {
  LogFixture f;
  auto r = f.run(", rotate_wait: 1s");
  std::atomic<long> written{0};
  std::atomic<bool> writing{true};
  std::jthread writer([&](std::stop_token stop) {
    std::ofstream out(f.path, std::ios::app);
    while (writing && !stop.stop_requested()) {
      if (!std::filesystem::exists(f.path)) out = std::ofstream(f.path, std::ios::app);  // reopen after rotation
      for (int i = 0; i < 50; ++i) out << "n=" << ++written << "\n";
      out.flush();
      std::this_thread::sleep_for(2ms);  // pace: about 20,000 lines a second
    }
  });
  for (int rotation = 1; rotation <= 5; ++rotation) {
    std::this_thread::sleep_for(150ms);
    std::filesystem::rename(f.path, f.files.file("app.log." + std::to_string(rotation)));  // the writer goes on in it
  }
  std::this_thread::sleep_for(150ms);
  writing = false;
  writer.join();
  const long total = written;
  eventually([&] { return static_cast<long>(numbered(f.events()).size()) >= total; }, 30s);
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  check_each_once(numbered(f.events()), total);
}

TEST_CASE("copytruncate while lines keep coming, the copies matched too: every line exactly once",
          "[log][rotation]") {
  LogFixture f;
  auto r = f.run(", rotate_wait: 1s", f.files.file("app.log*"));
  std::mutex writer_lock;  // copytruncate's copy and truncation happen between two lines
  std::atomic<long> written{0};
  std::atomic<bool> writing{true};
  std::jthread writer([&](std::stop_token stop) {
    while (writing && !stop.stop_requested()) {
      {
        std::lock_guard lock(writer_lock);
        std::ofstream out(f.path, std::ios::app);
        for (int i = 0; i < 20; ++i) out << "n=" << ++written << " padding so that the first bytes are a fingerprint\n";
      }
      std::this_thread::sleep_for(1ms);  // pace: about 20,000 lines a second
    }
  });
  for (int rotation = 1; rotation <= 5; ++rotation) {
    std::this_thread::sleep_for(150ms);
    std::lock_guard lock(writer_lock);
    std::filesystem::copy_file(f.path, f.files.file("app.log." + std::to_string(rotation)));
    std::filesystem::resize_file(f.path, 0);
  }
  std::this_thread::sleep_for(150ms);
  writing = false;
  writer.join();
  const long total = written;
  eventually([&] { return static_cast<long>(numbered(f.events()).size()) >= total; }, 30s);
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  check_each_once(numbered(f.events()), total);
}

TEST_CASE("a deleted file's rest is said, a file created again at its path is read from its start", "[log]") {
  LogFixture f;
  append_log(f.path, "n=1\n");
  auto r = f.run(", rotate_wait: 0s");
  REQUIRE(f.has(1));
  append_log(f.path, "n=2\n");
  std::filesystem::remove(f.path);
  append_log(f.path, "n=3\n");
  REQUIRE(f.has(3));
  std::this_thread::sleep_for(200ms);  // absence: nothing more comes
  check_each_once(numbered(f.events()), 3);
}

TEST_CASE("hostile: a 100 MB line is cut, memory stays bounded, the next line is said", "[log][hostile]") {
  LogFixture f;
  {
    std::ofstream out(f.path, std::ios::binary);
    const std::string chunk(1 << 20, 'A');
    for (int i = 0; i < 100; ++i) out << chunk;
    out << "\nn=1\n";
  }
  auto r = f.run(", max_line_bytes: 1KiB");
  REQUIRE(eventually([&] { return f.events().size() >= 2; }, 60s));
  const auto events = f.events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].fields["line"].get<std::string>().size() == 1024);
  CHECK(events[0].fields["cut"] == true);
  CHECK(events[1].fields["line"] == "n=1");
}

TEST_CASE("hostile: a file growing faster than it is read is read in bounded batches, each line once",
          "[log][hostile]") {
  LogFixture f;
  auto r = f.run(", batch_lines: 100");
  std::atomic<long> written{0};
  std::jthread writer([&](std::stop_token stop) {
    std::ofstream out(f.path, std::ios::app);
    while (written < 50000 && !stop.stop_requested()) out << "n=" << ++written << "\n";
  });
  writer.join();
  const long total = written;
  REQUIRE(eventually([&] { return static_cast<long>(numbered(f.events()).size()) >= total; }, 60s));
  check_each_once(numbered(f.events()), total);
}

TEST_CASE("binary garbage lines are said as text, never break the source", "[log][hostile]") {
  LogFixture f;
  append_log(f.path, std::string("\0\xff\xfe\x01\r\x1b[31m\n<34>1 x\n\xc3\x28\n", 22));
  auto r = f.run(", format: syslog");
  REQUIRE(f.has(3));
  for (const auto& e : f.events()) CHECK(e.topic == "log/s/malformed");
  CHECK(r->runtime.status().state() == SourceState::Running);
}

TEST_CASE("multiline: a stack trace is one event, the last record is said after the timeout", "[log][multiline]") {
  LogFixture f;
  append_log(f.path,
             "2024-05-01 12:00:00 ERROR boom\n"
             "java.lang.IllegalStateException: bad\n"
             "\tat a.B.c(B.java:1)\n"
             "2024-05-01 12:00:01 INFO next\n");
  auto r = f.run(", multiline: {start: '^\\d{4}-\\d{2}-\\d{2} ', timeout: 200ms}");
  REQUIRE(f.has(2));
  const auto events = f.events();
  CHECK(events[0].fields["line"] ==
        "2024-05-01 12:00:00 ERROR boom\njava.lang.IllegalStateException: bad\n\tat a.B.c(B.java:1)");
  CHECK(events[1].fields["line"] == "2024-05-01 12:00:01 INFO next");
}

TEST_CASE("multiline: a record under way at a stop is read again whole at the restart, said once",
          "[log][multiline]") {
  LogFixture f;
  const std::string config = ", multiline: {start: '^REC', timeout: 1h}";
  append_log(f.path, "REC 1\n  a\n");
  {
    auto r = f.run(config);
    REQUIRE(eventually([&] { return f.journal->cursor("s").value().has_value(); }, 30s));
    CHECK(f.events().empty());
  }
  append_log(f.path, "  b\nREC 2\n");
  auto r = f.run(config);
  REQUIRE(f.has(1));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  const auto events = f.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].fields["line"] == "REC 1\n  a\n  b");
  CHECK_FALSE(events[0].fields.contains("cut"));
}

TEST_CASE("multiline: continuation lines, and a record cut at max_lines", "[log][multiline]") {
  LogFixture f;
  append_log(f.path, "first\n cont 1\n cont 2\n cont 3\nsecond\n");
  auto r = f.run(", multiline: {continuation: '^\\s', timeout: 100ms, max_lines: 3}");
  REQUIRE(f.has(2));
  const auto events = f.events();
  CHECK(events[0].fields["line"] == "first\n cont 1\n cont 2");
  CHECK(events[0].fields["cut"] == true);
  CHECK(events[1].fields["line"] == "second");
}

TEST_CASE("multiline: exactly one of start and continuation", "[log][multiline][config]") {
  auto raw = config::load_string(
      "sources:\n  - {name: s, kind: log, paths: [/tmp/x.log], multiline: {start: a, continuation: b}}\n", "c.yml");
  REQUIRE(raw);
  auto v = validate_source((*raw)["sources"].items().at(0), {log::log_source_kind()});
  REQUIRE_FALSE(v);
  CHECK_THAT(v.error().message, Catch::Contains("exactly one of start, continuation"));
}
