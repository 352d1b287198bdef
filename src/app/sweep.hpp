#pragma once
// What every subcommand that reads a spec needs: the experiment, the validated spec, the task
// table and the result columns; and the checks that a results file belongs to a sweep.
#include <memory>
#include <string>
#include <vector>

#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/grid/columns.hpp"
#include "nnsweep/grid/task_table.hpp"
#include "nnsweep/io/results_file.hpp"

namespace nnsweep::app {

struct Sweep {
  const experiments::Experiment* experiment = nullptr;
  config::SweepSpec spec;
  std::unique_ptr<grid::TaskTable> table;
  grid::ColumnOptions column_options;  // the spec's switches that add columns
  grid::ColumnSet columns;  // every cell's columns, each dimension and string at its longest
};

// Validates and expands a spec for `experiment` (which need not be registered: tests use their
// own). Throws config_error.
Sweep load_sweep(const experiments::Experiment& experiment, const config::RawSpec& raw);
// Reads, validates and expands a spec (throws config_error).
Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides);
// The same from spec text (e.g. the one stored in a results file).
Sweep load_sweep_text(const std::string& text, const std::string& origin,
                      const std::vector<std::string>& overrides);

// Throws config_error unless `file` has exactly the result columns this nnsweep writes for
// `sweep` (an older or newer nnsweep may not): checked before resuming or merging into it.
void check_columns(const io::ResultsFile& file, const Sweep& sweep);

// Throws config_error unless `file` was written for `sweep`: the same experiment, the same result
// columns (check_columns) and the same value for every spec key — the differing keys are named.
// `against` names where `sweep` came from in the message ("" for the spec given); `fix` ends it.
void check_same_sweep(const io::ResultsFile& file, const Sweep& sweep, const std::string& against,
                      const std::string& fix);

}  // namespace nnsweep::app
