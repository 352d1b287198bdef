#pragma once
// The engine under random_network.hpp: moments of the Markov chain of k×k covariances T_l of
// (z_j, ∂z_j/∂x) from layer to layer, T_{l+1} = C_b e₀e₀ᵀ + (C_W/n_l) Σ_j φ(y_j)φ(y_j)ᵀ with
// y_j ~ N(0, T_l) iid and φ(y) = (σ(y₀), σ'(y₀)y₁, …). Any starting T₁; exposed for tests.
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "nnsweep/theory/random_network.hpp"

namespace nnsweep::theory {

// Position of T_ab (either order) in vech(T) = (T_00, T_01, …, T_0,k−1, T_11, T_12, …, T_k−1,k−1).
int vech_index(int a, int b, int k);

// First two moments of the output-layer T = T_{L+1}.
struct CovarianceLaw {
  Eigen::MatrixXd mean;        // E T (k×k); leading order: the LO mean μ
  Eigen::MatrixXd covariance;  // Cov(vech T, vech T) (k(k+1)/2 square); leading order: O(1/n) term
  double k2_correction = 0;    // leading order only: the O(1/n) correction δK to E T₀₀
};

// Exact two-moment recursion for σ(z) = max(z, αz) (index pairings of Isserlis' theorem).
// Cost O(k⁴) per layer: meant for small k (random_network.cpp runs it at k = 4).
CovarianceLaw homogeneous_exact_law(const Eigen::MatrixXd& t1,
                                    const std::vector<std::int64_t>& widths, double cw, double cb,
                                    double alpha);

// Leading order in 1/n: μ_{l+1} = F(μ_l), C_{l+1} = J C_l Jᵀ + (C_W²/n_l) N(μ_l), C₁ = 0, and the
// NLO mean shift δK_{l+1} = χ∥ δK_l + (C_W/2) ∂²_K⟨σ²⟩_K Var(T₀₀,l). Cost O(k⁶) per layer.
CovarianceLaw leading_order_law(const Eigen::MatrixXd& t1, const std::vector<std::int64_t>& widths,
                                double cw, double cb, const ScalarFunction& sigma);

// One layer of the leading-order recursion at a given T (T₀₀ > 0).
struct LayerMoments {
  Eigen::MatrixXd next_mean;  // F(T) = C_b e₀e₀ᵀ + C_W E[φφᵀ]
  Eigen::MatrixXd jacobian;  // ∂ vech F / ∂ vech T (a symmetric pair T_ab = T_ba moves together)
  Eigen::MatrixXd noise;     // N = Cov(vech φφᵀ, vech φφᵀ) of one unit
  double chi_parallel = 0;   // χ∥ = C_W ∂_K⟨σ²⟩_K at K = T₀₀
  double curvature = 0;      // ∂²_K⟨σ²⟩_K at K = T₀₀
};
// Gaussian averages use the `order`-point Gauss–Hermite rule (even orders integrate kinks at 0
// exactly).
LayerMoments layer_moments(const Eigen::MatrixXd& t, double cw, double cb,
                           const ScalarFunction& sigma, int order = 160);

}  // namespace nnsweep::theory
