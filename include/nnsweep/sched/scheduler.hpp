#pragma once
// Dynamic dispatch of work units over the ranks of a Context (MPI, or one local rank). Rank 0
// hands out units longest-first by the cost model (LPT), bundled so each assignment holds enough
// work to hide the round trip, and computes too — on a second thread, so that dispatch never
// waits for its own kernels (MPI is only called from the main thread). Messages are O(1) per
// unit: unit descriptions out, counts and timings back. Finished records go to a ResultSink on
// the rank that computed them, or travel to rank 0 when the sink lives there (serial I/O).
#include <atomic>
#include <functional>
#include <limits>
#include <vector>

#include "nnsweep/grid/task_record.hpp"
#include "nnsweep/sched/context.hpp"
#include "nnsweep/sched/progress.hpp"

namespace nnsweep::sched {

// Consecutive tasks [first, first + count) computed together, with their predicted cost.
struct WorkUnit {
  std::size_t first = 0;
  std::size_t count = 0;
  double cost = 0;
};

// Receives finished records; called from one thread at a time (the MPI thread).
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void accept(std::vector<grid::TaskRecord> records) = 0;
  virtual void flush() = 0;  // commit everything buffered
};

// Runs one unit: one record per task, status and values set. Pure apart from `cancel`, which
// asks it to give up early: it then returns its unfinished records as pending, and the
// scheduler marks them timed_out (abandoned; a resume reruns them).
using Executor =
    std::function<std::vector<grid::TaskRecord>(const WorkUnit&, const std::atomic<bool>& cancel)>;

struct Options {
  bool results_to_root = false;     // serial I/O: records travel to rank 0's sink
  double seconds_per_cost = 2e-10;  // first guess (1 / FLOP/s), refined from measured units
  double time_limit_s = std::numeric_limits<double>::infinity();  // from the start of run()
  double bundle_seconds = 0.05;  // minimum predicted work per assignment, and at least
  double bundle_seconds_per_rank =
      1e-4;                    // × ranks: rank 0 answers ranks/bundle reports per
                               // second; this keeps it well below saturation at 10^4 ranks
                               // (bench/bench_scaling measures the cost of one report)
  double flush_seconds = 1.0;  // commit before a unit predicted to take longer than this
  double grace_s = 30;         // after a stop signal, finish in-flight units predicted to need
                               // less than this; abandon the others (status timed_out)
  ProgressStyle progress = ProgressStyle::automatic;
  double progress_interval_s = 5;
};

struct Summary {
  std::size_t tasks_total = 0;  // tasks in the units given to run()
  std::size_t tasks_done = 0, failed = 0, diverged = 0, pending = 0;
  double makespan_s = 0;
  std::vector<double> busy_s;  // per rank: seconds spent in the executor
  double load_balance = 0;     // Σ busy / (ranks × makespan)
  bool stopped = false;        // by a signal or the time limit: work was left
  bool time_limit_reached = false;
};

// Makespan of greedy longest-first dispatch of `seconds` (one entry per unit) over `ranks`
// identical ranks: what `nnsweep plan` and the scaling benchmark predict.
double simulate_makespan(std::vector<double> seconds, std::size_t ranks);

// Collective: every rank calls it with the same options. `units` matter on rank 0 only.
// The returned summary is complete on rank 0 (other ranks get their own busy time only).
Summary run(const Context& context, std::vector<WorkUnit> units, const Executor& execute,
            ResultSink& sink, const Options& options);

}  // namespace nnsweep::sched
