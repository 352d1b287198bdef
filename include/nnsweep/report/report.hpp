#pragma once
// Aggregation of a results file for `nnsweep report` and `nnsweep status`: per grid cell (the
// parameters in `by`), the mean ± sem over seeds of each metric beside its theory value, with
// the z-score; and task counts by status. Computed from the file, never stored in it.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nnsweep/io/results_file.hpp"
#include "nnsweep/report/table.hpp"

namespace nnsweep::report {

// How far a cell's mean ± sem can be trusted (docs/statistics.md; python/nnsweep/aggregate.py
// applies the same rule):
//   proportion  the metric is 0/1 (no `<metric>_sem` column, every done value in the file 0 or
//               1): the cell's mean is a proportion k/n, given a Wilson 95% interval, no z;
//   unresolved  some counted task's `<metric>_max_share` (the largest single sample's share of
//               its estimator) exceeds max_share_limit: rare samples dominate, the sem means
//               nothing, no z;
//   ok          otherwise (mean ± sem and z stand);
//   none        no done task in the cell.
enum class Trust { none, ok, unresolved, proportion };
std::string_view trust_name(Trust trust);
inline constexpr double max_share_limit = 0.5;
inline constexpr double wilson_z = 1.959963984540054;  // 95% two-sided

// Wilson score interval of k successes in n trials at `wilson_z` ([NaN, NaN] when n = 0).
std::pair<double, double> wilson_interval(double k, double n);

struct CellStatistic {
  std::vector<std::string> cell;  // values of the `by` parameters
  std::string metric;
  std::size_t count = 0;                        // done tasks that contributed
  double mean = 0, sem = 0, theory = 0, z = 0;  // NaN where not available (z: unless trust ok)
  std::string theory_kind;  // the contributing tasks' TheoryKind name, "mixed", or ""
  Trust trust = Trust::none;
  double max_share = 0;      // largest `<metric>_max_share` of the counted tasks (NaN if none)
  double low = 0, high = 0;  // proportion: the Wilson interval (NaN otherwise)
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
// What the trust column means, in words, for the verdicts that occur ("" when all are ok).
std::string trust_notes(const std::vector<CellStatistic>& statistics);

// Task counts by status, overall and per value of each `by` parameter; failed tasks listed.
std::string status_text(const io::ResultsFile& file, const std::vector<std::string>& by,
                        Format format);

}  // namespace nnsweep::report
