#pragma once
// The `symmetry` experiment (Şimşek et al. 2021): a two-layer student f(x) = Σ_j a_j g(w_j·x) of
// width m = r* + h learning a teacher of width r* (no biases) has T(r*, m) affine subspaces of
// global minima and G(r, m) subspaces of symmetry-induced critical points grown from a width-r
// critical point. Students are trained by full-batch GD or Adam (the replica-training driver),
// polished to ‖∇L‖∞ < 1e-10 in double (nn/polish.hpp), and their end points classified:
// on the global-minima manifold, zero-type neurons, replicated critical points of width r̂.
// docs: shared/design/EXPERIMENTS.md §5; derivations and protocol: research/papers_CE.md §C.
//
// Random streams: the teacher and the N training inputs depend on `teacher_seed`, r* and d alone
// (Purpose::data, index teacher_seed; the teacher first, so a smaller N is a prefix of a larger);
// the student's Glorot-normal start on `seed`, m and d alone (Purpose::init, index seed). Cells
// that differ in the optimizer, lr, steps, polish or activation are paired: the same teacher, data
// and initial normals.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/nn/polish.hpp"
#include "nnsweep/nn/random.hpp"
#include "nnsweep/nn/reference.hpp"

namespace nnsweep::nn {
struct RunStats;
}

namespace nnsweep::experiments {

const Experiment& symmetry_experiment();

namespace symmetry {

struct Problem {
  std::int64_t r = 4;  // teacher width r* (`teacher_width`)
  std::int64_t m = 8;  // student width (`width`)
  std::int64_t d = 4;  // input dimension
  std::int64_t n_train = 2000;
  nn::Activation activation{nn::ActivationKind::g, 0};
  bool adam = false;
  double lr = 0.02;
  std::int64_t steps = 10000;
  std::optional<nn::PolishMethod> polish = nn::PolishMethod::levenberg_marquardt;  // none: off
  std::int64_t polish_steps = 300;
  bool single_precision = false;
  std::int64_t teacher_seed = 0;
  bool save_weights = false;
};
Problem problem_of(const config::ParamSet& params);

// Thresholds of the classification (papers_CE.md §C.6).
inline constexpr double replica_tolerance = 1e-3;   // ‖w_j − w*_i‖/‖w*_i‖
inline constexpr double merge_tolerance = 1e-3;     // ‖w_j − w_k‖/max(‖w_j‖, ‖w_k‖)
inline constexpr double zero_tolerance = 1e-4;      // |Σ a| / max|a*|
inline constexpr double output_tolerance = 1e-4;    // |Σ_{f(j)=i} a_j − a*_i| / |a*_i|
inline constexpr double critical_tolerance = 1e-6;  // ‖∇L‖∞ of the reduced net: critical
inline constexpr double hessian_zero = 1e-8;        // |λ| <= 1e-8·|λ|max: a zero eigenvalue
inline constexpr double zero_loss = 1e-9;           // L <= 1e-9·Var(y): at zero loss
// A non-converged polish is a channel to infinity when two w's are this close in cosine while
// one of their |a| exceeds channel_output·Σ|a*|.
inline constexpr double channel_cosine = 1e-4;
inline constexpr double channel_output = 10;

// Teacher rows w*_i (r × d, row-major) and output weights a*_i: w* ~ N(0, I/d), a* ~ N(0, 1),
// redrawn (the whole teacher) until min_{i≠j} 1 − cos(w*_i, w*_j) > 0.05 and min|a*_i| > 0.1.
struct Teacher {
  std::int64_t r = 0, d = 0;
  std::vector<double> w, a;
  int redraws = 0;
};
Teacher make_teacher(std::int64_t r, std::int64_t d, nn::NormalSampler& normal);

// The network of a width-m student of dimension d: parameters θ = (w: m × d row-major, a: m),
// nn::Layout order.
nn::NetworkSpec student_network(std::int64_t m, std::int64_t d, const nn::Activation& activation);
// θ of a student with rows w (k × d) and outputs a (k).
Eigen::VectorXd parameters(const std::vector<double>& w, const std::vector<double>& a);

// One teacher's data: x ~ N(0, I_d) (n × d), y = f*(x); rounded to float when `single`.
struct Data {
  Teacher teacher;
  nn::Samples samples;
  double variance = 0;  // Var(y) over the samples (mean removed, divisor n)
};
Data make_data(const Problem& problem, const Replica& replica);
// The same for a given teacher (tests), inputs from `normal`.
Data make_data(const Teacher& teacher, std::int64_t n, const nn::Activation& activation,
               nn::NormalSampler& normal, bool single = false);

// The classification of an end point (papers_CE.md §C.6). Neurons whose w's are within
// merge_tolerance are merged first (their a's summed); a merged neuron within replica_tolerance
// of teacher i is a replica of i (f = i), else one with |Σa| < zero_tolerance·max|a*| is
// zero-type (f = 0, a cancelling pair included), else it is "other" (f = −1).
struct Classification {
  std::vector<int> map;  // per student neuron: teacher 1..r, 0 zero-type, −1 other
  int zero_type = 0;     // k0: neurons with f = 0
  int r_hat = 0;         // merged neurons that are not zero-type (the reduced width)
  bool on_manifold = false;
  double distance = 0;  // D of §C.6 when f (others as 0) is onto {1..r}; NaN otherwise
  // The reduced net (merged, zero-type dropped): rows and outputs, r_hat of them.
  std::vector<double> reduced_w, reduced_a;
  std::string subspace() const;  // "f(1),f(2),…" with − for others
};
Classification classify(const Teacher& teacher, const Eigen::VectorXd& theta, std::int64_t m);

// Hessian spectrum at θ: exact Hessian in double, symmetric eigensolver.
struct Spectrum {
  double min = 0, max = 0;
  int negative = 0, zero = 0;  // λ < −tol, |λ| <= tol, tol = hessian_zero·max|λ|
};
Spectrum spectrum(const Eigen::MatrixXd& hessian);

// Metrics of the results file (order of the columns).
enum Metric : std::size_t {
  loss,            // final loss (after the polish)
  grad_norm,       // ‖∇L‖∞ at the end, recomputed
  train_loss,      // loss after first-order training, before the polish
  zero_loss_flag,  // L <= zero_loss·Var(y)
  on_manifold,
  zero_type,
  r_hat,
  manifold_distance,
  reduced_grad_norm,  // ‖∇L‖∞ of the reduced width-r̂ net
  reduced_critical,   // reduced_grad_norm < critical_tolerance
  hessian_min,
  hessian_max,
  hessian_negative,
  hessian_zero_count,
  polish_outcome,  // 0 converged, 1 budget, 2 non_finite, 3 channel; NaN without polish
  polish_steps_used,
  target_variance,
  metric_count
};
const char* metric_name(Metric metric);

// The result columns (one declaration, used by columns(), run() and theory()).
struct Columns {
  grid::ScalarId metric[metric_count];
  grid::TextId subspace;
  grid::TheoryId theory_T, theory_G, theory_hessian_zero;
  grid::TextId theory_T_exact, theory_G_exact;
  grid::ScalarId log10_T, log10_G, log10_G_over_T;
  grid::CurveId weights;
};
Columns declare(const Problem& problem, grid::ColumnSet& columns);
// The parameter-only theory columns: T(r*, m), G(r* − 1, m), their exact decimals and logs.
void fill_theory(const Problem& problem, const Columns& ids, grid::Row& row);

// Trains, polishes and classifies the replicas (one result each), `problem` being one cell.
std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, nn::RunStats* stats = nullptr);

}  // namespace symmetry
}  // namespace nnsweep::experiments
