#pragma once
// What every subcommand that reads a spec needs: the experiment, the validated spec, the task
// table and the result columns; and what `run` plugs into the scheduler: the unit executor
// (kernel + theory → records) and the results-file sink.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/grid/task_table.hpp"
#include "nnsweep/io/results_file.hpp"
#include "nnsweep/sched/scheduler.hpp"

namespace nnsweep::app {

struct Sweep {
  const experiments::Experiment* experiment = nullptr;
  config::SweepSpec spec;
  std::unique_ptr<grid::TaskTable> table;
  std::vector<experiments::Column> columns;  // every cell's columns; curves at their longest
};

// Reads, validates and expands a spec (throws config_error).
Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides);
// The same from spec text (e.g. the one stored in a results file).
Sweep load_sweep_text(const std::string& text, const std::string& origin,
                      const std::vector<std::string>& overrides);

// A column kind as the results file's `kind` attribute and `nnsweep list` name it.
std::string kind_name(experiments::Column::Kind kind);

// The results file's view of the experiment's columns.
std::vector<io::ColumnSpec> result_columns(const std::vector<experiments::Column>& columns);

// Throws config_error unless `file` has exactly the result columns this nnsweep writes for
// `sweep` (an older or newer nnsweep may not): checked before resuming or merging into it.
void check_columns(const io::ResultsFile& file, const Sweep& sweep);

// Throws config_error unless `file` was written for `sweep`: the same experiment, the same result
// columns (check_columns) and the same value for every spec key — the differing keys are named.
// `against` names where `sweep` came from in the message ("" for the spec given); `fix` ends it.
void check_same_sweep(const io::ResultsFile& file, const Sweep& sweep, const std::string& against,
                      const std::string& fix);

// Work units: each cell's seeds split by the experiment's preferred pack, with their cost.
// Only tasks with `pending[task]` true are included.
std::vector<sched::WorkUnit> work_units(const Sweep& sweep, const std::vector<bool>& pending);

// The tasks of shard `index` of `count`: whole cells, split into cost-balanced parts by greedy
// longest-first assignment (deterministic), so array jobs share the work evenly.
std::vector<bool> shard_tasks(const Sweep& sweep, std::size_t index, std::size_t count);

// Runs a unit: the kernel on its replicas, theory and the cell's columns once per cell (cached),
// values laid out in the file's column order. Kernel exceptions become failed records (measured
// values NaN, theory kept); they never escape. For tests, the environment variable
// NNSWEEP_FAIL_TASKS=3,7 makes those tasks fail as if their kernel threw, and
// NNSWEEP_TASK_DELAY=0.3 makes every task take 0.3 s longer (a cancellable sleep before the kernel,
// results unchanged), so a signal or time limit in a fault test surely finds work left.
class UnitRunner {
 public:
  UnitRunner(const Sweep& sweep, std::size_t pack);
  std::vector<grid::TaskRecord> operator()(const sched::WorkUnit& unit,
                                           const std::atomic<bool>& cancel);

 private:
  // What a cell's units share: its theory values (NaN where theory() throws) and its columns.
  struct Cell {
    std::vector<double> theory;
    std::vector<experiments::Column> columns;
  };
  const Cell& cell_of(std::size_t cell, const config::ParamSet& params);
  // NNSWEEP_TASK_DELAY's wait for `tasks` tasks; false: cancelled during it, so the unit's tasks
  // are abandoned (pending).
  bool wait_injected_delay(std::size_t tasks, const std::atomic<bool>& cancel) const;
  const Sweep& sweep_;
  std::size_t pack_;
  std::size_t values_per_record_ = 0;
  std::size_t theory_columns_ = 0;
  std::map<std::size_t, Cell> cells_;           // at most 64
  std::vector<std::size_t> injected_failures_;  // NNSWEEP_FAIL_TASKS: fault injection for tests
  double injected_delay_s_ = 0;                 // NNSWEEP_TASK_DELAY: seconds per task, for tests
};

// Commits records to the results file: drops pending ones, stamps the run index and counts the
// attempt (reading only the rows it commits), buffers briefly so tiny units do not cost one write
// each: it commits at least every `options.flush_seconds`, the scheduler's own commit interval.
class FileSink : public sched::ResultSink {
 public:
  FileSink(io::ResultsFile* file, int run, const sched::Options& options);
  void accept(std::vector<grid::TaskRecord> records) override;
  void flush() override;
  std::size_t committed() const { return committed_; }

 private:
  io::ResultsFile* file_;
  int run_;
  double flush_seconds_;
  std::vector<grid::TaskRecord> buffer_;
  std::chrono::steady_clock::time_point last_flush_;
  std::size_t committed_ = 0;
};

}  // namespace nnsweep::app
