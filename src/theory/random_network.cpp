#include "nnsweep/theory/random_network.hpp"

#include <cmath>

#include "nnsweep/core/error.hpp"
#include "nnsweep/theory/covariance_chain.hpp"

namespace nnsweep::theory {

namespace {

void check_network(const RandomNetwork& net) {
  NNSWEEP_CHECK(!net.widths.empty(),
                "random network: no hidden layers — widths is empty — give at least one width");
  for (const std::int64_t n : net.widths) {
    NNSWEEP_CHECK(n >= 1, "random network: hidden width must be ≥ 1 — width ", n,
                  " — fix the width list");
  }
  NNSWEEP_CHECK(!net.x.empty(), "random network: the input is empty — n0 = 0 — give n0 ≥ 1");
  for (const double xi : net.x) {
    NNSWEEP_CHECK(std::isfinite(xi), "random network: input entry is not finite — ", xi,
                  " — fix the input");
  }
  NNSWEEP_CHECK(std::isfinite(net.cw) && net.cw > 0, "random network: need C_W > 0 — cw ", net.cw,
                " — fix cw");
  NNSWEEP_CHECK(std::isfinite(net.cb) && net.cb >= 0, "random network: need C_b ≥ 0 — cb ", net.cb,
                " — fix cb");
  double norm2 = 0;
  for (const double xi : net.x) norm2 += xi * xi;
  NNSWEEP_CHECK(net.cb + net.cw * norm2 > 0,
                "random network: the output is identically 0 — |x|² = 0 and C_b = 0 — use a "
                "nonzero input or C_b > 0");
}

// The law of T is invariant under rotations of the derivative coordinates that fix x (φ is linear
// in the derivative entries), and the chain restricted to any coordinate subset containing 0 is
// itself closed. So four coordinates suffice whatever n0: 0 (the value), x̂, ê (the unit part of
// e₁ orthogonal to x) and one more orthogonal direction f̂; the other n0 − 2 directions are copies
// of ê and f̂ and enter only through their count.
struct ReducedInput {
  Eigen::MatrixXd t1;     // 4×4 T₁ in the basis (0, x̂, ê, f̂)
  Eigen::Vector4d u;      // e₁ in that basis: (0, cos θ, sin θ, 0)
  double complement = 0;  // n0 − 1, the number of derivative directions orthogonal to x
};

ReducedInput reduce(const RandomNetwork& net) {
  const auto n0 = static_cast<double>(net.x.size());
  double norm2 = 0, perp2 = 0;
  for (std::size_t p = 0; p < net.x.size(); ++p) {
    norm2 += net.x[p] * net.x[p];
    if (p > 0) perp2 += net.x[p] * net.x[p];
  }
  const double norm = std::sqrt(norm2);
  ReducedInput in;
  in.t1 = Eigen::MatrixXd::Zero(4, 4);
  in.t1(0, 0) = net.cb + net.cw * norm2 / n0;
  in.t1(0, 1) = in.t1(1, 0) = net.cw * norm / n0;
  for (int p = 1; p < 4; ++p) in.t1(p, p) = net.cw / n0;
  // x = 0 leaves x̂ free: take x̂ = e₁. sin θ from the orthogonal part, not √(1 − cos²θ).
  const double cos_theta = norm > 0 ? net.x[0] / norm : 1.0;
  const double sin_theta = norm > 0 ? std::sqrt(perp2) / norm : 0.0;
  in.u << 0, cos_theta, sin_theta, 0;
  in.complement = n0 - 1;
  return in;
}

OutputStatistics assemble(const CovarianceLaw& law, const ReducedInput& in, bool exact) {
  const int k = 4;
  auto cov = [&](int a, int b, int c, int d) {
    return law.covariance(vech_index(a, b, k), vech_index(c, d, k));
  };
  const Eigen::MatrixXd& mu = law.mean;
  const double m = in.complement;
  OutputStatistics out{};
  out.exact = exact;

  out.k2 = mu(0, 0) + law.k2_correction;
  out.r4 = 1 + cov(0, 0, 0, 0) / (mu(0, 0) * mu(0, 0));
  out.kappa4 = out.r4 - 1;
  out.corr22 = out.kappa4;  // outputs are iid N(0, s) given s: Cov(z_i², z_j²) = Var s

  // v = uᵀ∇z, so E[v² | T] = uᵀRu and E[v⁴ | T] = 3 (uᵀRu)².
  const Eigen::Vector4d& u = in.u;
  out.dz2 = u.dot(mu * u);
  double var_v = 0;
  for (int a = 1; a < k; ++a) {
    for (int b = 1; b < k; ++b) {
      for (int c = 1; c < k; ++c) {
        for (int d = 1; d < k; ++d) var_v += u(a) * u(b) * u(c) * u(d) * cov(a, b, c, d);
      }
    }
  }
  out.rv4 = 1 + var_v / (out.dz2 * out.dz2);

  // Full derivative block R in the basis (x̂, ê, ê₂, …): one x̂ row, m ê-like rows; distinct
  // ê-like directions couple like ê and f̂. ∇z ~ N(0, R) given T, so
  // E[‖∇z‖⁴ | T] = (tr R)² + 2 tr R².
  out.g2 = mu(1, 1) + m * mu(2, 2);
  const double var_trace = cov(1, 1, 1, 1) + 2 * m * cov(1, 1, 2, 2) + m * cov(2, 2, 2, 2) +
                           m * (m - 1) * cov(2, 2, 3, 3);
  const double mean_frobenius = mu(1, 1) * mu(1, 1) + 2 * m * mu(1, 2) * mu(1, 2) +
                                m * mu(2, 2) * mu(2, 2) + m * (m - 1) * mu(2, 3) * mu(2, 3);
  const double var_frobenius = cov(1, 1, 1, 1) + 2 * m * cov(1, 2, 1, 2) + m * cov(2, 2, 2, 2) +
                               m * (m - 1) * cov(2, 3, 2, 3);
  const double trace_sq = out.g2 * out.g2 + var_trace;
  const double trace_of_sq = mean_frobenius + var_frobenius;
  out.g4_ratio = (trace_sq + 2 * trace_of_sq) / (out.g2 * out.g2);
  return out;
}

}  // namespace

Eigen::MatrixXd input_covariance(const RandomNetwork& net) {
  check_network(net);
  const auto n0 = static_cast<Eigen::Index>(net.x.size());
  const double scale = net.cw / static_cast<double>(n0);
  Eigen::MatrixXd t = Eigen::MatrixXd::Zero(n0 + 1, n0 + 1);
  double norm2 = 0;
  for (const double xi : net.x) norm2 += xi * xi;
  t(0, 0) = net.cb + scale * norm2;
  for (Eigen::Index p = 1; p <= n0; ++p) {
    t(0, p) = t(p, 0) = scale * net.x[static_cast<std::size_t>(p - 1)];
    t(p, p) = scale;
  }
  return t;
}

OutputStatistics homogeneous_exact(const RandomNetwork& net, double alpha) {
  check_network(net);
  const ReducedInput in = reduce(net);
  return assemble(homogeneous_exact_law(in.t1, net.widths, net.cw, net.cb, alpha), in, true);
}

OutputStatistics leading_order(const RandomNetwork& net, const ScalarFunction& sigma) {
  check_network(net);
  const ReducedInput in = reduce(net);
  return assemble(leading_order_law(in.t1, net.widths, net.cw, net.cb, sigma), in, false);
}

double relu_product(const std::vector<std::int64_t>& widths) {
  double product = 1;
  for (const std::int64_t n : widths) {
    NNSWEEP_CHECK(n >= 1, "relu_product: width must be ≥ 1 — width ", n, " — fix the width list");
    product *= 1 + 5 / static_cast<double>(n);
  }
  return product;
}

double leaky_constant(double alpha) {
  const double a2 = alpha * alpha;
  return 6 * (1 + a2 * a2) / ((1 + a2) * (1 + a2)) - 1;
}

}  // namespace nnsweep::theory
