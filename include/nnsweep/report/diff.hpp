#pragma once
// `nnsweep diff A.h5 B.h5`: compares two results files cell by cell (docs/statistics.md, "Comparing
// two sweeps"). Per common cell and metric: the difference of the means in units of the combined
// standard error, z = (mean_A − mean_B) / √(sem_A² + sem_B²), its two-sided normal p-value, and a
// verdict at family-wise level `alpha` after Holm's step-down correction over every tested
// (cell, metric) pair. Where both files come from the same build (nnsweep version, commit and
// -march), tasks with the same parameters are also compared bit for bit.
#include <string>
#include <vector>

#include "nnsweep/io/results_file.hpp"
#include "nnsweep/report/report.hpp"
#include "nnsweep/report/table.hpp"

namespace nnsweep::report {

// Holm's step-down adjusted p-values, in the order given: with p sorted ascending,
// adj_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)) (i, j from 1; m = p.size()). NaN entries are
// not tested: they stay NaN and do not count in m. Reject H_i iff adj_i ≤ alpha.
std::vector<double> holm_adjust(const std::vector<double>& p);

// Two-sided normal p-value of z: erfc(|z| / √2).
double two_sided_p(double z);

enum class Verdict {
  consistent,  // not rejected after Holm
  differ,      // rejected after Holm
  identical,   // same build and every matched task bit for bit equal (implies consistent)
  untested,    // a side has no done task, or a trust verdict other than ok/proportion
};
std::string_view verdict_name(Verdict verdict);

struct DiffRow {
  std::vector<std::string> cell;  // values of the `by` parameters
  std::string metric;
  std::size_t count_a = 0, count_b = 0;
  double mean_a = 0, sem_a = 0, mean_b = 0, sem_b = 0;
  double z = 0, p = 0, p_holm = 0;  // NaN when untested
  Verdict verdict = Verdict::untested;
};

struct DiffResult {
  std::vector<std::string> by, metrics;
  std::vector<DiffRow> rows;
  std::size_t tested = 0, differing = 0;
  std::size_t only_a = 0, only_b = 0;  // cells in one file only
  bool same_build = false;             // exact comparison was made
  std::size_t exact_tasks = 0;         // tasks matched by parameters when same_build
  std::size_t exact_equal = 0;         //   of which every metric was bit for bit equal
  std::vector<std::string> notes;      // differing fixed parameters, build differences
};

// Compares `a` with `b` (config_error: different experiments, no common metric or cell, a `by`
// parameter missing from one file). `by` empty: the swept parameters of either file (replicate
// axes excluded); `metrics` empty: the metrics of both.
DiffResult diff(const io::ResultsFile& a, const io::ResultsFile& b, std::vector<std::string> by,
                std::vector<std::string> metrics, double alpha);

// One row per (cell, metric): the `by` values, metric, n_a, mean_a, sem_a, n_b, mean_b, sem_b, z,
// p, p_holm, verdict (numbers plain; csv with 17 significant digits; NaN as empty).
Table diff_table(const DiffResult& result, Format format);
std::string diff_summary(const DiffResult& result, double alpha);

}  // namespace nnsweep::report
