#pragma once
// The subcommands of `nnsweep` and the bits of command-line handling they share.
#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nnsweep::app {

namespace po = boost::program_options;

// Exit codes of the commands beside core/error.hpp's ExitCode (documented in `nnsweep --help`):
// `run` finished but some tasks failed (diverged tasks are results, not failures); `diff` found
// a (cell, metric) pair that differs after Holm's correction.
inline constexpr int exit_failed_tasks = 3;
inline constexpr int exit_differ = 1;

// Every subcommand takes the arguments after its name (args[0] is the subcommand) and returns
// the process exit code (core/error.hpp ExitCode).
int run_command(int argc, char** argv);
int plan_command(const std::vector<std::string>& args);
int status_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int theory_command(const std::vector<std::string>& args);
int list_command(const std::vector<std::string>& args);
int merge_command(const std::vector<std::string>& args);
int diff_command(const std::vector<std::string>& args);

// Parses a subcommand's arguments (args[0] is its name) against `options`; the bare arguments go
// to the option `positional`, which parse() declares itself (so --help does not list it): a
// std::string if `max_positional` is 1, else a std::vector<std::string> of at most
// `max_positional` (-1: any number). With --help it prints `options` (if `print_help`) and
// returns nothing. Throws config_error with `usage`.
std::optional<po::variables_map> parse(const std::vector<std::string>& args,
                                       const po::options_description& options,
                                       const char* positional, int max_positional,
                                       const std::string& usage, bool print_help = true);

// A numeric option given as text, checked whole (no "1s", no "1e3" for an integer) and against
// its range — [low, high], or (low, high] when `open_low` — where inf and nan never belong: throws
// config_error "--NAME VALUE: <what> in [low, high]". (Boost would read "-1" as a huge unsigned.)
double real_option(const po::variables_map& vm, const std::string& name, double low, double high,
                   const std::string& what, bool open_low = false);
std::int64_t integer_option(const po::variables_map& vm, const std::string& name, std::int64_t low,
                            std::int64_t high, const std::string& what);
// The same check for a value already parsed (--time-limit's units and h:m:s forms).
void check_range(const std::string& option, const std::string& text, double value, double low,
                 double high, const std::string& what, bool open_low = false);

// --force: removes the existing results file `path` so that it can be written anew; throws
// file_error for anything but an HDF5 file (a directory, a FIFO, a text file: never deleted), and
// config_error saying why when it cannot be removed.
void remove_to_replace(const std::string& path);

// "nnsweep run SPEC.ini --set a=b" as one line (provenance).
std::string command_line(int argc, char** argv);

}  // namespace nnsweep::app
