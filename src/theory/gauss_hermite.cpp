#include "nnsweep/theory/gauss_hermite.hpp"
#include "nnsweep/core/assert.hpp"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "nnsweep/core/error.hpp"

namespace nnsweep::theory {

namespace {

constexpr int max_order = 2000;

// Orthonormal Hermite polynomials p_k = He_k/√k! (orthonormal for N(0,1)) at x: returns p_n and
// p_{n−1} divided by exp(log_scale). Rescaling keeps far-tail nodes (p ~ 1e117 at order 300, more
// beyond) from overflowing; only ratios and logs of the values are used.
struct HermiteValues {
  double p_n = 0, p_n1 = 0, log_scale = 0;
};

HermiteValues orthonormal_hermite(int n, double x) {
  HermiteValues v;
  double prev = 0, cur = 1;  // p_{−1}, p_0
  for (int k = 0; k < n; ++k) {
    // p_{k+1} = (x p_k − √k p_{k−1}) / √(k+1)
    const double next = (x * cur - std::sqrt(static_cast<double>(k)) * prev) /
                        std::sqrt(static_cast<double>(k + 1));
    prev = cur;
    cur = next;
    if (std::abs(cur) > 1e150) {
      cur *= 1e-150;
      prev *= 1e-150;
      v.log_scale += 150 * std::log(10.0);
    }
  }
  v.p_n = cur;
  v.p_n1 = prev;
  return v;
}

GaussHermite compute_rule(int n) {
  GaussHermite rule;
  rule.nodes.resize(static_cast<std::size_t>(n));
  rule.weights.resize(static_cast<std::size_t>(n));
  if (n == 1) {
    rule.nodes[0] = 0;
    rule.weights[0] = 1;
    return rule;
  }
  // Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of the He recurrence
  // (zero diagonal, off-diagonal √k). Its eigenvector weights lose relative accuracy in the tails,
  // so only the nodes are taken from it; Newton then polishes them on p_n directly and the weights
  // come from the Christoffel formula w = 1/(n p_{n−1}(x)²), which is relatively accurate even
  // where w ~ 1e-237.
  Eigen::VectorXd diagonal = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd sub(n - 1);
  for (int k = 0; k < n - 1; ++k) sub(k) = std::sqrt(static_cast<double>(k + 1));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diagonal, sub, Eigen::EigenvaluesOnly);
  NNSWEEP_ASSERT(solver.info() == Eigen::Success,
                 "Gauss–Hermite: eigenvalue solver failed — order ", n, " — use a smaller order");
  const Eigen::VectorXd& guess = solver.eigenvalues();

  std::vector<double> x(static_cast<std::size_t>(n)), log_w(static_cast<std::size_t>(n));
  const double sqrt_n = std::sqrt(static_cast<double>(n));
  for (int i = 0; i < n; ++i) {
    double xi = guess(i);
    HermiteValues v;
    for (int iter = 0; iter < 8; ++iter) {
      v = orthonormal_hermite(n, xi);
      const double step = v.p_n / (sqrt_n * v.p_n1);  // p_n' = √n p_{n−1}
      xi -= step;
      if (std::abs(step) <= 1e-16 * std::max(1.0, std::abs(xi))) break;
    }
    v = orthonormal_hermite(n, xi);
    x[static_cast<std::size_t>(i)] = xi;
    log_w[static_cast<std::size_t>(i)] =
        -std::log(static_cast<double>(n)) - 2 * (std::log(std::abs(v.p_n1)) + v.log_scale);
  }
  // Enforce exact symmetry: odd moments then vanish exactly and kinks at 0 integrate exactly.
  for (int i = 0; i < n; ++i) {
    const auto lo = static_cast<std::size_t>(i), hi = static_cast<std::size_t>(n - 1 - i);
    if (lo > hi) break;
    const double node = lo == hi ? 0.0 : 0.5 * (x[hi] - x[lo]);
    const double weight = std::exp(0.5 * (log_w[lo] + log_w[hi]));
    rule.nodes[lo] = -node;
    rule.nodes[hi] = node;
    rule.weights[lo] = rule.weights[hi] = weight;
  }
  // The weights sum to 1 up to rounding; normalise so that constants integrate exactly. Sum the
  // small tail weights first for accuracy.
  double total = 0;
  for (int i = 0; i < n / 2; ++i) {
    total += rule.weights[static_cast<std::size_t>(i)] +
             rule.weights[static_cast<std::size_t>(n - 1 - i)];
  }
  if (n % 2 == 1) total += rule.weights[static_cast<std::size_t>(n / 2)];
  for (double& w : rule.weights) w /= total;
  return rule;
}

}  // namespace

const GaussHermite& gauss_hermite(int order) {
  NNSWEEP_CHECK(order >= 1 && order <= max_order, "Gauss–Hermite order out of range — order ",
                order, " — use 1 ≤ order ≤ ", max_order);
  static std::mutex mutex;
  static std::map<int, std::unique_ptr<const GaussHermite>> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[order];
  if (!slot) slot = std::make_unique<const GaussHermite>(compute_rule(order));
  return *slot;
}

double gaussian_average(const std::function<double(double)>& f, double variance, int order) {
  NNSWEEP_CHECK(variance >= 0 && std::isfinite(variance),
                "Gaussian average: variance must be finite and ≥ 0 — variance ", variance,
                " — pass a valid variance");
  const GaussHermite& rule = gauss_hermite(order);
  const double scale = std::sqrt(variance);
  double sum = 0;
  for (std::size_t i = 0; i < rule.nodes.size(); ++i)
    sum += rule.weights[i] * f(scale * rule.nodes[i]);
  return sum;
}

}  // namespace nnsweep::theory
