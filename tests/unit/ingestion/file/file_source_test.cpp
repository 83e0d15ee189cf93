// `kind: file` on real files in temp dirs, written by the test: the compliance harness, each
// format, created/modified/deleted and silent touches, files still being written, restarts (what
// changed while stopped is said, nothing else), recursion into new directories, a deleted watched
// directory, and hostile input (malformed files, a huge file, 10,000 files at once, a writer that
// never finishes).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "ingestion/file/file_source.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace std::chrono_literals;
using test::compliance::eventually;
using test::compliance::journaled;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

struct FileFixture {
  ingestion::SourceKind kind = file::file_source_kind();
  ingestion::testing::TempDir files;
  std::string dir = files.file("drop");
  ingestion::testing::TempDir journal_dir;
  std::unique_ptr<Journal> journal = ingestion::testing::open_journal(journal_dir.file("j.db"));
  std::unique_ptr<test::compliance::Subject> subject;

  FileFixture() { std::filesystem::create_directories(dir); }

  // A file source named s on drop/*.* (or `paths`), started; `extra` adds keys.
  std::unique_ptr<test::compliance::Running> run(const std::string& extra = "", const std::string& paths = "") {
    const std::string settle = extra.find("settle:") == std::string::npos ? ", settle: 100ms" : "";
    const std::string rescan = extra.find("rescan_interval:") == std::string::npos ? ", rescan_interval: 200ms" : "";
    const std::string config = "{name: s, kind: file, paths: [\"" + (paths.empty() ? dir + "/*.*" : paths) + "\"]" +
                               settle + rescan + extra + "}";
    subject = std::make_unique<test::compliance::Subject>(test::compliance::Subject{.kind = kind, .config_yaml = config});
    auto r = std::make_unique<test::compliance::Running>(*subject, *journal, "s");
    r->start();
    return r;
  }
  std::vector<IngestionEvent> events() { return journaled(*journal); }
  bool has(std::size_t n, std::chrono::milliseconds timeout = 30s) {
    return eventually([&] { return events().size() >= n; }, timeout);
  }
  // Started, and its first scan committed.
  bool ready() {
    return eventually([&] { return journal->cursor("s").value().has_value(); }, 30s);
  }
  std::vector<std::string> topics() {
    std::vector<std::string> out;
    for (const auto& e : events()) out.push_back(e.topic);
    return out;
  }
};

}  // namespace

TEST_CASE("file sources on real files pass the compliance harness", "[file][compliance]") {
  ingestion::testing::TempDir dir;
  int next = 0;
  const auto kind = file::file_source_kind();
  test::compliance::Subject subject{
      .kind = kind,
      .config_yaml = "{name: compliance, kind: file, paths: [\"" + dir.file("*.json") +
                     "\"], initial_scan: true, settle: 100ms, rescan_interval: 200ms}",
      .upstream = {.produce =
                       [&](int n) {
                         for (int i = 0; i < n; ++i) {
                           ++next;
                           write_file(dir.file("f" + std::to_string(next) + ".json"),
                                      "{\"n\": " + std::to_string(next) + "}");
                         }
                       }},
      .topic_prefix = "file/compliance/",
  };
  test::compliance::run_compliance(subject);
}

TEST_CASE("a JSON file dropped in is file/<source>/created with its path, size, time and content", "[file]") {
  FileFixture f;
  auto r = f.run(", fields: {svc: /service/name}, severity: /level");
  REQUIRE(f.ready());
  const auto path = f.dir + "/deploy.json";
  const std::string text = R"({"service": {"name": "api"}, "version": "1.4.2", "level": "warning"})";
  write_file(path, text);
  REQUIRE(f.has(1));
  const auto e = f.events().at(0);
  CHECK(e.topic == "file/s/created");
  CHECK(e.family == "file");
  CHECK(e.severity == Severity::Warning);
  CHECK(e.fields["path"] == path);
  CHECK(e.fields["file"] == "deploy.json");
  CHECK(e.fields["change"] == "created");
  CHECK(e.fields["size"] == text.size());
  CHECK(e.fields["mtime"].get<std::string>().ends_with("Z"));
  CHECK(e.fields["svc"] == "api");
  CHECK(e.fields["version"] == "1.4.2");
  CHECK(e.fields["content"]["service"]["name"] == "api");
  CHECK(payload_text(e) == text);
  CHECK(e.default_template == "[{{_event.source}}] {{path}} {{change}} ({{size}} bytes)");
}

TEST_CASE("modified and deleted files are said, a touch or the same content rewritten is not", "[file]") {
  FileFixture f;
  auto r = f.run();
  REQUIRE(f.ready());
  const auto path = f.dir + "/app.yaml";
  write_file(path, "replicas: 2\n");
  REQUIRE(f.has(1));
  std::this_thread::sleep_for(50ms);  // a later modification time
  write_file(path, "replicas: 2\n");  // the same content
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now());
  write_file(path, "replicas: 3\n");
  REQUIRE(f.has(2));
  std::filesystem::remove(path);
  REQUIRE(f.has(3));
  std::this_thread::sleep_for(500ms);  // two rescans: nothing more
  CHECK(f.topics() == std::vector<std::string>{"file/s/created", "file/s/modified", "file/s/deleted"});
  const auto events = f.events();
  CHECK(events[1].fields["content"]["replicas"] == 3);
  CHECK(events[2].fields["path"] == path);
  CHECK(f.journal->list_state("source/s").value().empty());
}

TEST_CASE("CSV rows, XML and plain text files give their content", "[file]") {
  FileFixture f;
  auto r = f.run();
  REQUIRE(f.ready());
  write_file(f.dir + "/hosts.csv", "host,role\nweb1,\"front, main\"\ndb1,\"data\nbase\"\n");
  REQUIRE(f.has(2));
  write_file(f.dir + "/deploy.xml", "<deploy env=\"prod\"><host>a</host><host>b</host></deploy>");
  REQUIRE(f.has(3));
  write_file(f.dir + "/notes.txt", "hello\n");
  REQUIRE(f.has(4));
  const auto events = f.events();
  CHECK(events[0].fields["content"] == nlohmann::json{{"host", "web1"}, {"role", "front, main"}});
  CHECK(events[0].fields["row"] == 1);
  CHECK(events[0].fields["rows"] == 2);
  CHECK(events[1].fields["role"] == "data\nbase");
  CHECK(events[2].fields["content"]["deploy"]["host"] == nlohmann::json{"a", "b"});
  CHECK(events[2].fields["content"]["deploy"]["@env"] == "prod");
  CHECK(events[3].fields["content"] == "hello\n");
}

TEST_CASE("csv_events: file gives one event with every row, format: forces a format", "[file]") {
  FileFixture f;
  auto r = f.run(", csv_events: file, format: csv", f.dir + "/*.data");
  REQUIRE(f.ready());
  write_file(f.dir + "/hosts.data", "host\nweb1\nweb2\n");
  REQUIRE(f.has(1));
  std::this_thread::sleep_for(300ms);  // absence: nothing more comes
  REQUIRE(f.events().size() == 1);
  CHECK(f.events()[0].fields["content"] == nlohmann::json::parse(R"([{"host": "web1"}, {"host": "web2"}])"));
}

TEST_CASE("a malformed file is an error event naming the file and the line, and the source goes on", "[file][hostile]") {
  FileFixture f;
  auto r = f.run();
  REQUIRE(f.ready());
  write_file(f.dir + "/bad.json", "{\n  \"a\": 1,\n  oops\n}\n");
  write_file(f.dir + "/bad.csv", "a,b\n1,2\n3\n");
  write_file(f.dir + "/bad.xml", "<a>\n<b></a>\n");
  write_file(f.dir + "/bad.yaml", "a: [1,\n");
  REQUIRE(f.has(4));
  for (const auto& e : f.events()) {
    INFO(e.fields.dump());
    CHECK(e.topic == "file/s/error");
    CHECK(e.severity == Severity::Warning);
    CHECK(e.fields["line"] > 0);
    CHECK_FALSE(e.fields["error"].get<std::string>().empty());
  }
  write_file(f.dir + "/good.json", "{}");
  REQUIRE(f.has(5));
  CHECK(f.events().back().topic == "file/s/created");
  CHECK(r->runtime.status().snapshot().state == SourceState::Running);
}

TEST_CASE("a file above max_file_size is an error event with its size, never read", "[file][hostile]") {
  FileFixture f;
  auto r = f.run(", max_file_size: 1MiB");
  REQUIRE(f.ready());
  const auto path = f.dir + "/huge.json";
  {
    std::ofstream(path).close();
    std::filesystem::resize_file(path, 4ull << 30);  // 4 GiB, sparse
  }
  REQUIRE(f.has(1));
  const auto e = f.events().at(0);
  CHECK(e.topic == "file/s/error");
  CHECK_THAT(e.fields["error"].get<std::string>(), Catch::Contains("4294967296 bytes, more than max_file_size"));
  std::this_thread::sleep_for(500ms);  // absence: nothing more comes
  CHECK(f.events().size() == 1);  // not again at each rescan
}

TEST_CASE("a file still being written is read once its writer closes it, not before", "[file]") {
  FileFixture f;
  auto r = f.run(", settle: 2s");
  REQUIRE(f.ready());
  const auto path = f.dir + "/slow.json";
  {
    std::ofstream out(path);
    out << "{\"parts\": [";
    for (int i = 0; i < 10; ++i) {
      out << (i ? ", " : "") << i << std::flush;
      std::this_thread::sleep_for(100ms);
    }
    CHECK(f.events().empty());
    out << "]}";
  }
  REQUIRE(f.has(1));
  CHECK(f.events().at(0).fields["content"]["parts"].size() == 10);
}

TEST_CASE("a writer that never closes its file and never stops writing is never read half-way", "[file][hostile]") {
  FileFixture f;
  auto r = f.run(", settle: 1s");  // far above the writer's pauses, also on a loaded machine
  REQUIRE(f.ready());
  const auto path = f.dir + "/endless.txt";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  for (auto end = std::chrono::steady_clock::now() + 1500ms; std::chrono::steady_clock::now() < end;) {
    REQUIRE(::write(fd, "more\n", 5) == 5);
    std::this_thread::sleep_for(50ms);
  }
  CHECK(f.events().empty());
  ::close(fd);
  REQUIRE(f.has(1));
  CHECK(f.events().at(0).fields["size"].get<std::size_t>() >= 5 * 10);
}

TEST_CASE("unchanged for settle, a file its writer keeps open is read", "[file]") {
  FileFixture f;
  auto r = f.run(", settle: 300ms");
  REQUIRE(f.ready());
  const auto path = f.dir + "/open.txt";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(::write(fd, "done\n", 5) == 5);
  REQUIRE(f.has(1));
  ::close(fd);
  std::this_thread::sleep_for(500ms);  // absence: nothing more comes
  CHECK(f.events().size() == 1);  // closing it without a change says nothing more
}

TEST_CASE("a restart says what changed while the source was stopped, and nothing else", "[file]") {
  FileFixture f;
  write_file(f.dir + "/kept.json", "{\"v\": 1}");
  write_file(f.dir + "/changed.json", "{\"v\": 1}");
  write_file(f.dir + "/removed.json", "{\"v\": 1}");
  write_file(f.dir + "/touched.json", "{\"v\": 1}");
  {
    auto first = f.run();
    REQUIRE(f.ready());  // the first start notes them without saying them (initial_scan: false)
    REQUIRE(eventually([&] { return f.journal->list_state("source/s").value().size() == 4; }, 30s));
  }
  CHECK(f.events().empty());
  std::this_thread::sleep_for(20ms);
  write_file(f.dir + "/changed.json", "{\"v\": 2}");
  std::filesystem::remove(f.dir + "/removed.json");
  write_file(f.dir + "/touched.json", "{\"v\": 1}");
  write_file(f.dir + "/new.json", "{\"v\": 1}");
  auto second = f.run();
  REQUIRE(f.has(3));
  std::this_thread::sleep_for(500ms);  // absence: nothing more comes
  std::map<std::string, std::string> said;
  for (const auto& e : f.events()) said[e.fields["file"].get<std::string>()] = e.fields["change"].get<std::string>();
  CHECK(said == std::map<std::string, std::string>{
                    {"changed.json", "modified"}, {"removed.json", "deleted"}, {"new.json", "created"}});
}

TEST_CASE("initial_scan: true says the files there at the first start", "[file]") {
  FileFixture f;
  write_file(f.dir + "/a.json", "{}");
  write_file(f.dir + "/b.json", "{}");
  auto r = f.run(", initial_scan: true");
  REQUIRE(f.has(2));
  CHECK(f.topics() == std::vector<std::string>{"file/s/created", "file/s/created"});
}

TEST_CASE("** follows new subdirectories, and a deleted watched directory says its files deleted", "[file]") {
  FileFixture f;
  auto r = f.run("", f.dir + "/**/*.json");
  REQUIRE(f.ready());
  write_file(f.dir + "/a/b/c/deep.json", "{\"d\": 1}");
  REQUIRE(f.has(1));
  write_file(f.dir + "/a/b/c/d/deeper.json", "{\"d\": 2}");  // a directory made after the watch began
  write_file(f.dir + "/a/b/c/d/deeper.json", "{\"d\": 2}");
  REQUIRE(f.has(2));
  CHECK(f.events()[1].fields["path"] == f.dir + "/a/b/c/d/deeper.json");
  std::filesystem::remove_all(f.dir + "/a/b");
  REQUIRE(f.has(4));
  CHECK(f.topics() ==
        std::vector<std::string>{"file/s/created", "file/s/created", "file/s/deleted", "file/s/deleted"});
  write_file(f.dir + "/a/b/again.json", "{}");
  REQUIRE(f.has(5));
  CHECK(f.events()[4].fields["file"] == "again.json");
}

TEST_CASE("10,000 files dropped at once are each said once, also when inotify's queue overflows", "[file][hostile]") {
  FileFixture f;
  auto r = f.run(", rescan_interval: 1h");  // only the overflow can make it look at everything
  REQUIRE(f.ready());
  // Paused, the source reads no inotify event: 10,000 files (created, written, closed: 30,000
  // events) overflow the kernel's queue (fs.inotify.max_queued_events, 16,384 by default).
  r->runtime.set_paused(true);
  std::this_thread::sleep_for(600ms);  // a receive under way has returned
  constexpr int kFiles = 10000;
  for (int i = 0; i < kFiles; ++i) write_file(f.dir + "/f" + std::to_string(i) + ".json", "{\"i\": " + std::to_string(i) + "}");
  r->runtime.set_paused(false);
  REQUIRE(f.has(kFiles, 120s));
  std::this_thread::sleep_for(1s);  // nothing more
  std::map<std::string, int> per_path;
  for (const auto& e : f.events()) ++per_path[e.fields["path"].get<std::string>()];
  CHECK(per_path.size() == kFiles);
  CHECK(std::ranges::all_of(per_path, [](const auto& p) { return p.second == 1; }));
}

TEST_CASE("max_files bounds what is watched and says so in the status", "[file][hostile]") {
  FileFixture f;
  for (int i = 0; i < 20; ++i) write_file(f.dir + "/f" + std::to_string(i) + ".json", "{}");
  auto r = f.run(", initial_scan: true, max_files: 5");
  REQUIRE(f.has(5));
  std::this_thread::sleep_for(500ms);  // absence: nothing more comes
  CHECK(f.events().size() == 5);
  CHECK_THAT(r->runtime.status().snapshot().last_error, Catch::Contains("max_files"));
}

TEST_CASE("file source configuration errors name the key", "[file]") {
  const auto kind = file::file_source_kind();
  const auto invalid = [&](const std::string& yaml) {
    auto raw = config::load_string("sources:\n  - " + yaml + "\n", "c.yml");
    REQUIRE(raw);
    auto v = validate_source((*raw)["sources"].items().at(0), {kind});
    REQUIRE_FALSE(v);
    return v.error().message;
  };
  CHECK_THAT(invalid("{name: s, kind: file, paths: [\"/a/b**\"]}"), Catch::Contains("whole path component"));
  CHECK_THAT(invalid("{name: s, kind: file, paths: []}"), Catch::Contains("at least one"));
  CHECK_THAT(invalid("{name: s, kind: file, paths: [/a], csv_delimiter: ';;'}"), Catch::Contains("one character"));
  CHECK_THAT(invalid("{name: s, kind: file, paths: [/a], format: ini}"), Catch::Contains("format"));
  CHECK_THAT(invalid("{name: s, kind: file, paths: [/a], fields: {x: nope}}"), Catch::Contains("JSON pointer"));
}
