#pragma once
// Aggregation of a results file for `nnsweep report` and `nnsweep status`: per grid cell (the
// parameters in `by`), the mean ± sem over seeds of each metric beside its theory value, with
// the z-score; and task counts by status. Computed from the file, never stored in it.
#include <string>
#include <vector>

#include "nnsweep/io/results_file.hpp"
#include "nnsweep/report/table.hpp"

namespace nnsweep::report {

struct CellStatistic {
  std::vector<std::string> cell;  // values of the `by` parameters
  std::string metric;
  std::size_t count = 0;                        // done tasks that contributed
  double mean = 0, sem = 0, theory = 0, z = 0;  // NaN where not available
  std::string theory_kind;  // the contributing tasks' TheoryKind name, "mixed", or ""
};

// Parameters with more than one value in the file, the replicate axes excluded (the default
// `by`: a cell pools its replicas, e.g. over `seed`).
std::vector<std::string> swept_parameters(const io::ResultsFile& file);
// Scalar metric columns (not the _sem companions).
std::vector<std::string> metric_names(const io::ResultsFile& file);

// Mean over the done tasks of each cell; sem = the larger of sd/√n over its tasks and
// √Σ sem_i² / n from the tasks' own `<metric>_sem` (Monte Carlo errors). Theory (the column that
// `predicts` the metric): one value for the whole cell is shown with z = (mean − theory) / sem; a
// prediction per task (every contributing task has one) is shown as its mean, with z the mean of
// the paired differences (metric − theory) over their sem. theory_kind: of the tasks' theory.
std::vector<CellStatistic> aggregate(const io::ResultsFile& file,
                                     const std::vector<std::string>& by,
                                     const std::vector<std::string>& metrics);
Table statistics_table(const std::vector<CellStatistic>& statistics,
                       const std::vector<std::string>& by, Format format);

// Task counts by status, overall and per value of each `by` parameter; failed tasks listed.
std::string status_text(const io::ResultsFile& file, const std::vector<std::string>& by,
                        Format format);

}  // namespace nnsweep::report
