#pragma once
// Running an external program as a bind handler (docs/handlers.md): posix_spawn of an argv list,
// never a shell; its own process group; the environment replaced by a fixed PATH, LANG and what the
// bind declares; every other descriptor closed; signals back to their defaults. The input (the
// event as JSON) is written to its standard input; its standard output is read as lines, within a
// byte cap; the last line of its standard error explains a failure. At the timeout, at the cap,
// and once the program has exited, its whole process group is killed, so that children it forked
// cannot outlive it (a child that left the group with setsid() can: docs/handlers.md).
//
// Blocking: called on a worker thread (ProgramPool), never on the io thread.
#include <chrono>
#include <cstddef>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace chatops::bindings::handlers {

struct ProgramSpec {
  std::vector<std::string> argv{};          // argv[0]: an absolute path (resolve_program)
  std::map<std::string, std::string> env{}; // added to PATH and LANG
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_output = 64u << 10;       // bytes of standard output read
};

struct ProgramResult {
  std::vector<std::string> lines;  // standard output, split at LF (a CR before it dropped)
  // "" when it exited with status 0; else why not: "exited with status 3: <last stderr line>",
  // "killed by signal 9", "stopped after the 5000 ms timeout", "stopped: its output passed 64 KiB".
  std::string failure;
};

// The program as an absolute path: `name` itself when it holds a '/', else found in the PATH
// programs run with (/usr/local/bin:/usr/bin:/bin). Fails when it is not an executable file.
Result<std::string> resolve_program(const std::string& name);

// The PATH a program runs with.
inline constexpr const char* kProgramPath = "/usr/local/bin:/usr/bin:/bin";

// Runs `spec` with `input` on its standard input; a stop request ends it as the timeout does (within
// 100 ms). Fails only when it could not be started.
Result<ProgramResult> run_program(const ProgramSpec& spec, const std::string& input, std::stop_token stop = {});

}  // namespace chatops::bindings::handlers
