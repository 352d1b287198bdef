#pragma once
// What `run` plugs into the scheduler as its executor: the experiment's kernel and theory on one
// work unit, turned into records laid out as the results file's columns.
#include <atomic>
#include <map>
#include <vector>

#include "nnsweep/sched/scheduler.hpp"
#include "sweep.hpp"

namespace nnsweep::app {

// Runs a unit: the kernel on its replicas, the cell's columns and theory once per cell (cached),
// each task's row laid out as the file's columns: its metrics from the kernel, its theory and
// derived values from the kernel where it set them, else from the cell's theory(). Kernel
// exceptions become failed records (measured values NaN, theory kept); they never escape. For
// tests, the environment variable NNSWEEP_FAIL_TASKS=3,7 makes those tasks fail as if their kernel
// threw, and NNSWEEP_TASK_DELAY=0.3 makes every task take 0.3 s longer (a cancellable sleep before
// the kernel, results unchanged), so a signal or time limit in a fault test surely finds work left.
class UnitRunner {
 public:
  UnitRunner(const Sweep& sweep, std::size_t pack);
  std::vector<grid::TaskRecord> operator()(const sched::WorkUnit& unit,
                                           const std::atomic<bool>& cancel);

 private:
  // What a cell's units share: its columns and its theory (NaN where theory() throws).
  struct Cell {
    grid::ColumnSet columns;
    grid::Row theory;
  };
  const Cell& cell_of(std::size_t cell, const config::ParamSet& params);
  // The file's row of one task from the cell's theory and, for a measured task (done or
  // diverged), the kernel's row.
  grid::Row assemble(const Cell& cell, const grid::Row* measured) const;
  // NNSWEEP_TASK_DELAY's wait for `tasks` tasks; false: cancelled during it, so the unit's tasks
  // are abandoned (pending).
  bool wait_injected_delay(std::size_t tasks, const std::atomic<bool>& cancel) const;
  const Sweep& sweep_;
  std::size_t pack_;
  experiments::StreamKeys streams_;
  std::map<std::size_t, Cell> cells_;           // at most 64
  std::vector<std::size_t> injected_failures_;  // NNSWEEP_FAIL_TASKS: fault injection for tests
  double injected_delay_s_ = 0;                 // NNSWEEP_TASK_DELAY: seconds per task, for tests
};

}  // namespace nnsweep::app
