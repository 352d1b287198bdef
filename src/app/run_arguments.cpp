#include "run_arguments.hpp"

#include <cmath>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"

namespace nnsweep::app {
namespace {

// Ranges of the numeric options: seconds beyond 1e9 (31 years) only ever mean a typo or inf, and
// a pack beyond 65536 networks would not fit in memory at any useful width.
constexpr double max_seconds = 1e9;
constexpr std::int64_t max_pack = 65536;

constexpr const char* usage =
    "nnsweep run SPEC.ini [--out FILE] [--resume | --force] [--set key=value]...";

po::options_description run_options() {
  po::options_description options(
      "nnsweep run SPEC.ini [options]\n\n"
      "Runs every pending task of the sweep described by SPEC.ini and commits the results to one\n"
      "HDF5 file (docs/results-file.md). Start it under MPI (mpirun -n N nnsweep run ..., or srun\n"
      "under Slurm); rank 0 dispatches tasks longest-first and computes too.\n\n"
      "The spec (INI; nnsweep list EXPERIMENT shows the parameters):\n"
      "  experiment = correlations      top-level keys: experiment, sweep_seed (default 0),\n"
      "  zip = depth+width              output, zip (optional: vary these axes together),\n"
      "  save_weights = true            save_weights (training experiments: final parameters)\n"
      "  [params]\n"
      "  width = 16,32,64               a list\n"
      "  depth = 1..8                   integers a..b (inclusive); a..b step s\n"
      "  width = 16..512 *2             geometric: 16, 32, ..., 512\n"
      "  lr    = logspace(1e-3, 1, 4)   also linspace(a, b, n); items mix: 1..3, 8\n"
      "  seed  = 0..9                   replicas; every parameter not given takes its default\n\n"
      "Stopping: SIGTERM, SIGUSR1 or SIGINT stop the dispatch (Open MPI 4.1's mpirun forwards\n"
      "them: the ranks drain and return 75, but mpirun itself exits 1 after a SIGTERM — read the\n"
      "outcome back with nnsweep status FILE.h5 --exit-code; srun passes the ranks' code); tasks\n"
      "that need longer than --grace are abandoned (status timed_out) and every finished task is\n"
      "committed. kill -9 loses only uncommitted "
      "work (see --commit-every).\n\n"
      "Exit codes: 0 done, 2 bad spec, arguments or output path (or another run writes FILE, or\n"
      "FILE is damaged or not a regular file), 3 finished but some tasks failed (nnsweep status\n"
      "lists them; --retry-failed; diverged tasks are results, not failures), 75 tasks remain\n"
      "after a signal or the time limit (run again with --resume), 1 other errors. Every run\n"
      "records its code in /runs.\n\n"
      "Options");
  options.add_options()("help,h", "show this help")(
      "out,o", po::value<std::string>(),
      "results file (default: the spec's `output`, else SPEC's name with .h5)")(
      "set,s", po::value<std::vector<std::string>>()->composing(),
      "override a spec entry: key=value (a parameter or sweep_seed); repeatable")(
      "resume,r", po::bool_switch(),
      "continue FILE: skip committed tasks, run the rest (starts FILE if it does not exist); "
      "refused if FILE was written by a different spec")(
      "force,f", po::bool_switch(),
      "replace an existing results FILE (never a directory or a file that is not HDF5)")(
      "io", po::value<std::string>()->default_value("parallel"),
      "parallel: every rank writes its results (MPI-IO); serial: rank 0 writes them all (file "
      "systems where MPI-IO misbehaves, e.g. NFS)")(
      "pack", po::value<std::string>()->default_value("0"),
      "work computed together, 0..65536 (0: the experiment's choice): Monte Carlo networks per "
      "pack for "
      "correlations, seeds per replica pack for training experiments; changes speed (and how "
      "often a unit checks for a stop), never results")(
      "retry-failed", po::bool_switch(), "with --resume: also rerun tasks that failed (status 2)")(
      "shard", po::value<std::string>(),
      "I/K: run only shard I (0 <= I < K) of the sweep's grid cells, split by cost; combine shard "
      "files with nnsweep merge (Slurm arrays: --shard "
      "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)")(
      "time-limit", po::value<std::string>(),
      "wall-time budget: 3600, 90s, 45m, 2h or 1:30:00 (under Slurm the job's end time also "
      "counts); no task is started that is predicted not to finish, and a task still running at "
      "the limit is abandoned")(
      "grace", po::value<std::string>()->default_value("30"),
      "seconds (0 to 1e9): after SIGTERM/SIGUSR1, tasks predicted to need more than "
      "this are abandoned, the rest may finish within it; then exit 75")(
      "commit-every", po::value<std::string>()->default_value("1"),
      "seconds (0 to 1e9): a rank commits its finished tasks at least this often (and before a "
      "task "
      "predicted to take longer); a kill -9 loses at most this much of a rank's finished work. "
      "0 commits after every work unit (many small writes)")(
      "progress", po::value<std::string>()->default_value("auto"),
      "auto (a bar on a terminal, else a log line every few seconds), bar, log or none");
  return options;
}

}  // namespace

double parse_time_limit(const std::string& text) {
  const std::string what = "must be a duration (e.g. 3600, 45m, 2h or 1:30:00) of seconds";
  double value = 0;
  const auto parts = split(text, ':');
  if (parts.size() > 1) {
    double total = 0;
    for (const auto& p : parts) {
      double v = 0;
      if (!parse_double(p, v) || !(v >= 0)) v = std::nan("");
      total = total * 60 + v;
    }
    check_range("--time-limit", text, total, 0, max_seconds, what, true);
    return total;
  }
  const char unit = text.empty() ? 's' : text.back();
  const double scale = unit == 'h' ? 3600 : unit == 'm' ? 60 : 1;
  const std::string number =
      (unit == 'h' || unit == 'm' || unit == 's') ? text.substr(0, text.size() - 1) : text;
  if (!parse_double(number, value)) value = std::nan("");
  check_range("--time-limit", text, value * scale, 0, max_seconds, what, true);
  return value * scale;
}

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
  const auto parts = split(text, '/');
  std::int64_t index = -1, count = 0;
  if (parts.size() != 2 || !parse_int64(parts[0], index) || !parse_int64(parts[1], count) ||
      count < 1 || index < 0 || index >= count)
    throw config_error(cat("--shard ", text, ": expected I/K with 0 <= I < K, e.g. --shard 0/4"));
  return {static_cast<std::size_t>(index), static_cast<std::size_t>(count)};
}

std::optional<RunArguments> parse_run_arguments(const std::vector<std::string>& args,
                                                bool print_help) {
  const auto parsed = parse(args, run_options(), "spec", 1, usage, print_help);
  if (!parsed) return std::nullopt;
  const auto& vm = *parsed;
  if (vm.count("spec") == 0) throw config_error(cat("no spec file — usage: ", usage));
  RunArguments a;
  a.spec_path = vm["spec"].as<std::string>();
  if (vm.count("set") > 0) a.sets = vm["set"].as<std::vector<std::string>>();
  if (vm.count("out") > 0) a.out = vm["out"].as<std::string>();
  a.resume = vm["resume"].as<bool>();
  a.force = vm["force"].as<bool>();
  if (a.resume && a.force)
    throw config_error("--resume and --force contradict each other — pick one");
  a.io_mode = vm["io"].as<std::string>();
  if (a.io_mode != "parallel" && a.io_mode != "serial")
    throw config_error(cat("--io ", a.io_mode, ": use parallel or serial"));
  a.serial = a.io_mode == "serial";
  a.pack = static_cast<std::size_t>(
      integer_option(vm, "pack", 0, max_pack, "must be a whole number of networks or seeds"));
  if (vm.count("time-limit") > 0)
    a.time_limit_s = parse_time_limit(vm["time-limit"].as<std::string>());
  a.retry_failed = vm["retry-failed"].as<bool>();
  if (a.retry_failed && !a.resume)
    throw config_error(
        "--retry-failed needs --resume (it reruns failed tasks of an existing FILE)");
  if (vm.count("shard") > 0) a.shard = parse_shard(vm["shard"].as<std::string>());
  a.grace_s = real_option(vm, "grace", 0, max_seconds, "must be a number of seconds");
  a.commit_every_s = real_option(vm, "commit-every", 0, max_seconds, "must be a number of seconds");
  a.progress = sched::parse_progress_style(vm["progress"].as<std::string>());
  return a;
}

}  // namespace nnsweep::app
