// nnsweep run: validate on every rank, let rank 0 create or check the results file, schedule the
// pending tasks over all ranks, commit as they finish, record the run.
#include <unistd.h>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/serialization/string.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <numeric>
#include <utility>

#include "cli.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"
#include "nnsweep/io/writer_lock.hpp"
#include "nnsweep/sched/signals.hpp"
#include "sweep.hpp"

namespace nnsweep::app {
namespace {

namespace mpi = boost::mpi;
using Clock = std::chrono::steady_clock;

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
      "  zip = depth+width              output, zip (optional: vary these axes together)\n"
      "  [params]\n"
      "  width = 16,32,64               a list\n"
      "  depth = 1..8                   integers a..b (inclusive); a..b step s\n"
      "  width = 16..512 *2             geometric: 16, 32, ..., 512\n"
      "  lr    = logspace(1e-3, 1, 4)   also linspace(a, b, n); items mix: 1..3, 8\n"
      "  seed  = 0..9                   replicas; every parameter not given takes its default\n\n"
      "Stopping: SIGTERM, SIGUSR1 or SIGINT (under mpirun send SIGUSR1: mpirun answers SIGTERM by\n"
      "killing its ranks) stop the dispatch; tasks that need longer than --grace are abandoned\n"
      "(status timed_out) and every finished task is committed. kill -9 loses only uncommitted "
      "work (see --commit-every).\n\n"
      "Exit codes: 0 done, 2 bad spec, arguments or output path (or another run writes FILE),\n"
      "75 stopped early by a signal or the time limit (run again with --resume), 1 other "
      "errors.\n\n"
      "Options");
  options.add_options()("help,h", "show this help")(
      "out,o", po::value<std::string>(),
      "results file (default: the spec's `output`, else SPEC's name with .h5)")(
      "set,s", po::value<std::vector<std::string>>()->composing(),
      "override a spec entry: key=value (a parameter or sweep_seed); repeatable")(
      "resume,r", po::bool_switch(),
      "continue FILE: skip committed tasks, run the rest (starts FILE if it does not exist); "
      "refused if FILE was written by a different spec")("force,f", po::bool_switch(),
                                                         "replace an existing FILE")(
      "io", po::value<std::string>()->default_value("parallel"),
      "parallel: every rank writes its results (MPI-IO); serial: rank 0 writes them all (file "
      "systems where MPI-IO misbehaves, e.g. NFS)")(
      "pack", po::value<std::size_t>()->default_value(0),
      "work computed together (0: the experiment's choice): Monte Carlo networks per pack for "
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
      "the limit is abandoned")("grace", po::value<double>()->default_value(30),
                                "seconds: after SIGTERM/SIGUSR1, tasks predicted to need more than "
                                "this are abandoned, the rest may finish within it; then exit 75")(
      "commit-every", po::value<double>()->default_value(1),
      "seconds: a rank commits its finished tasks at least this often (and before a task "
      "predicted to take longer); a kill -9 loses at most this much of a rank's finished work. "
      "0 commits after every work unit (many small writes)")(
      "progress", po::value<std::string>()->default_value("auto"),
      "auto (a bar on a terminal, else a log line every few seconds), bar, log or none");
  return options;
}

double parse_time_limit(const std::string& text) {
  double value = 0;
  const auto parts = split(text, ':');
  if (parts.size() > 1) {
    double total = 0;
    for (const auto& p : parts) {
      double v = 0;
      if (!parse_double(p, v) || v < 0)
        throw config_error(
            cat("--time-limit ", text, ": not a duration — use e.g. 3600, 45m, 2h or 1:30:00"));
      total = total * 60 + v;
    }
    return total;
  }
  const char unit = text.empty() ? 's' : text.back();
  const double scale = unit == 'h' ? 3600 : unit == 'm' ? 60 : 1;
  const std::string number =
      (unit == 'h' || unit == 'm' || unit == 's') ? text.substr(0, text.size() - 1) : text;
  if (!parse_double(number, value) || !(value > 0))
    throw config_error(cat("--time-limit ", text,
                           ": not a positive duration — use e.g. 3600, 45m, 2h or 1:30:00"));
  return value * scale;
}

// Seconds left before the Slurm job's end time (from `scontrol show job`), minus a margin for the
// final commit; infinity outside Slurm, when it cannot be read, or on any process but the
// launcher's rank 0 (one query per job, not one per rank). Called before MPI_Init: forking after
// it is unsafe with some interconnects.
double slurm_seconds_left() {
  for (const char* rank : {"SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    const char* value = std::getenv(rank);
    if (value != nullptr && std::string(value) != "0")
      return std::numeric_limits<double>::infinity();
  }
  const char* job = std::getenv("SLURM_JOB_ID");
  if (job == nullptr || *job == '\0') return std::numeric_limits<double>::infinity();
  const std::string command = cat("scontrol show job -o ", job, " 2>/dev/null");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::numeric_limits<double>::infinity();
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) text += buffer;
  ::pclose(pipe);
  const auto at = text.find("EndTime=");
  std::tm end{};
  if (at == std::string::npos ||
      ::strptime(text.c_str() + at + 8, "%Y-%m-%dT%H:%M:%S", &end) == nullptr)
    return std::numeric_limits<double>::infinity();
  end.tm_isdst = -1;
  const double left = std::difftime(std::mktime(&end), std::time(nullptr));
  return left - std::min(60.0, 0.1 * std::max(left, 0.0));
}

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
  const auto parts = split(text, '/');
  std::int64_t index = -1, count = 0;
  if (parts.size() != 2 || !parse_int64(parts[0], index) || !parse_int64(parts[1], count) ||
      count < 1 || index < 0 || index >= count)
    throw config_error(cat("--shard ", text, ": expected I/K with 0 <= I < K, e.g. --shard 0/4"));
  return {static_cast<std::size_t>(index), static_cast<std::size_t>(count)};
}

std::string default_output(const std::string& spec_path, const std::string& spec_output) {
  if (!spec_output.empty()) return spec_output;
  std::string name = spec_path.substr(spec_path.rfind('/') + 1);
  if (const auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name + ".h5";
}

void check_output_path(const std::string& out) {
  const std::string directory = directory_of(out);
  if (::access(directory.c_str(), F_OK) != 0)
    throw config_error(cat("--out ", out, ": directory '", directory,
                           "' does not exist — create it or choose another path"));
  if (::access(directory.c_str(), W_OK | X_OK) != 0)
    throw config_error(cat("--out ", out, ": directory '", directory,
                           "' is not writable — choose a writable path with --out"));
  if (::access(out.c_str(), F_OK) == 0 && ::access(out.c_str(), W_OK) != 0)
    throw config_error(cat(
        "--out ", out, ": the file exists and is not writable — choose another path with --out"));
}

// An error every rank knows about (shared by `shared`): exit cleanly, no abort needed.
class SharedError : public io_error {
 public:
  using io_error::io_error;
};

// How `f` ended on one rank: "" if fine, else the error and whether it is the user's.
struct Verdict {
  std::string message;
  bool usage = true;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& message& usage;
  }
};

// Runs `f` on the ranks where `here` is true, then (collectively) every rank throws the error of
// the lowest rank where it failed: config_error for the user's mistakes, SharedError otherwise.
// Ranks may disagree (a spec on a node-local path, file systems that differ between nodes); a
// rank that failed alone must not leave the others waiting in a collective.
template <typename F>
void shared(const mpi::communicator& comm, bool here, F&& f) {
  Verdict verdict;
  if (here) {
    try {
      f();
    } catch (const config_error& e) {
      verdict = {e.what(), true};
    } catch (const std::exception& e) {
      verdict = {e.what(), false};
    }
  }
  const int first = mpi::all_reduce(comm, verdict.message.empty() ? comm.size() : comm.rank(),
                                    mpi::minimum<int>());
  if (first == comm.size()) return;
  mpi::broadcast(comm, verdict, first);
  const std::string message =
      first == 0 ? verdict.message : cat("[rank ", first, "] ", verdict.message);
  if (verdict.usage) throw config_error(message);
  throw SharedError(message);
}

// Runs `f` on rank 0 only (the file, the lock); every rank shares its outcome.
template <typename F>
void on_root(const mpi::communicator& comm, F&& f) {
  shared(comm, comm.rank() == 0, std::forward<F>(f));
}

// Refuses an existing file unless resuming with the same spec (or forcing).
void prepare_output(const std::string& out, const Sweep& sweep, bool resume, bool force,
                    const io::Provenance& provenance) {
  if (::access(out.c_str(), F_OK) == 0) {
    if (resume) {
      const io::ResultsFile existing(out, io::ResultsFile::Access::read_only);
      check_same_sweep(existing, sweep, "",
                       cat("run the spec stored in the file (h5dump -d /spec ", out,
                           ") or choose another --out"));
      return;
    }
    if (!force)
      throw config_error(
          cat(out, ": already exists — continue it with --resume, or replace it with --force"));
    remove_to_replace(out);
  }
  io::FileLayout layout;
  layout.experiment = std::string(sweep.experiment->name());
  layout.sweep_seed = sweep.spec.sweep_seed;
  layout.spec_text = sweep.spec.canonical_text(sweep.experiment->schema());
  layout.result_columns = result_columns(sweep.columns);
  io::create(out, *sweep.table, layout, provenance);
}

void print_summary(const sched::Summary& s, const std::string& out, int ranks,
                   const std::string& resume_hint) {
  std::fprintf(stderr,
               "nnsweep: %s: %zu of %zu tasks done (%zu failed, %zu diverged) in %s on %d rank%s\n",
               out.c_str(), s.tasks_done, s.tasks_total, s.failed, s.diverged,
               format_duration(s.makespan_s).c_str(), ranks, ranks == 1 ? "" : "s");
  std::string busy;
  for (std::size_t r = 0; r < s.busy_s.size() && r < 16; ++r)
    busy += cat(r == 0 ? "" : " ", format_duration(s.busy_s[r]));
  if (s.busy_s.size() > 16) busy += " ...";
  std::fprintf(stderr, "nnsweep: load balance %.1f%% (busy per rank: %s)\n", 100 * s.load_balance,
               busy.c_str());
  if (s.stopped)
    std::fprintf(
        stderr, "nnsweep: stopped early (%s); %zu tasks pending — continue with: %s\n",
        s.time_limit_reached ? "time limit" : cat("signal ", sched::signal_number()).c_str(),
        s.pending, resume_hint.c_str());
}

// `launched`: when the command started; `slurm_left`: seconds the Slurm job had left then.
int run(const mpi::communicator& world, int argc, char** argv, Clock::time_point launched,
        double slurm_left) {
  sched::install_stop_handlers();  // first: a signal during file creation must not kill the ranks
  const std::vector<std::string> args(argv, argv + argc);  // args[0] is "run"
  const auto parsed = parse(args, run_options(), "spec", 1, usage, world.rank() == 0);
  if (!parsed) return exit_ok;
  const auto& vm = *parsed;
  if (vm.count("spec") == 0) throw config_error(cat("no spec file — usage: ", usage));
  const std::string spec_path = vm["spec"].as<std::string>();
  const auto sets =
      vm.count("set") > 0 ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const bool resume = vm["resume"].as<bool>(), force = vm["force"].as<bool>();
  if (resume && force) throw config_error("--resume and --force contradict each other — pick one");
  const std::string io_mode = vm["io"].as<std::string>();
  if (io_mode != "parallel" && io_mode != "serial")
    throw config_error(cat("--io ", io_mode, ": use parallel or serial"));
  const bool serial = io_mode == "serial";
  double time_limit = vm.count("time-limit") > 0
                          ? parse_time_limit(vm["time-limit"].as<std::string>())
                          : std::numeric_limits<double>::infinity();
  const bool retry_failed = vm["retry-failed"].as<bool>();
  if (retry_failed && !resume)
    throw config_error(
        "--retry-failed needs --resume (it reruns failed tasks of an existing FILE)");
  const auto shard = vm.count("shard") > 0 ? parse_shard(vm["shard"].as<std::string>())
                                           : std::pair<std::size_t, std::size_t>{0, 1};
  const double grace = vm["grace"].as<double>();
  if (!(grace >= 0)) throw config_error(cat("--grace ", grace, ": must be >= 0 seconds"));
  const double commit_every = vm["commit-every"].as<double>();
  if (!(commit_every >= 0 && std::isfinite(commit_every)))
    throw config_error(cat("--commit-every ", commit_every, ": must be a number of seconds >= 0"));
  const auto progress = sched::parse_progress_style(vm["progress"].as<std::string>());

  // Every rank validates everything, and the ranks agree on the outcome, before any other
  // collective call.
  Sweep sweep;
  std::string out;
  shared(world, true, [&] {
    sweep = load_sweep(spec_path, sets);
    out = vm.count("out") > 0 ? vm["out"].as<std::string>()
                              : default_output(spec_path, sweep.spec.output);
    check_output_path(out);
  });

  const char* slurm_job = std::getenv("SLURM_JOB_ID");
  io::Provenance provenance{"nnsweep " + command_line(argc, argv), hostname(),
                            slurm_job != nullptr ? slurm_job : "", utc_now(), world.size()};
  std::unique_ptr<io::WriterLock> lock;  // rank 0 holds it while the run writes
  on_root(world, [&] {
    lock = std::make_unique<io::WriterLock>(out);
    prepare_output(out, sweep, resume, force, provenance);
    time_limit = std::min(time_limit, slurm_left);  // rank 0's view of the job's end
  });
  mpi::broadcast(world, time_limit, 0);

  std::unique_ptr<io::ResultsFile> file;
  if (!serial) {
    file = std::make_unique<io::ResultsFile>(out, io::ResultsFile::Access::parallel_write,
                                             MPI_Comm(world));
  } else {
    on_root(world, [&] {
      file = std::make_unique<io::ResultsFile>(out, io::ResultsFile::Access::serial_write);
    });
  }

  int run_index = -1;
  std::vector<sched::WorkUnit> units;
  std::size_t failed_kept = 0;  // failed tasks a plain resume leaves alone
  on_root(world, [&] {
    run_index = file->begin_run({utc_now(), hostname(), provenance.slurm_job_id,
                                 provenance.command_line, io_mode, world.size()});
    const auto status = file->read_status();
    const auto in_shard = shard_tasks(sweep, shard.first, shard.second);
    std::vector<bool> pending(status.size());
    for (std::size_t t = 0; t < status.size(); ++t) {
      const auto s = static_cast<grid::TaskStatus>(status[t]);
      const bool todo = s == grid::TaskStatus::pending || s == grid::TaskStatus::timed_out ||
                        (retry_failed && s == grid::TaskStatus::failed);
      pending[t] = todo && in_shard[t];
      failed_kept += !retry_failed && s == grid::TaskStatus::failed && in_shard[t] ? 1 : 0;
    }
    units = work_units(sweep, pending);
  });
  mpi::broadcast(world, run_index, 0);

  UnitRunner runner(sweep, vm["pack"].as<std::size_t>());
  sched::Options options;
  options.flush_seconds = commit_every;
  options.results_to_root = serial;
  options.seconds_per_cost = 1 / sweep.experiment->nominal_flops();
  // Limits count from the start of the command: creating a large file uses the budget too.
  options.time_limit_s =
      time_limit - std::chrono::duration<double>(Clock::now() - launched).count();
  options.grace_s = grace;
  // Nothing to run: no progress lines (only rank 0 holds the units, and only it prints them).
  options.progress = units.empty() ? sched::ProgressStyle::none : progress;
  FileSink sink(file.get(), run_index, options);
  const auto summary = sched::run(world, std::move(units), std::ref(runner), sink, options);

  int code = exit_ok;
  on_root(world, [&] {
    code = summary.stopped ? exit_incomplete : exit_ok;
    io::RunEnd end;
    end.finished_utc = utc_now();
    end.tasks_done =
        static_cast<std::int64_t>(summary.tasks_done + summary.failed + summary.diverged);
    end.makespan_s = summary.makespan_s;
    end.busy_s_total = std::accumulate(summary.busy_s.begin(), summary.busy_s.end(), 0.0);
    end.busy_s_max = summary.busy_s.empty()
                         ? 0
                         : *std::max_element(summary.busy_s.begin(), summary.busy_s.end());
    end.load_balance = summary.load_balance;
    end.exit_code = code;
    file->end_run(run_index, end);
  });
  if (file) file->close();  // collective in parallel mode
  mpi::broadcast(world, code, 0);
  if (world.rank() != 0) return code;
  if (summary.tasks_total == 0 && !summary.stopped)
    std::fprintf(stderr, "nnsweep: %s: nothing to do, every task%s is committed%s\n", out.c_str(),
                 shard.second > 1 ? " of this shard" : "",
                 failed_kept > 0
                     ? cat(" (", failed_kept, " failed: rerun them with --retry-failed)").c_str()
                     : "");
  else
    print_summary(summary, out, world.size(),
                  cat("nnsweep run ", spec_path, " --out ", out, " --resume"));
  return code;
}

}  // namespace

int run_command(int argc, char** argv) {
  const auto launched = Clock::now();
  const double slurm_left = slurm_seconds_left();
  mpi::environment env(argc, argv, mpi::threading::funneled);
  const mpi::communicator world;
  if (mpi::environment::thread_level() < mpi::threading::funneled) {
    if (world.rank() == 0)
      std::fprintf(stderr, "nnsweep: error: this MPI does not provide MPI_THREAD_FUNNELED\n");
    return exit_failure;
  }
  try {
    return run(world, argc, argv, launched, slurm_left);
  } catch (const config_error& e) {
    // Every rank reached the same verdict (shared).
    if (world.rank() == 0) std::fprintf(stderr, "nnsweep: error: %s\n", e.what());
    return exit_usage;
  } catch (const SharedError& e) {
    if (world.rank() == 0) std::fprintf(stderr, "nnsweep: error: %s\n", e.what());
    return exit_failure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[rank %d] nnsweep: error: %s\n", world.rank(), e.what());
    std::fflush(stderr);
    env.abort(exit_failure);  // never leave other ranks hanging in a collective
  }
  return exit_failure;
}

}  // namespace nnsweep::app
