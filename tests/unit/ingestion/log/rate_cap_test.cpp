// The rate cap on its own: the window, the counts per pattern and file, the digests' text and
// fields, and its state saved and restored (as the checkpoint carries it across a restart).
#include <catch2/catch.hpp>

#include "ingestion/log/rate_cap.hpp"

using namespace chatops::ingestion;
using namespace chatops::ingestion::log;
using namespace std::chrono_literals;

namespace {

IngestionEvent rate_cap_line(const std::string& text, Severity severity = Severity::Info) {
  IngestionEvent e;
  e.severity = severity;
  e.fields = {{"line", text}};
  return e;
}

}  // namespace

TEST_CASE("rate cap: digest lines say the count with separators, the pattern and the file's name", "[log][rate_cap]") {
  CHECK(digest_text(3000, "ERROR", "/var/log/app.log") == "… 3,000 more lines matched ERROR in app.log");
  CHECK(digest_text(1, "error", "/var/log/app.log") == "… 1 more line matched error in app.log");
  CHECK(digest_text(1234567, "line", "/x/y.log") == "… 1,234,567 more lines in y.log");
  CHECK(digest_text(12, "malformed", "/x/y.log") == "… 12 more malformed lines in y.log");
  CHECK(digest_text(2, "unmatched", "/x/y.log") == "… 2 more unmatched lines in y.log");
  CHECK(digest_text(5, "error", "tcp://10.0.0.5") == "… 5 more lines matched error from 10.0.0.5");
}

TEST_CASE("rate cap: beyond the cap lines are counted per pattern and file, digested when the window ends",
          "[log][rate_cap]") {
  RateCap cap({.lines = 2, .per = 10s});
  const RateCap::Clock::time_point t0{std::chrono::hours(1000)};
  CHECK(cap.admit("error", "/a.log", rate_cap_line("e1"), t0));
  CHECK(cap.admit("error", "/a.log", rate_cap_line("e2"), t0 + 1s));
  CHECK_FALSE(cap.next_deadline());
  CHECK_FALSE(cap.admit("error", "/a.log", rate_cap_line("e3", Severity::Critical), t0 + 2s));
  CHECK_FALSE(cap.admit("error", "/a.log", rate_cap_line("e4"), t0 + 3s));
  CHECK_FALSE(cap.admit("auth", "/b.log", rate_cap_line("a1"), t0 + 3s));
  REQUIRE(cap.next_deadline() == t0 + 10s);
  CHECK(cap.due(t0 + 9s, "log/s/").empty());
  const auto digests = cap.due(t0 + 10s, "log/s/");
  REQUIRE(digests.size() == 2);
  CHECK(digests[0].topic == "log/s/auth");
  CHECK(digests[0].fields["count"] == 1);
  CHECK(digests[1].topic == "log/s/error");
  CHECK(digests[1].fields["count"] == 2);
  CHECK(digests[1].fields["digest"] == true);
  CHECK(digests[1].fields["file"] == "/a.log");
  CHECK(digests[1].fields["line"] == "e4");
  CHECK(digests[1].fields["text"] == "… 2 more lines matched error in a.log");
  CHECK(digests[1].severity == Severity::Critical);
  CHECK(cap.due(t0 + 11s, "log/s/").empty());
  // A new window begins with the next line.
  CHECK(cap.admit("error", "/a.log", rate_cap_line("e5"), t0 + 20s));
}

TEST_CASE("rate cap: the window and its counts survive a save and restore", "[log][rate_cap]") {
  const RateCap::Clock::time_point t0{std::chrono::hours(1000)};
  RateCap before({.lines = 1, .per = 10s});
  CHECK(before.admit("error", "/a.log", rate_cap_line("e1"), t0));
  CHECK_FALSE(before.admit("error", "/a.log", rate_cap_line("e2", Severity::Error), t0 + 1s));
  RateCap after({.lines = 1, .per = 10s});
  after.restore(before.state());
  CHECK_FALSE(after.admit("error", "/a.log", rate_cap_line("e3"), t0 + 2s));
  const auto digests = after.due(t0 + 10s, "log/s/");
  REQUIRE(digests.size() == 1);
  CHECK(digests[0].fields["count"] == 2);
  CHECK(digests[0].severity == Severity::Error);
  RateCap damaged({.lines = 1, .per = 10s});
  damaged.restore(nlohmann::json::parse(R"({"counts": [1, {"lines": "x"}], "window_ms": "no"})"));
  CHECK(damaged.admit("error", "/a.log", rate_cap_line("e1"), t0));
}
