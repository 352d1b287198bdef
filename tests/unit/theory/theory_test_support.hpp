#pragma once
// Shared helpers of the theory tests: activations, and a second, brute-force assembly of the
// output statistics from a chain law on the FULL basis (all n0 derivative coordinates, u = e₁),
// to check the four-coordinate reduction that random_network.cpp uses.
#include <cmath>

#include "nnsweep/theory/covariance_chain.hpp"
#include "nnsweep/theory/random_network.hpp"

namespace theory_test {

inline nnsweep::theory::ScalarFunction leaky(double alpha) {
  return {[alpha](double z) { return z > 0 ? z : alpha * z; },
          [alpha](double z) { return z > 0 ? 1.0 : alpha; }};
}

inline nnsweep::theory::ScalarFunction tanh_activation() {
  return {[](double z) { return std::tanh(z); },
          [](double z) {
            const double t = std::tanh(z);
            return 1 - t * t;
          }};
}

// Sums over every derivative coordinate p, q = 1..n0 of a law on the full k = 1 + n0 basis.
inline nnsweep::theory::OutputStatistics full_statistics(
    const nnsweep::theory::CovarianceLaw& law) {
  using nnsweep::theory::vech_index;
  const int k = static_cast<int>(law.mean.rows());
  auto cov = [&](int a, int b, int c, int d) {
    return law.covariance(vech_index(a, b, k), vech_index(c, d, k));
  };
  const Eigen::MatrixXd& mu = law.mean;
  nnsweep::theory::OutputStatistics out{};
  out.k2 = mu(0, 0) + law.k2_correction;
  out.r4 = 1 + cov(0, 0, 0, 0) / (mu(0, 0) * mu(0, 0));
  out.kappa4 = out.corr22 = out.r4 - 1;
  out.dz2 = mu(1, 1);
  out.rv4 = 1 + cov(1, 1, 1, 1) / (mu(1, 1) * mu(1, 1));
  double g2 = 0, var_trace = 0, trace_of_sq = 0;
  for (int p = 1; p < k; ++p) {
    g2 += mu(p, p);
    for (int q = 1; q < k; ++q) {
      var_trace += cov(p, p, q, q);
      trace_of_sq += mu(p, q) * mu(p, q) + cov(p, q, p, q);
    }
  }
  out.g2 = g2;
  out.g4_ratio = (g2 * g2 + var_trace + 2 * trace_of_sq) / (g2 * g2);
  return out;
}

}  // namespace theory_test
