// nnsweep run: validate on every rank, let rank 0 create or check the results file, schedule the
// pending tasks over all ranks, commit as they finish, record the run. The pieces: the command
// line (run_arguments), agreement between ranks (agreement), the output file (output), the work
// (work_units), the executor (unit_runner) and the sink (file_sink).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>

#include "agreement.hpp"
#include "cli.hpp"
#include "file_sink.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/core/system.hpp"
#include "nnsweep/io/writer_lock.hpp"
#include "nnsweep/sched/signals.hpp"
#include "output.hpp"
#include "run_arguments.hpp"
#include "slurm.hpp"
#include "unit_runner.hpp"
#include "work_units.hpp"

namespace nnsweep::app {
namespace {

using Clock = std::chrono::steady_clock;

void print_summary(const sched::Summary& s, const std::string& out, int ranks,
                   const std::string& resume_hint) {
  std::fprintf(stderr,
               "nnsweep: %s: %zu of %zu tasks done (%zu failed, %zu diverged) in %s on %d rank%s\n",
               printable(out).c_str(), s.tasks_done, s.tasks_total, s.failed, s.diverged,
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
        s.pending, printable(resume_hint).c_str());
}

// `launched`: when the command started; `slurm_left`: seconds the Slurm job had left then.
int run(const sched::Context& world, int argc, char** argv, Clock::time_point launched,
        double slurm_left) {
  sched::install_stop_handlers();  // first: a signal during file creation must not kill the ranks
  const auto parsed =
      parse_run_arguments(std::vector<std::string>(argv, argv + argc), world.is_root());
  if (!parsed) return exit_ok;
  const RunArguments& args = *parsed;
  double time_limit = args.time_limit_s;

  // Every rank validates everything, and the ranks agree on the outcome, before any other
  // collective call.
  Sweep sweep;
  std::string out;
  shared(world, true, [&] {
    sweep = load_sweep(args.spec_path, args.sets);
    out = !args.out.empty() ? args.out : default_output(args.spec_path, sweep.spec.output);
    check_output_path(out);
  });

  const char* slurm_job = std::getenv("SLURM_JOB_ID");
  io::Provenance provenance{"nnsweep " + command_line(argc, argv), hostname(),
                            slurm_job != nullptr ? slurm_job : "", utc_now(), world.size()};
  std::unique_ptr<io::WriterLock> lock;  // rank 0 holds it while the run writes
  on_root(world, [&] {
    lock = std::make_unique<io::WriterLock>(out);
    prepare_output(lock->file(), sweep, args.resume, args.force, provenance);
    lock->hold_file();  // the file this run writes, created or replaced just now
    time_limit = std::min(time_limit, slurm_left);  // rank 0's view of the job's end
  });
  world.broadcast(time_limit, 0);

  std::unique_ptr<io::ResultsFile> file;
  if (!args.serial) {
    file = std::make_unique<io::ResultsFile>(out, io::ResultsFile::Access::parallel_write,
                                             world.communicator());
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
                                 provenance.command_line, args.io_mode, world.size()});
    const auto pending =
        pending_tasks(file->read_status(), shard_tasks(sweep, args.shard.first, args.shard.second),
                      args.retry_failed, &failed_kept);
    units = work_units(sweep, pending);
  });
  world.broadcast(run_index, 0);

  UnitRunner runner(sweep, args.pack);
  sched::Options options;
  options.flush_seconds = args.commit_every_s;
  options.results_to_root = args.serial;
  options.seconds_per_cost = 1 / sweep.experiment->nominal_flops();
  // Limits count from the start of the command: creating a large file uses the budget too.
  options.time_limit_s =
      time_limit - std::chrono::duration<double>(Clock::now() - launched).count();
  options.grace_s = args.grace_s;
  // Nothing to run: no progress lines (only rank 0 holds the units, and only it prints them).
  options.progress = units.empty() ? sched::ProgressStyle::none : args.progress;
  FileSink sink(file.get(), run_index, options);
  const auto summary = sched::run(world, std::move(units), std::ref(runner), sink, options);

  int code = exit_ok;
  on_root(world, [&] {
    // 75 whenever tasks remain; else 3 when the file holds failed tasks (this run's, or kept
    // from an earlier one by a plain --resume); diverged tasks are results, not failures.
    code = summary.stopped                    ? exit_incomplete
           : summary.failed + failed_kept > 0 ? exit_failed_tasks
                                              : exit_ok;
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
  world.broadcast(code, 0);
  if (!world.is_root()) return code;
  if (summary.tasks_total == 0 && !summary.stopped)
    std::fprintf(stderr, "nnsweep: %s: nothing to do, every task%s is committed%s\n",
                 printable(out).c_str(), args.shard.second > 1 ? " of this shard" : "",
                 failed_kept > 0
                     ? cat(" (", failed_kept, " failed: rerun them with --retry-failed)").c_str()
                     : "");
  else
    print_summary(
        summary, out, world.size(),
        cat("nnsweep run ", shell_quote(args.spec_path), " --out ", shell_quote(out), " --resume"));
  return code;
}

}  // namespace

int run_command(int argc, char** argv) {
  const auto launched = Clock::now();
  const double slurm_left = slurm_seconds_left();
  const sched::MpiSession mpi(argc, argv);
  const sched::Context world = mpi.world();
  if (!mpi.funneled()) {
    if (world.is_root())
      std::fprintf(stderr, "nnsweep: error: this MPI does not provide MPI_THREAD_FUNNELED\n");
    return exit_failure;
  }
  try {
    return run(world, argc, argv, launched, slurm_left);
  } catch (const config_error& e) {
    // Every rank reached the same verdict (shared).
    if (world.is_root()) std::fprintf(stderr, "nnsweep: error: %s\n", printable(e.what()).c_str());
    return exit_usage;
  } catch (const SharedError& e) {
    if (world.is_root()) std::fprintf(stderr, "nnsweep: error: %s\n", printable(e.what()).c_str());
    return exit_failure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[rank %d] nnsweep: error: %s\n", world.rank(),
                 printable(e.what()).c_str());
    std::fflush(stderr);
    mpi.abort(exit_failure);  // never leave other ranks hanging in a collective
  }
}

}  // namespace nnsweep::app
