#pragma once
// The `linear_teacher` experiment (Sarussi, Brutzkus & Globerson 2021): SGD on the logistic
// loss trains a two-layer Leaky-ReLU network on linearly separable data to zero error, and the
// hidden neurons collapse into two clusters, which makes the decision boundary linear.
// docs: shared/design/EXPERIMENTS.md §2; definitions of the metrics: research/papers_AB.md A.4.
//
// Random streams: one seed drives the teacher, the data, the initialisation and the batch
// order, and nothing else does. Every stream is keyed by (sweep_seed, a fixed key of this
// experiment, seed, purpose) — not by the task key: streams() keeps no parameter, so the key is
// `stream_key`, and the kernel indexes the streams by the seed — so cells that differ only in
// training parameters (σ₀, α, k, η, b, loss, second layer, epochs) see the same teacher, the same
// training and test sets and the same batch order for the same seed, and the same standard
// normals behind their initial weights (w_i = σ₀/√d · z_i): the σ₀ = 1 vs σ₀ = 0.01 comparison
// of V-A4 is paired. Data parameters (d, n_train, n_test, γ) change the data, as they must.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/nn/network.hpp"

namespace nnsweep::nn {
struct RunStats;
}

namespace nnsweep::experiments {

const Experiment& linear_teacher_experiment();

namespace linear_teacher {

// One task's parameters (resolved).
struct Problem {
  std::int64_t k = 50;  // hidden units per sign (`width`)
  double alpha = 0.1, sigma0 = 0.01, gamma = 0.2;
  std::int64_t d = 10, n_train = 200, n_test = 5000;
  double lr = 0.1;
  std::int64_t batch = 1, epochs = 200;
  nn::LossKind loss = nn::LossKind::logistic;
  bool train_second_layer = false;
  std::int64_t log_points = 30;
  bool single_precision = false;
  bool save_weights = false;  // the sweep's save_weights: keep each replica's final weights
};

Problem problem_of(const config::ParamSet& params);

// The stream key of this experiment's streams (see the header comment; replica.key() gives it);
// the Gaussian probes of agr_g use stream_key ^ 1 (purpose test_data, like the test set, so they
// need another key).
inline constexpr std::uint64_t stream_key = 0x6c696e5f74656163ULL;  // "lin_teac"

// One replica's data, as the network sees it (rounded to the run's precision), rescaled by
// the largest training norm: teacher w* (unit norm), training and test sets with margin
// rejection and teacher labels, and the Gaussian probes of agr_g (no rejection).
struct Data {
  std::vector<double> teacher;           // d
  std::vector<double> x_train, y_train;  // n_train × d, n_train (±1)
  std::vector<double> x_test, y_test;    // n_test × d, n_test
  std::vector<double> x_probe;           // n_test × d
  double scale = 1;                      // the largest training norm before rescaling
};
Data make_data(const Problem& problem, const Replica& replica);

// The metrics recorded at the end and, as curves, at every evaluation epoch.
enum Metric : std::size_t {
  train_loss,
  train_error,
  test_error,
  align_mean,
  align_min,
  cohesion_mean,
  cohesion_min,
  spread,
  agr_d,
  agr_g,
  pattern_agreement,
  rank_ratio,
  antipodality,
  metric_count
};
const char* metric_name(Metric metric);

// The columns of a cell: each metric after the last epoch, zero_error_epoch, each metric as a
// curve `curve_<metric>` over `log_point`, curve_epoch (the evaluation epochs), and with
// save_weights `weights`: w (2k × d, row-major, the first k units of sign +1) then v (2k).
struct Columns {
  std::array<grid::ScalarId, metric_count> metric;
  grid::ScalarId zero_error_epoch;
  std::array<grid::CurveId, metric_count> curve;
  grid::CurveId curve_epoch;
  grid::CurveId weights;
};
Columns declare(const Problem& problem, grid::ColumnSet& columns);

// The metrics of one network from its first-layer weights w (2k × d, row i = neuron i; the
// first k have sign +1) and the network outputs on the training, test and probe sets.
void measure(const Problem& problem, const Data& data, const std::vector<double>& w,
             const std::vector<double>& out_train, const std::vector<double>& out_test,
             const std::vector<double>& out_probe, double* metrics);

// Evaluation epochs: log-spaced in [0, epochs], `log_points` long (fewer if epochs is small).
std::vector<std::int64_t> evaluation_epochs(const Problem& problem);

// What an observer sees at each evaluation epoch of each (live) replica; used by tests.
struct Observation {
  std::size_t replica;  // index into the replicas given to train()
  std::int64_t epoch;
  const std::vector<double>& w;  // 2k × d first-layer weights
  const std::vector<double>& v;  // 2k second-layer weights
  const double* metrics;         // metric_count values
  // The network outputs on the training, test and probe sets (as `measure` takes them).
  const std::vector<double>& out_train;
  const std::vector<double>& out_test;
  const std::vector<double>& out_probe;
};
using Observer = std::function<void(const Observation&)>;

// Trains the replicas (all of one cell) in packs and returns one result per replica, its row
// (declare()'s columns) holding the metrics at the last epoch, zero_error_epoch, the curves and
// curve_epoch.
// `stats`, when given, receives the driver's timings (bench/engine).
std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, const Observer& observer = {},
                              nn::RunStats* stats = nullptr);

}  // namespace linear_teacher
}  // namespace nnsweep::experiments
