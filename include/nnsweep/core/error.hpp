#pragma once
// Error types of nnsweep. User-facing errors say what is wrong, the offending value and how to
// fix it ("problem — value — fix"); broken internal invariants throw `error` with a message
// starting "internal:" (never silently continue with wrong numbers).
#include <stdexcept>
#include <string>

#include "nnsweep/core/text.hpp"

namespace nnsweep {

// Base of every error nnsweep reports to a user.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad spec, parameter or command line. The CLI exits with ExitCode::usage.
class config_error : public error {
 public:
  using error::error;
};

// A results file that cannot be created, opened, read or written.
class io_error : public error {
 public:
  using error::error;
};

// A file the user named that nnsweep refuses to read or replace: damaged or hand-edited (shapes
// that contradict its own metadata), not a regular file, a directory where a file belongs. Like a
// bad spec it is the user's input that is wrong, so the CLI exits with ExitCode::usage too.
class file_error : public config_error {
 public:
  using config_error::config_error;
};

// Exit codes of the `nnsweep` executable (documented in `nnsweep --help`).
enum ExitCode : int {
  exit_ok = 0,          // finished; every task is done (or failed/diverged and recorded)
  exit_failure = 1,     // an internal or I/O error
  exit_usage = 2,       // bad spec, parameter, command line, output path or input file
  exit_incomplete = 75  // stopped early (signal or time limit); resume to continue (EX_TEMPFAIL)
};

}  // namespace nnsweep

// A user error: throws nnsweep::config_error with the concatenated message parts ("problem —
// value — fix") when `cond` is false.
#define NNSWEEP_CHECK(cond, ...)                                             \
  do {                                                                       \
    if (!(cond)) throw ::nnsweep::config_error(::nnsweep::cat(__VA_ARGS__)); \
  } while (false)
