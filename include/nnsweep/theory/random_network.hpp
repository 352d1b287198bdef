#pragma once
// Theory columns of the `correlations` experiment (EXPERIMENTS.md §1, papers_CE.md part E): the
// law of one output z of a random fully connected net at a fixed input, and of its input
// gradient — exactly at finite width for max(z, αz), to leading order in 1/n for any σ.
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

namespace nnsweep::theory {

// An activation σ and its derivative σ' (σ' may jump at isolated points, e.g. ReLU at 0).
struct ScalarFunction {
  std::function<double(double)> value, derivative;
};

// The random net of EXPERIMENTS.md §1: z¹ = W¹x + b¹, z^{l+1} = W^{l+1}σ(z^l) + b^{l+1},
// W_ij ~ N(0, C_W/n_{l-1}), b ~ N(0, C_b).
struct RandomNetwork {
  std::vector<std::int64_t> widths;  // hidden widths n_1..n_L (L = widths.size() >= 1)
  std::vector<double> x;             // the fixed input; n0 = x.size()
  double cw = 2, cb = 0;
};

// Predictions for one output coordinate z and its input gradient; v = ∂z/∂x_1 (direction u = e_1).
struct OutputStatistics {
  double k2;        // E z²
  double r4;        // E z⁴ / (3 (E z²)²)  (= E s²/(E s)², s the conditional variance)
  double kappa4;    // r4 − 1
  double corr22;    // Cov(z_i², z_j²)/(E z²)² for two outputs i ≠ j  (= kappa4 exactly)
  double dz2;       // E v²
  double rv4;       // E v⁴ / (3 (E v²)²)
  double g2;        // E ‖∇ₓz‖²
  double g4_ratio;  // E ‖∇ₓz‖⁴ / (E ‖∇ₓz‖²)²
  bool exact;       // true: exact at finite width; false: leading order in 1/n
};

// k×k (k = 1+n0) covariance of (z_j, ∂z_j/∂x_1..∂z_j/∂x_n0) of a first-layer unit:
// C_b e₀e₀ᵀ + (C_W/n0) [[|x|², xᵀ], [x, I]].
Eigen::MatrixXd input_covariance(const RandomNetwork& net);

// EXACT at every width for σ(z) = max(z, αz): α = 0 ReLU, α = 1 linear, else leaky ReLU; any C_W,
// C_b, widths. Cost O(L), independent of n0.
OutputStatistics homogeneous_exact(const RandomNetwork& net, double alpha);

// Leading order in 1/n for any σ; k2 includes the 1/n correction (NLO). The variances and ratios
// are the O(1/n) terms (r4 − 1 = Var T₀₀/(E T₀₀)² with both at leading order). Cost O(L) with
// ~160 evaluations of σ and σ' per layer, independent of n0 (about 20 µs per layer).
OutputStatistics leading_order(const RandomNetwork& net, const ScalarFunction& sigma);

// Closed forms used by tests and docs: Π_l (1 + 5/n_l) and the leaky constant
// c(α) = 6(1+α⁴)/(1+α²)² − 1 (so that r4 = Π_l (1 + c(α)/n_l) when C_b = 0).
double relu_product(const std::vector<std::int64_t>& widths);
double leaky_constant(double alpha);

}  // namespace nnsweep::theory
