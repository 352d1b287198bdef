#pragma once
// The `support` experiment (Beneventano, Pinto & Poggio 2024): mini-batch SGD drives to zero the
// first-layer weights on irrelevant inputs, full-batch GD fits the target but keeps them (unless
// weight decay is added); the effect is an implicit regularisation of order η/b.
// docs: shared/design/EXPERIMENTS.md §3; background and checks: research/papers_AB.md §B.
//
// Two models. `mlp`: a bias-free MLP d → H → … → H → 1 (He-normal init) trained by SGD with
// global-norm clipping and coupled weight decay on N = 2·n_train duplicated points with labels
// f ± ε, by the replica-training driver (nn/driver.hpp). `toy`: f = a·b·x on n_train scalar
// points (always in double, plain code), whose D = a² − b² obeys the exact per-step law
//   D_{t+1} = D_t·((1 − η·wd)² − 4η²c_t²m_t²),  m_t = ⟨(abx − y)x⟩_batch,
// c_t the clipping factor (1 without clipping); the kernel checks it at every step.
//
// Random streams (StreamKeys, streams()): the initialisation depends on the architecture and the
// seed only (d, width, depth, model), the data on (n_train, d, model) and the seed — so GD, SGD
// at every batch size and learning rate, GD + wd, every clip, target, r and ε of one seed start
// from bitwise the same weights and the same inputs (labels follow the target, r and ε). The
// batch order depends on every parameter, `batch_seed` included (a second replicate axis).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/nn/activation.hpp"

namespace nnsweep::nn {
struct RunStats;
}

namespace nnsweep::experiments {

const Experiment& support_experiment();

namespace support {

enum class Target { linear, sine, staircase };
enum class Model { mlp, toy };

// One task's parameters (resolved: batch is a number, batch >= points means full-batch GD).
struct Problem {
  Model model = Model::mlp;
  std::int64_t n_train = 5000;  // distinct points (mlp: N = 2·n_train after duplication)
  std::int64_t d = 15, relevant = 5, width = 15, depth = 3;
  nn::ActivationKind activation = nn::ActivationKind::identity;
  Target target = Target::linear;
  double label_noise = 0.001;
  std::int64_t batch = 8;  // counted in training points (mlp: duplicated points)
  double lr = 0.1, clip = 1, wd = 0;
  std::int64_t steps = 30000, log_points = 40;
  double toy_a = 4, toy_b = 2;  // toy: initial (a, b)
  bool single_precision = false;
  bool save_weights = false;

  // Training points: 2·n_train (mlp) or n_train (toy).
  std::int64_t points() const { return model == Model::toy ? n_train : 2 * n_train; }
  // The batch the optimizer uses: min(batch, points()).
  std::int64_t effective_batch() const { return batch < points() ? batch : points(); }
};

Problem problem_of(const config::ParamSet& params);

// The base key of the streams that keep no parameter.
inline constexpr std::uint64_t stream_key = 0x737570706f727431ULL;  // "support1"

// mlp data: x (n_train × d, row-major, irrelevant coordinates j >= r centred by their sample
// mean), the noiseless target f and the noise ε; the training set is (x_i, f_i + ε_i) for
// i < n_train, then (x_i, f_i − ε_i). Drawn in double: x row by row, then the n_train ε's (scaled
// by label_noise) from the data stream of the seed.
struct Data {
  std::vector<double> x, f, eps;
  double label(std::int64_t s, std::int64_t n_train) const {
    return s < n_train ? f[static_cast<std::size_t>(s)] + eps[static_cast<std::size_t>(s)]
                       : f[static_cast<std::size_t>(s - n_train)] -
                             eps[static_cast<std::size_t>(s - n_train)];
  }
};
Data make_data(const Problem& problem, const Replica& replica);

// toy data: n_train points x ~ N(0, 1) rescaled so that mean x² = 1, redrawn (all of them) while
// |mean x| < toy_min_mean so that y = 1/mean x stays bounded (|y| <= 20); y_i = 1/mean x for all i.
inline constexpr double toy_min_mean = 0.05;
struct ToyData {
  std::vector<double> x;
  double y = 0;
};
ToyData make_toy_data(const Problem& problem, const Replica& replica);

// The metrics of one first-layer matrix W1 (width × d, row-major; rows are hidden units):
// ‖W1[:, r:]‖_F, ‖W1[:, :r]‖_F and S = max_{j>=r}‖W1[:, j]‖ / min_{j<r}‖W1[:, j]‖ (NaN when r = 0
// or r = d).
struct FirstLayer {
  double irrelevant = 0, relevant = 0, support_ratio = 0;
};
FirstLayer first_layer(const double* w1, std::int64_t width, std::int64_t d, std::int64_t relevant);
// Stable rank ‖W‖_F²/‖W‖₂² of a row-major rows × cols matrix (NaN if not finite).
double stable_rank(const double* w, std::int64_t rows, std::int64_t cols);

// Metrics recorded at every evaluation point (mlp) and as curves.
enum Metric : std::size_t { irrelevant_norm, relevant_norm, support_ratio, mse, metric_count };
const char* metric_name(Metric metric);

// The columns of a cell. Scalars after the last step: rho, each Metric; toy: toy_gap,
// toy_law_error, decay_rate, theory_decay_rate (theory, per task), the derived lr_over_batch;
// curves over log_point: curve_step, curve_<metric> (mlp), curve_toy_gap (toy); arrays: `gram`
// |W1ᵀW1| (d × d) and `stable_rank` per layer; with save_weights, `weights`.
struct Columns {
  grid::ScalarId rho;
  std::array<grid::ScalarId, metric_count> metric;
  grid::ScalarId toy_gap, toy_law_error, decay_rate;
  grid::TheoryId theory_decay_rate;
  grid::ScalarId lr_over_batch;
  grid::CurveId curve_step;
  std::array<grid::CurveId, metric_count> curve;
  grid::CurveId curve_toy_gap;
  grid::ArrayId gram;
  grid::CurveId stable_rank;
  grid::CurveId weights;
};
Columns declare(const Problem& problem, grid::ColumnSet& columns);

// The η/b law of the toy (papers_AB.md B.5): the per-step decay rate of D on the minimum manifold
// ab = 1 with reshuffled batches, 4η²·Var_i(r_i x_i)·(n − b)/(b(n − 1)), r_i = x_i − y (the
// residual at ab = 1; its mean ⟨r x⟩ is 0 there).
double toy_theory_rate(const Problem& problem, const ToyData& data);

// What an observer sees at each evaluation point of each live mlp replica (tests only).
struct Observation {
  std::size_t replica;
  std::int64_t step;
  const std::vector<double>& theta;  // the parameters in nn::Layout order (W1, W2, …)
  const double* metrics;             // metric_count values
};
using Observer = std::function<void(const Observation&)>;

// Trains the replicas (all of one cell) and returns one result per replica (declare()'s row).
// `stats`, when given, receives the driver's timings (bench/engine).
std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, const Observer& observer = {},
                              nn::RunStats* stats = nullptr);

// The toy's trajectory of one replica, step by step (tests and the kernel): D after each step
// t = 0 … steps (D[0] the initial gap), and the law's largest relative deviation over the steps
// with 0.01 <= |D_t|.
struct ToyRun {
  std::vector<double> gap;  // steps + 1 values
  double law_error = 0;
  double a = 0, b = 0;  // final parameters
};
ToyRun run_toy(const Problem& problem, const ToyData& data, const Replica& replica);

}  // namespace support
}  // namespace nnsweep::experiments
