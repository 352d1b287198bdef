#pragma once
// The command line of `nnsweep run`, parsed and checked (every error: config_error naming the
// option, the value and the fix).
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nnsweep/sched/progress.hpp"

namespace nnsweep::app {

struct RunArguments {
  std::string spec_path;
  std::vector<std::string> sets;  // --set key=value
  std::string out;                // --out ("" : the default output)
  bool resume = false, force = false, retry_failed = false;
  bool serial = false;  // --io serial
  std::string io_mode = "parallel";
  std::size_t pack = 0;
  double time_limit_s = std::numeric_limits<double>::infinity();
  std::pair<std::size_t, std::size_t> shard{0, 1};  // index, count
  double grace_s = 30, commit_every_s = 1;
  sched::ProgressStyle progress = sched::ProgressStyle::automatic;
};

// Parses `args` (args[0] is "run"); nothing with --help (printed when `print_help`).
std::optional<RunArguments> parse_run_arguments(const std::vector<std::string>& args,
                                                bool print_help);

// "3600", "90s", "45m", "2h", "1:30:00" → seconds.
double parse_time_limit(const std::string& text);

// "I/K" with 0 <= I < K → (I, K).
std::pair<std::size_t, std::size_t> parse_shard(const std::string& text);

}  // namespace nnsweep::app
