#include "nnsweep/theory/covariance_chain.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "nnsweep/core/error.hpp"
#include "nnsweep/theory/gauss_hermite.hpp"

namespace nnsweep::theory {

namespace {

int rows_of(const Eigen::MatrixXd& m) {
  return static_cast<int>(m.rows());
}

void check_chain_input(const Eigen::MatrixXd& t1, const std::vector<std::int64_t>& widths,
                       double cw, double cb) {
  NNSWEEP_CHECK(t1.rows() >= 1 && t1.rows() == t1.cols(),
                "covariance chain: T₁ must be square and non-empty — ", t1.rows(), "×", t1.cols(),
                " — pass a k×k matrix");
  NNSWEEP_CHECK(!widths.empty(),
                "covariance chain: no hidden layers — widths is empty — give at "
                "least one hidden width");
  for (const std::int64_t n : widths) {
    NNSWEEP_CHECK(n >= 1, "covariance chain: hidden width must be ≥ 1 — width ", n,
                  " — fix the width list");
  }
  NNSWEEP_CHECK(std::isfinite(cw) && std::isfinite(cb) && cw > 0 && cb >= 0,
                "covariance chain: need C_W > 0 and C_b ≥ 0 — cw ", cw, ", cb ", cb,
                " — fix the initialisation variances");
}

// The k(k+1)/2 index pairs (a ≤ b) in vech order.
std::vector<std::pair<int, int>> vech_pairs(int k) {
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(static_cast<std::size_t>(k * (k + 1) / 2));
  for (int a = 0; a < k; ++a) {
    for (int b = a; b < k; ++b) pairs.emplace_back(a, b);
  }
  return pairs;
}

// Gaussian averages E[σ(y)^q σ'(y)^(D−q) y^m], y ~ N(0, K), for D = 2 and D = 4, m ≤ D − q.
struct Averages {
  std::array<std::array<double, 5>, 5> degree4{};  // [q][m]
  std::array<std::array<double, 3>, 3> degree2{};  // [q][m]
  // K-derivatives of ⟨σ²⟩_K and ⟨σ'²⟩_K. By the heat equation the density of N(0, K) has
  // ∂_K p = p He₂(y/√K)/(2K) and ∂²_K p = p He₄(y/√K)/(4K²), so the derivatives are plain
  // quadratures and need neither σ'' nor σ''' nor finite differences.
  double sigma2_d1 = 0, sigma2_d2 = 0, slope2 = 0, slope2_d1 = 0, slope2_d2 = 0;
};

Averages gaussian_averages(double k_var, const ScalarFunction& sigma, int order) {
  const GaussHermite& rule = gauss_hermite(order);
  const double scale = std::sqrt(k_var);
  Averages avg;
  for (std::size_t i = 0; i < rule.nodes.size(); ++i) {
    const double x = rule.nodes[i], w = rule.weights[i];
    const double y = scale * x;
    const double s = sigma.value(y), t = sigma.derivative(y);
    std::array<double, 5> sp{1, s, s * s, s * s * s, s * s * s * s};
    std::array<double, 5> tp{1, t, t * t, t * t * t, t * t * t * t};
    std::array<double, 5> yp{1, y, y * y, y * y * y, y * y * y * y};
    for (std::size_t q = 0; q <= 4; ++q) {
      const double base = w * sp[q] * tp[4 - q];
      for (std::size_t m = 0; m + q <= 4; ++m) avg.degree4[q][m] += base * yp[m];
    }
    for (std::size_t q = 0; q <= 2; ++q) {
      const double base = w * sp[q] * tp[2 - q];
      for (std::size_t m = 0; m + q <= 2; ++m) avg.degree2[q][m] += base * yp[m];
    }
    const double x2 = x * x;
    const double he2 = x2 - 1, he4 = x2 * x2 - 6 * x2 + 3;
    avg.sigma2_d1 += w * sp[2] * he2;
    avg.sigma2_d2 += w * sp[2] * he4;
    avg.slope2_d1 += w * tp[2] * he2;
    avg.slope2_d2 += w * tp[2] * he4;
  }
  avg.slope2 = avg.degree2[0][0];
  avg.sigma2_d1 /= 2 * k_var;
  avg.slope2_d1 /= 2 * k_var;
  avg.sigma2_d2 /= 4 * k_var * k_var;
  avg.slope2_d2 /= 4 * k_var * k_var;
  return avg;
}

// E[φ_{i₁}…φ_{i_D}] for D = 2 or 4 indices. Index 0 is φ₀ = σ(y₀); p ≥ 1 is φ_p = σ'(y₀) y_p with
// y_p = a_p y₀ + w_p, w ~ N(0, S) independent of y₀. Expanding the product over which factors take
// w_p, Isserlis' theorem leaves one-dimensional averages E[σ^q σ'^r y₀^m].
template <std::size_t Degree, std::size_t Size>
double phi_moment(const std::array<int, Degree>& idx,
                  const std::array<std::array<double, Size>, Size>& avg, const Eigen::VectorXd& a,
                  const Eigen::MatrixXd& s) {
  std::size_t zeros = 0, count = 0;
  std::array<int, 4> deriv{};
  for (const int i : idx) {
    if (i == 0) {
      ++zeros;
    } else {
      deriv[count++] = i;
    }
  }
  double total = 0;
  for (unsigned mask = 0; mask < (1u << count); ++mask) {
    std::array<int, 4> taken{};
    std::size_t n_taken = 0;
    double coefficient = 1;
    for (std::size_t j = 0; j < count; ++j) {
      if (mask & (1u << j)) {
        taken[n_taken++] = deriv[j];
      } else {
        coefficient *= a(deriv[j]);
      }
    }
    double pairing = 0;
    if (n_taken == 0) {
      pairing = 1;
    } else if (n_taken == 2) {
      pairing = s(taken[0], taken[1]);
    } else if (Degree == 4 && n_taken == 4) {
      pairing = s(taken[0], taken[1]) * s(taken[2], taken[3]) +
                s(taken[0], taken[2]) * s(taken[1], taken[3]) +
                s(taken[0], taken[3]) * s(taken[1], taken[2]);
    } else {
      continue;  // odd number of centred Gaussians
    }
    total += coefficient * pairing * avg[zeros][count - n_taken];
  }
  return total;
}

}  // namespace

int vech_index(int a, int b, int k) {
  if (a > b) std::swap(a, b);
  return a * k - a * (a - 1) / 2 + (b - a);
}

LayerMoments layer_moments(const Eigen::MatrixXd& t, double cw, double cb,
                           const ScalarFunction& sigma, int order) {
  NNSWEEP_CHECK(sigma.value && sigma.derivative,
                "leading order: activation is missing σ or σ' — give both functions");
  NNSWEEP_CHECK(t.rows() >= 1 && t.rows() == t.cols(), "leading order: T must be square — ",
                t.rows(), "×", t.cols(), " — pass a k×k matrix");
  const int k = rows_of(t);
  const double k_var = t(0, 0);
  NNSWEEP_CHECK(k_var > 0 && std::isfinite(k_var),
                "leading order: the pre-activation variance must be finite and > 0 — T₀₀ = ", k_var,
                " — use a nonzero input or C_b > 0");
  const Averages avg = gaussian_averages(k_var, sigma, order);

  // y_p = a_p y₀ + w_p with w ~ N(0, S), S = T_RR − T_R0 T_0R / T₀₀ (row/column 0 unused).
  Eigen::VectorXd a = Eigen::VectorXd::Zero(k);
  for (int p = 1; p < k; ++p) a(p) = t(0, p) / k_var;
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(k, k);
  for (int p = 1; p < k; ++p) {
    for (int q = 1; q < k; ++q) s(p, q) = t(p, q) - t(0, p) * t(0, q) / k_var;
  }

  const auto pairs = vech_pairs(k);
  const int d = static_cast<int>(pairs.size());
  LayerMoments out;
  Eigen::VectorXd second(d);
  for (int i = 0; i < d; ++i) {
    second(i) = phi_moment<2>({pairs[i].first, pairs[i].second}, avg.degree2, a, s);
  }
  out.next_mean.resize(k, k);
  for (int i = 0; i < d; ++i) {
    const auto [p, q] = pairs[static_cast<std::size_t>(i)];
    out.next_mean(p, q) = out.next_mean(q, p) = cw * second(i);
  }
  out.next_mean(0, 0) += cb;

  out.noise.resize(d, d);
  for (int i = 0; i < d; ++i) {
    for (int j = i; j < d; ++j) {
      const auto [p, q] = pairs[static_cast<std::size_t>(i)];
      const auto [r, u] = pairs[static_cast<std::size_t>(j)];
      out.noise(i, j) = out.noise(j, i) =
          phi_moment<4>({p, q, r, u}, avg.degree4, a, s) - second(i) * second(j);
    }
  }

  // In terms of T, with A(K) = ⟨σ²⟩_K, B(K) = ⟨σ'²⟩_K and G(K) = E[σσ'y₀]/K (= A' by Stein):
  //   F₀₀ = C_b + C_W A,  F₀p = C_W G T₀p,  F_pq = C_W (2 B' T₀p T₀q + B T_pq),
  // since E[σ'² (y₀² − K)]/K² = 2B'. Differentiate these by hand.
  const double g = avg.degree2[1][1] / k_var;
  out.jacobian = Eigen::MatrixXd::Zero(d, d);
  const int v00 = vech_index(0, 0, k);
  out.jacobian(v00, v00) = cw * avg.sigma2_d1;
  for (int p = 1; p < k; ++p) {
    const int v0p = vech_index(0, p, k);
    out.jacobian(v0p, v00) = cw * t(0, p) * avg.sigma2_d2;
    out.jacobian(v0p, v0p) = cw * g;
  }
  for (int p = 1; p < k; ++p) {
    for (int q = p; q < k; ++q) {
      const int vpq = vech_index(p, q, k);
      out.jacobian(vpq, v00) =
          cw * (2 * t(0, p) * t(0, q) * avg.slope2_d2 + t(p, q) * avg.slope2_d1);
      out.jacobian(vpq, vech_index(0, p, k)) += 2 * cw * avg.slope2_d1 * t(0, q);
      out.jacobian(vpq, vech_index(0, q, k)) += 2 * cw * avg.slope2_d1 * t(0, p);
      out.jacobian(vpq, vpq) = cw * avg.slope2;
    }
  }
  out.chi_parallel = cw * avg.sigma2_d1;
  out.curvature = avg.sigma2_d2;
  return out;
}

CovarianceLaw homogeneous_exact_law(const Eigen::MatrixXd& t1,
                                    const std::vector<std::int64_t>& widths, double cw, double cb,
                                    double alpha) {
  check_chain_input(t1, widths, cw, cb);
  NNSWEEP_CHECK(std::isfinite(alpha), "exact theory: slope α must be finite — α = ", alpha,
                " — fix the activation");
  const int k = rows_of(t1);
  const int kk = k * k;
  // σ = max(z, αz) has slope c ∈ {1, α} with probability ½ each given |y₀|, independent of yyᵀ
  // (y and −y are equally likely), and φ = c y. So E[c²] = m2 and E[c⁴] = m4 factor out.
  const double m2 = (1 + alpha * alpha) / 2, m4 = (1 + alpha * alpha * alpha * alpha) / 2;
  auto e = [](int a, int b) { return a == 0 && b == 0 ? 1.0 : 0.0; };

  Eigen::MatrixXd mu = t1;
  Eigen::MatrixXd m(kk, kk);  // M(ak+b, ck+d) = E[T_ab T_cd]
  for (int a = 0; a < k; ++a) {
    for (int b = 0; b < k; ++b) {
      for (int c = 0; c < k; ++c) {
        for (int dd = 0; dd < k; ++dd) m(a * k + b, c * k + dd) = t1(a, b) * t1(c, dd);
      }
    }
  }
  Eigen::MatrixXd next(kk, kk);
  for (const std::int64_t width : widths) {
    const auto n = static_cast<double>(width);
    // E[y_a y_b y_c y_d] = T_ab T_cd + T_ac T_bd + T_ad T_bc within a unit; units independent.
    const double same = cw * cw * m4 / n, other = cw * cw * m2 * m2 * (n - 1) / n;
    for (int a = 0; a < k; ++a) {
      for (int b = 0; b < k; ++b) {
        for (int c = 0; c < k; ++c) {
          for (int dd = 0; dd < k; ++dd) {
            const double eab = e(a, b), ecd = e(c, dd);
            next(a * k + b, c * k + dd) =
                cb * cb * eab * ecd + cb * cw * m2 * (eab * mu(c, dd) + mu(a, b) * ecd) +
                same * (m(a * k + b, c * k + dd) + m(a * k + c, b * k + dd) +
                        m(a * k + dd, b * k + c)) +
                other * m(a * k + b, c * k + dd);
          }
        }
      }
    }
    m.swap(next);
    mu *= cw * m2;
    mu(0, 0) += cb;
  }

  const auto pairs = vech_pairs(k);
  const int d = static_cast<int>(pairs.size());
  CovarianceLaw law;
  law.mean = mu;
  law.covariance.resize(d, d);
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j < d; ++j) {
      const auto [a, b] = pairs[static_cast<std::size_t>(i)];
      const auto [c, dd] = pairs[static_cast<std::size_t>(j)];
      law.covariance(i, j) = m(a * k + b, c * k + dd) - mu(a, b) * mu(c, dd);
    }
  }
  return law;
}

CovarianceLaw leading_order_law(const Eigen::MatrixXd& t1, const std::vector<std::int64_t>& widths,
                                double cw, double cb, const ScalarFunction& sigma) {
  check_chain_input(t1, widths, cw, cb);
  const int k = rows_of(t1);
  const int d = k * (k + 1) / 2;
  CovarianceLaw law;
  law.mean = t1;
  law.covariance = Eigen::MatrixXd::Zero(d, d);
  const int v00 = vech_index(0, 0, k);
  for (const std::int64_t width : widths) {
    const LayerMoments layer = layer_moments(law.mean, cw, cb, sigma);
    // δK first: it needs Var(T₀₀) of the layer below.
    law.k2_correction = layer.chi_parallel * law.k2_correction +
                        0.5 * cw * layer.curvature * law.covariance(v00, v00);
    law.covariance = layer.jacobian * law.covariance * layer.jacobian.transpose() +
                     (cw * cw / static_cast<double>(width)) * layer.noise;
    law.mean = layer.next_mean;
  }
  return law;
}

}  // namespace nnsweep::theory
