// Program handlers: argv without a shell, the input on standard input, output lines within a cap,
// the timeout, the process group, the scrubbed environment; and the pool that runs them.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "bindings/handlers/handler.hpp"
#include "bindings/handlers/program_pool.hpp"
#include "tests/integration/support/process.hpp"

using namespace chatops::bindings::handlers;
using namespace std::chrono_literals;

namespace {

ProgramResult program_run(std::vector<std::string> argv, const std::string& input = "",
                          std::chrono::milliseconds timeout = 10s, std::size_t max_output = 64u << 10) {
  auto path = resolve_program(argv.front());
  REQUIRE(path);
  argv.front() = *path;
  auto result = run_program(ProgramSpec{.argv = argv, .env = {}, .timeout = timeout, .max_output = max_output}, input);
  INFO((result ? "" : result.error().message));
  REQUIRE(result);
  return *result;
}

// Whether the process is gone (or a zombie nobody reaped: it runs no more).
bool program_process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto state = line.substr(line.rfind(')') + 2, 1);
  return state == "Z" || state == "X";
}

}  // namespace

TEST_CASE("A program's standard output lines come back, and the input is on its standard input", "[program]") {
  auto result = program_run({"cat"}, "{\"nick\":\"alice\"}\nsecond line\n");
  CHECK(result.failure.empty());
  CHECK(result.lines == std::vector<std::string>{"{\"nick\":\"alice\"}", "second line"});
  CHECK(program_run({"printf", "no newline at the end"}).lines == std::vector<std::string>{"no newline at the end"});
}

TEST_CASE("A program's argv is passed as is, never through a shell", "[program]") {
  auto result = program_run({"echo", "$(id)", ";", "rm -rf /", "`uname`"});
  CHECK(result.lines == std::vector<std::string>{"$(id) ; rm -rf / `uname`"});
}

TEST_CASE("A failing program reports its exit status and the last line of its standard error", "[program]") {
  auto result = program_run({"sh", "-c", "echo partial; echo 'first' >&2; echo 'database is down' >&2; exit 3"});
  CHECK(result.lines == std::vector<std::string>{"partial"});
  CHECK(result.failure == "exited with status 3: database is down");
  CHECK(program_run({"sh", "-c", "kill -TERM $$"}).failure == "killed by signal 15");
}

TEST_CASE("A program that never exits is killed at its timeout", "[program][hostile]") {
  const auto started = std::chrono::steady_clock::now();
  auto result = program_run({"sh", "-c", "echo started; exec sleep 300"}, "", 300ms);
  CHECK(result.failure == "stopped after the 300 ms timeout");
  CHECK(result.lines == std::vector<std::string>{"started"});
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("A program flooding its standard output is stopped at the output cap", "[program][hostile]") {
  const auto started = std::chrono::steady_clock::now();
  auto result = program_run({"yes", "flood"}, "", 30s, 4096);
  CHECK(result.failure == "stopped: its output passed 4096 bytes");
  CHECK(result.lines.size() <= 4096 / 6 + 1);
  CHECK(result.lines.front() == "flood");
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE("Children a program forks are killed with it and do not hold the handler", "[program][hostile]") {
  const auto started = std::chrono::steady_clock::now();
  // The children keep the output pipe open: waiting for its end would wait for them.
  auto result = program_run({"sh", "-c", "sleep 300 & echo $!; sleep 300 & echo $!; echo forked"}, "", 30s);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  REQUIRE(result.lines.size() == 3);
  CHECK(result.failure.empty());
  for (std::size_t i = 0; i < 2; ++i) {
    const pid_t child = std::stoi(result.lines[i]);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!program_process_gone(child) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    CHECK(program_process_gone(child));
  }
}

TEST_CASE("CR, LF, NUL and IRC formatting a program writes are said inert, one line per line", "[program][hostile]") {
  auto result = program_run({"printf", "ok\\r\\nQUIT :owned\\r\\nPRIVMSG #ops :a\\rJOIN #x\\000NUL\\n\\002bold\\00304red\\n\\n"});
  CHECK(result.lines.size() == 5);
  CHECK(said_text(result.lines) == "ok\nQUIT :owned\nPRIVMSG #ops :a JOIN #x\nboldred");
}

TEST_CASE("A program runs with a scrubbed environment: PATH, LANG and what the bind gives", "[program]") {
  ::setenv("CHATOPS_TEST_SECRET", "do-not-leak", 1);
  auto path = resolve_program("env");
  REQUIRE(path);
  auto result = run_program(ProgramSpec{.argv = {*path}, .env = {{"DEPLOY_TOKEN", "t0k"}}}, "");
  ::unsetenv("CHATOPS_TEST_SECRET");
  REQUIRE(result);
  std::sort(result->lines.begin(), result->lines.end());
  CHECK(result->lines == std::vector<std::string>{"DEPLOY_TOKEN=t0k", "LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin"});
}

TEST_CASE("Programs are found in the fixed PATH, and what is not executable is refused", "[program]") {
  CHECK(resolve_program("sh").value_or("") == "/usr/bin/sh");
  CHECK(resolve_program("/bin/sh").value_or("") == "/bin/sh");
  CHECK(resolve_program("no-such-program-here").error().message ==
        "no executable no-such-program-here in /usr/local/bin:/usr/bin:/bin");
  CHECK(resolve_program("/etc/passwd").error().message == "not an executable file: /etc/passwd");
}

TEST_CASE("The program pool runs at most max_running at once and refuses past max_waiting", "[program]") {
  std::atomic<int> finished{0};
  auto sleep_path = resolve_program("sleep");
  REQUIRE(sleep_path);
  {
    ProgramPool pool(ProgramPoolOptions{.max_running = 2, .max_waiting = 2});
    // Long enough that the two running ones cannot end (freeing a slot) before the submissions
    // below, on a loaded machine too.
    const ProgramSpec spec{.argv = {*sleep_path, "2"}};
    const auto count = [&finished](chatops::Result<ProgramResult> r) { finished += r && r->failure.empty(); };
    REQUIRE(pool.submit(spec, "", count));
    REQUIRE(pool.submit(spec, "", count));
    const auto started = std::chrono::steady_clock::now() + 30s;
    while (pool.running() < 2 && std::chrono::steady_clock::now() < started) std::this_thread::sleep_for(5ms);
    REQUIRE(pool.running() == 2);
    CHECK(pool.submit(spec, "", count));
    CHECK(pool.submit(spec, "", count));
    CHECK_FALSE(pool.submit(spec, "", count));  // 2 running, 2 waiting
    const int accepted = 4;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (finished < accepted && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    CHECK(finished == accepted);
    CHECK(pool.most_running() == 2);
  }
}

TEST_CASE("Destroying the program pool stops the programs still running", "[program]") {
  auto sleep_path = resolve_program("sleep");
  REQUIRE(sleep_path);
  std::atomic<bool> told{false};
  std::string failure;
  const auto started = std::chrono::steady_clock::now();
  {
    ProgramPool pool(ProgramPoolOptions{});
    REQUIRE(pool.submit(ProgramSpec{.argv = {*sleep_path, "300"}}, "", [&](chatops::Result<ProgramResult> r) {
      failure = r ? r->failure : r.error().message;
      told = true;
    }));
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (pool.running() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  }
  CHECK(told);
  CHECK(failure == "stopped: the bot is shutting down");
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}
