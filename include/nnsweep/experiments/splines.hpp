#pragma once
// The `splines` experiment (Parhi & Nowak 2021/22; Savarese et al. 2019; Boursier & Flammarion
// 2023): ReLU networks trained with weight decay learn sparse linear splines. In 1-D the global
// optimum of the training objective J = (1/N)Σ(f(x_i) − y_i)² + λ·W(θ) equals the optimum J* of
// a small convex problem over fitted values (theory/splines.hpp), and trained nets reach it with
// few knots; deep nets trained with weight decay have low-rank weight matrices.
// docs: shared/design/EXPERIMENTS.md §4; definitions: research/paper_D.md §2–§5, checks §7.
//
// Models (depth = layers of weights, width K per hidden layer, input dimension d):
//   pn   f(x) = W_L σ(… σ(W_1 x + b_1) …) + aᵀx + c,  W = ½Σ_ℓ‖W_ℓ‖²_F  (skip a, c and biases free)
//   ses  f(x) = W_L σ(… σ(W_1 x + b_1) …) + c        (no skip; output bias c free; a plain MLP)
//   bf   as pn, W = ½Σ_ℓ(‖W_ℓ‖²_F + ‖b_ℓ‖²)           (hidden biases penalised too)
// Data (`data`): grid — N jittered points x_i = −1 + (2i − 1 + U(−½,½))/N, y_i ~ U(−1,1), and for
// d > 1 the collinear embedding x_i·u (u a random unit vector); linear — the same points with
// y_i = 2x_i + 0.1·U(−1,1); index — x_i ~ N(0, I_d), y_i = |u₁ᵀx_i| + ½(u₂ᵀx_i)² (u₁ ⊥ u₂ unit).
//
// Random streams: the data depend on (seed, n_points, d, data) alone and the initial weights on
// (seed, width, depth, d, init_scale) alone, so cells that differ in λ, reg_mode, optimizer, lr
// or steps are paired: the same points and the same initial network per seed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnsweep/experiments/experiment.hpp"

namespace nnsweep::nn {
struct RunStats;
}

namespace nnsweep::experiments {

const Experiment& splines_experiment();

namespace splines {

enum class RegMode { pn, ses, bf };
enum class DataKind { grid, linear, index };

// One task's parameters (resolved).
struct Problem {
  std::int64_t n_points = 8, width = 100, depth = 2, d = 1;
  double wd = 1e-2;   // λ when wd_rel = 0
  double wd_rel = 0;  // > 0: λ = wd_rel·λ_max of the task's data
  RegMode reg_mode = RegMode::pn;
  bool adam = true;  // else full-batch gradient descent
  double lr = 1e-3;
  std::int64_t steps = 20000;
  bool single_precision = false;
  DataKind data = DataKind::grid;
  double init_scale = 1;
  std::int64_t log_points = 30, grid_points = 101;
  bool save_weights = false;

  bool shallow() const { return depth == 2; }
  bool on_a_line() const { return data != DataKind::index; }  // x_i = t_i·u
  // Whether J* (theory/splines.hpp) applies: one hidden layer, data on a line.
  bool exact_theory() const { return shallow() && on_a_line(); }
};

Problem problem_of(const config::ParamSet& params);

inline constexpr std::uint64_t stream_key = 0x73706c696e657321ULL;  // "splines!"

// One replica's data: positions t (the 1-D coordinate: x_i = t_i·u on a line, or u₁ᵀx_i for
// index data), inputs x (N × d, row-major), targets y, and the planted directions (d × 1 on a
// line, d × 2 for index data; column-major). Rounded to the run's precision.
struct Data {
  std::vector<double> t, x, y, u;
};
Data make_data(const Problem& problem, const Replica& replica);

// A network's parameters in double, in nn::Layout order of the task's TrainSpec: per layer W
// (row-major) then b (hidden layers; the ses output layer), then the skip's a (d) and c (pn, bf).
struct Net {
  std::vector<std::vector<double>> w, b;  // per layer
  std::vector<double> a;                  // skip weights (empty: none)
  double c = 0;                           // skip bias or output bias
  std::int64_t d = 1;
  double operator()(const double* x) const;  // f(x), x of length d
};
Net unpack(const Problem& problem, const std::vector<double>& theta);

// The restriction of a shallow net to the line x = t·u: f(t·u) = Σ v_k relu(w_k t + b_k) + a t + c
// with w_k = W_kᵀu (for d = 1, u = 1: the net itself), plus the neurons' full norms ‖W_k‖.
struct LineNet {
  std::vector<double> w, b, v, norm;
  double a = 0, c = 0;
  double operator()(double t) const;
};
LineNet on_line(const Net& net, const std::vector<double>& u);

// Knots of a line net (paper_D.md §3): t_k = −b_k/w_k for |w_k| > 1e-12·max|w|, jump
// c_k = v_k|w_k|; clusters by single linkage with gap <= δ, location the |c|-weighted mean,
// jump the signed sum; effective = clusters with |C_j| >= τ·Σ|C_j| located in [x₁−δ, x_N+δ].
struct Cluster {
  double location = 0, jump = 0;
};
struct Knots {
  std::vector<double> positions, jumps;  // per neuron with a knot, sorted by position
  std::vector<Cluster> clusters;
  double tv = 0;                            // TV(f'): Σ over exactly coincident knots |Σ c_k|
  int active = 0;                           // raw count: neurons with |c_k| > 1e-6·Σ|c|
  int effective = 0;                        // effective knots
  std::vector<Cluster> effective_clusters;  // those clusters, by location
};
// δ = min(0.01·(t_N − t_1), 0.25·min gap) (§3.4) for sorted data positions t.
double cluster_width(const std::vector<double>& t);
Knots knots(const LineNet& net, const std::vector<double>& t, double delta, double tau = 0.01);

// V(f) = Σ_{i=2}^{N−1}|s_i − s_{i−1}| over fitted values f_i at sorted t.
double fitted_tv(const std::vector<double>& t, const std::vector<double>& f);
// Misplaced knot mass (§3.6): the share of Σ|C_j| in clusters outside the set where a PN optimum
// with fitted values f may have knots (0 at every PN optimum).
double misplaced(const std::vector<double>& t, const std::vector<double>& f,
                 const std::vector<Cluster>& clusters, double delta);

// Stable rank ‖M‖²_F/‖M‖²₂ and numerical rank #{σ_i > τσ_1} of a rows × cols row-major matrix.
double stable_rank(const std::vector<double>& m, std::int64_t rows, std::int64_t cols);
int numerical_rank(const std::vector<double>& m, std::int64_t rows, std::int64_t cols,
                   double tau = 1e-2);

// The metrics at every evaluation point (the curves) and after the last step.
enum Metric : std::size_t {
  objective,  // J = mse + λ·penalty
  mse,        // (1/N)Σ(f(x_i) − y_i)²
  penalty,    // W: ½Σ‖W_ℓ‖²_F (+ ½Σ‖b_ℓ‖² in bf)
  path_norm,  // P = Σ_k|v_k|‖w_k‖ (one hidden layer)
  knots_raw,  // `knots`
  knots_effective,
  tv,              // TV(f') along the line
  tv_fit,          // V(f) of the net's fitted values
  rho,             // P/V(f)
  penalty_ratio,   // W/P
  misplaced_mass,  // `misplaced`
  balance,    // max_k|v_k² − ‖w_k‖² (− b_k²)| / max_k(v_k² + ‖w_k‖² (+ b_k²))
  alignment,  // first layer with the planted directions: ‖W₁U‖²_F/‖W₁‖²_F (d > 1)
  metric_count
};
const char* metric_name(Metric metric);

// All metrics of one network (NaN where one does not apply) and its fitted values.
void measure(const Problem& problem, const Data& data, double lambda, const Net& net,
             double* metrics, std::vector<double>* fitted = nullptr);

// The exact theory of one task's data (paper_D.md §4; NaN where it does not apply).
struct Theory {
  double lambda = 0, lambda_max = experiments::nan;
  double objective = experiments::nan;   // J* (pn), J*_SES (ses), J*_PN as a lower bound (bf)
  double tv = experiments::nan;          // V(y)
  double tv_optimum = experiments::nan;  // V(z*) = TV(f') of every pn optimum (pn only)
  double knots = experiments::nan;       // sparsest knot count of the PN optimum z*
  std::vector<double> z;                 // z* (pn/bf), the SES minimiser (ses)
};
Theory theory_of(const Problem& problem, const Data& data);

// Evaluation steps: log-spaced in [0, steps], `log_points` long.
std::vector<std::int64_t> evaluation_steps(const Problem& problem);

// The columns of a cell: every metric after the last step; objective_ratio J/J*, lambda (the λ
// used), fit_gap max_i|f(x_i) − z*_i|; the theory theory_objective, theory_tv, theory_tv_optimum,
// theory_knots, lambda_max; curves `curve_<m>` over `log_point` for m in curve_metrics and
// curve_step; per layer stable_rank, numerical_rank; data_x, data_y over `point`; function_x,
// function over `grid_point`; knot_location, knot_jump over `knot` (the effective knots); with
// save_weights `weights` (θ in Layout order).
inline constexpr std::array<Metric, 5> curve_metrics = {objective, mse, penalty, path_norm,
                                                        knots_effective};
struct Columns {
  std::array<grid::ScalarId, metric_count> metric;
  grid::ScalarId objective_ratio, lambda, fit_gap;
  grid::TheoryId theory_objective, theory_tv, theory_tv_optimum, theory_knots, lambda_max;
  std::array<grid::CurveId, curve_metrics.size()> curve;
  grid::CurveId curve_step, stable_rank, numerical_rank, data_x, data_y, function_x, function;
  grid::CurveId knot_location, knot_jump;
  grid::CurveId weights;
};
Columns declare(const Problem& problem, grid::ColumnSet& columns);
std::size_t parameter_count(const Problem& problem);
// The positions of the function curve: grid_points evenly spaced in [−1.2, 1.2].
std::vector<double> function_grid(const Problem& problem);

// Trains the replicas of one cell; one result per replica (the columns of the experiment).
// `stats`, when given, receives the driver's timings (bench).
std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, nn::RunStats* stats = nullptr);

}  // namespace splines
}  // namespace nnsweep::experiments
