#pragma once
// The subcommands of `nnsweep` and the bits of command-line handling they share.
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace nnsweep::app {

namespace po = boost::program_options;

// Every subcommand takes the arguments after its name (args[0] is the subcommand) and returns
// the process exit code (core/error.hpp ExitCode).
int run_command(int argc, char** argv);
int plan_command(const std::vector<std::string>& args);
int status_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int theory_command(const std::vector<std::string>& args);
int list_command(const std::vector<std::string>& args);
int merge_command(const std::vector<std::string>& args);

// Parses `args` against `options` (+ positionals); throws config_error with the usage hint.
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description& positional, const std::string& usage);

// "nnsweep run SPEC.ini --set a=b" as one line (provenance).
std::string command_line(int argc, char** argv);
std::string utc_now();  // ISO 8601, seconds
std::string hostname();

}  // namespace nnsweep::app
