#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <Eigen/Cholesky>

#include "nnsweep/theory/covariance_chain.hpp"
#include "nnsweep/theory/gauss_hermite.hpp"
#include "nnsweep/theory/random_network.hpp"
#include "theory_test_support.hpp"

using namespace nnsweep::theory;

namespace {

std::vector<double> x_perp() {  // |x|² = 4, x ⊥ e₁
  const double a = 2 / std::sqrt(3.0);
  return {0, a, a, a};
}

Eigen::VectorXd vech(const Eigen::MatrixXd& t) {
  const int k = static_cast<int>(t.rows());
  Eigen::VectorXd v(k * (k + 1) / 2);
  for (int a = 0; a < k; ++a) {
    for (int b = a; b < k; ++b) v(vech_index(a, b, k)) = t(a, b);
  }
  return v;
}

// A generic positive-definite T with correlated value and derivative entries.
Eigen::MatrixXd generic_t(int k) {
  Eigen::MatrixXd a(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j)
      a(i, j) = 0.3 * std::sin(1.0 + 3 * i + 7 * j) + (i == j ? 0.8 : 0.0);
  }
  return a * a.transpose();
}

std::vector<std::int64_t> uniform_widths(std::int64_t n, int layers) {
  std::vector<std::int64_t> widths(static_cast<std::size_t>(layers), n);
  return widths;
}

}  // namespace

TEST_CASE("layer Jacobian equals central finite differences of the layer map",
          "[theory][leading_order]") {
  const ScalarFunction tanh_fn = theory_test::tanh_activation();
  const double cw = 1.3, cb = 0.1;
  for (const int k : {1, 2, 4}) {
    const Eigen::MatrixXd t = generic_t(k);
    const LayerMoments layer = layer_moments(t, cw, cb, tanh_fn);
    const int d = k * (k + 1) / 2;
    for (int a = 0; a < k; ++a) {
      for (int b = a; b < k; ++b) {
        const double h = 1e-5 * std::max(1.0, std::abs(t(a, b)));
        Eigen::MatrixXd plus = t, minus = t;
        plus(a, b) += h;
        minus(a, b) -= h;
        if (a != b) {
          plus(b, a) += h;
          minus(b, a) -= h;
        }
        const Eigen::VectorXd column = (vech(layer_moments(plus, cw, cb, tanh_fn).next_mean) -
                                        vech(layer_moments(minus, cw, cb, tanh_fn).next_mean)) /
                                       (2 * h);
        for (int i = 0; i < d; ++i) {
          INFO("k " << k << ", row " << i << ", column (" << a << "," << b << ")");
          CHECK(layer.jacobian(i, vech_index(a, b, k)) == Approx(column(i)).margin(1e-8));
        }
      }
    }
    // χ∥ and ∂²_K⟨σ²⟩ against finite differences of ⟨tanh²⟩_K.
    auto avg = [](double kv) {
      return gaussian_average([](double y) { return std::pow(std::tanh(y), 2); }, kv);
    };
    const double kv = t(0, 0), h = 1e-4 * kv;
    CHECK(layer.chi_parallel == Approx(cw * (avg(kv + h) - avg(kv - h)) / (2 * h)).epsilon(1e-8));
    CHECK(layer.curvature ==
          Approx((avg(kv + h) - 2 * avg(kv) + avg(kv - h)) / (h * h)).epsilon(1e-5));
  }
}

TEST_CASE("layer mean and noise equal a direct 3-D tensor Gauss–Hermite integral (tanh)",
          "[theory][leading_order]") {
  const int k = 3;
  const Eigen::MatrixXd t = generic_t(k);
  const ScalarFunction tanh_fn = theory_test::tanh_activation();
  const LayerMoments layer = layer_moments(t, 1, 0, tanh_fn, 300);
  // 300 points: see below for the default order.
  // Brute force: y = L g over a product Gauss–Hermite rule in g; no Isserlis, no 1-D reduction.
  // L is lower triangular, so y₀ = L₀₀ g₀ and the integrand is polynomial (degree ≤ 4) in g₁, g₂:
  // 8 points are exact there. Along g₀ tanh has poles at ±iπ/2 and the rule converges only like
  // exp(−c√order), so that axis gets 300 points.
  const Eigen::MatrixXd chol = t.llt().matrixL();
  const auto& rule0 = gauss_hermite(300);
  const auto& rule = gauss_hermite(8);
  const int d = 6;
  Eigen::VectorXd second = Eigen::VectorXd::Zero(d);
  Eigen::MatrixXd fourth = Eigen::MatrixXd::Zero(d, d);
  for (std::size_t i = 0; i < rule0.nodes.size(); ++i) {
    for (std::size_t j = 0; j < rule.nodes.size(); ++j) {
      for (std::size_t l = 0; l < rule.nodes.size(); ++l) {
        const double w = rule0.weights[i] * rule.weights[j] * rule.weights[l];
        const Eigen::Vector3d y =
            chol * Eigen::Vector3d(rule0.nodes[i], rule.nodes[j], rule.nodes[l]);
        const Eigen::Vector3d phi(tanh_fn.value(y(0)), tanh_fn.derivative(y(0)) * y(1),
                                  tanh_fn.derivative(y(0)) * y(2));
        Eigen::VectorXd prod(d);
        for (int a = 0; a < k; ++a) {
          for (int b = a; b < k; ++b) prod(vech_index(a, b, k)) = phi(a) * phi(b);
        }
        second += w * prod;
        fourth += w * prod * prod.transpose();
      }
    }
  }
  const Eigen::MatrixXd noise = fourth - second * second.transpose();
  CHECK((vech(layer.next_mean) - second).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((layer.noise - noise).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(noise.cwiseAbs().maxCoeff() > 0.01);  // not a trivially small comparison
  // The default 160-point rule is accurate to a few 1e-9 here (fourth moments weigh the tails).
  const LayerMoments layer160 = layer_moments(t, 1, 0, tanh_fn);
  CHECK((vech(layer160.next_mean) - second).cwiseAbs().maxCoeff() < 1e-10);
  CHECK((layer160.noise - noise).cwiseAbs().maxCoeff() < 1e-8);
}

TEST_CASE("layer noise of max(z, αz) has the Isserlis closed form", "[theory][leading_order]") {
  const int k = 4;
  const Eigen::MatrixXd t = generic_t(k);
  for (const double alpha : {0.0, 0.3}) {
    const LayerMoments layer = layer_moments(t, 2, 0.1, theory_test::leaky(alpha));
    const double m2 = (1 + alpha * alpha) / 2, m4 = (1 + std::pow(alpha, 4)) / 2;
    for (int a = 0; a < k; ++a) {
      for (int b = a; b < k; ++b) {
        CHECK(layer.next_mean(a, b) ==
              Approx(2 * m2 * t(a, b) + (a + b == 0 ? 0.1 : 0)).epsilon(1e-13));
        for (int c = 0; c < k; ++c) {
          for (int e = c; e < k; ++e) {
            const double want = m4 * (t(a, b) * t(c, e) + t(a, c) * t(b, e) + t(a, e) * t(b, c)) -
                                m2 * m2 * t(a, b) * t(c, e);
            CHECK(layer.noise(vech_index(a, b, k), vech_index(c, e, k)) ==
                  Approx(want).margin(1e-13));
          }
        }
      }
    }
  }
}

TEST_CASE("tanh leading order reproduces the table of papers_CE.md E.5",
          "[theory][leading_order]") {
  struct Row {
    std::int64_t n;
    int layers;
    double k_lo, k_nlo, kz, kv;
    double tol_k, tol_kz, tol_kv;  // half a unit of the table's last digit
  };
  const std::vector<Row> rows{
      {32, 4, .12790, .12577, .0753, .391, 5e-6, 5e-5, 5e-4},
      {64, 4, .12790, .12684, .03763, .1956, 5e-6, 5e-6, 5e-5},
      {64, 8, .06524, .06365, .0764, .365, 5e-6, 5e-5, 5e-4},
      {128, 8, .06524, .06445, .0382, .1825, 5e-6, 5e-5, 5e-5},
      {128, 16, .03248, .03148, .0783, .349, 5e-6, 5e-5, 5e-4},
      {256, 32, .01607, .01551, .0800, .340, 5e-6, 5e-5, 5e-4},
      {512, 4, .12790, std::numeric_limits<double>::quiet_NaN(), .00470, .02445, 5e-6, 5e-6, 5e-6},
  };
  for (const Row& row : rows) {
    INFO("n " << row.n << ", L " << row.layers);
    const RandomNetwork net{uniform_widths(row.n, row.layers), x_perp(), 1, 0};
    const OutputStatistics s = leading_order(net, theory_test::tanh_activation());
    const CovarianceLaw law =
        leading_order_law(input_covariance(net), net.widths, 1, 0, theory_test::tanh_activation());
    CHECK_FALSE(s.exact);
    CHECK(law.mean(0, 0) == Approx(row.k_lo).margin(row.tol_k));
    if (!std::isnan(row.k_nlo)) CHECK(s.k2 == Approx(row.k_nlo).margin(row.tol_k));
    CHECK(s.kappa4 == Approx(row.kz).margin(row.tol_kz));
    CHECK(s.corr22 == s.kappa4);
    CHECK(s.rv4 - 1 == Approx(row.kv).margin(row.tol_kv));
  }
}

TEST_CASE("tanh at criticality: kappa4 ≈ (2/3) L/n and rv4 − 1 ≈ (8/3) L/n",
          "[theory][leading_order]") {
  const std::int64_t n = 100000;
  const ScalarFunction tanh_fn = theory_test::tanh_activation();
  auto at = [&](int layers) {
    return leading_order(RandomNetwork{uniform_widths(n, layers), x_perp(), 1, 0}, tanh_fn);
  };
  const OutputStatistics s1 = at(1000), s4 = at(4000);
  const double dl = 3000.0 / static_cast<double>(n);
  CHECK((s4.kappa4 - s1.kappa4) / dl == Approx(2.0 / 3).epsilon(0.005));
  CHECK((s4.rv4 - s1.rv4) / dl == Approx(8.0 / 3).epsilon(0.005));
  CHECK(s4.k2 == Approx(1.0 / (2 * 4000)).epsilon(0.02));  // K ≈ 1/(2l)
}

TEST_CASE("ReLU leading order is the first-order expansion of the exact result",
          "[theory][leading_order]") {
  const ScalarFunction relu = theory_test::leaky(0);
  const std::vector<std::int64_t> mixed{7, 30, 100, 12};
  const double sum_inv = 1.0 / 7 + 1.0 / 30 + 1.0 / 100 + 1.0 / 12;
  const OutputStatistics lo = leading_order(RandomNetwork{mixed, {1, 1, 1, 1}, 2, 0}, relu);
  CHECK(lo.kappa4 == Approx(5 * sum_inv).epsilon(1e-12));
  CHECK(lo.rv4 - 1 == Approx(5 * sum_inv).epsilon(1e-12));
  CHECK(lo.k2 == Approx(2).epsilon(1e-13));  // ⟨relu²⟩_K is linear in K: no 1/n shift
  CHECK(lo.dz2 == Approx(0.5).epsilon(1e-13));
  CHECK(lo.g2 == Approx(2).epsilon(1e-13));

  // Wide: LO and exact differ by O(1/n²) in r4, rv4, g4_ratio.
  for (const auto& x : {std::vector<double>{1, 1, 1, 1}, x_perp()}) {
    const RandomNetwork wide{uniform_widths(2000, 3), x, 2, 0};
    const OutputStatistics a = leading_order(wide, relu), b = homogeneous_exact(wide, 0);
    CHECK(a.k2 == Approx(b.k2).epsilon(1e-13));
    CHECK(a.r4 == Approx(b.r4).epsilon(1e-4));
    CHECK(a.rv4 == Approx(b.rv4).epsilon(1e-4));
    CHECK(a.g4_ratio == Approx(b.g4_ratio).epsilon(1e-4));
    CHECK(std::abs(a.r4 - b.r4) > 1e-6);  // they are different approximations
  }
}

TEST_CASE("leaky ReLU with bias: leading order approaches the exact result as 1/n²",
          "[theory][leading_order]") {
  const double alpha = 0.2;
  auto pair_at = [&](std::int64_t n) {
    const RandomNetwork net{uniform_widths(n, 5), {0.5, -1.0, 1.5}, 1.5, 0.3};
    return std::make_pair(leading_order(net, theory_test::leaky(alpha)),
                          homogeneous_exact(net, alpha));
  };
  const auto [lo1, ex1] = pair_at(1000);
  const auto [lo4, ex4] = pair_at(4000);
  // Homogeneous σ: the layer map is linear in T, so the means agree exactly.
  CHECK(lo1.k2 == Approx(ex1.k2).epsilon(1e-13));
  CHECK(lo1.dz2 == Approx(ex1.dz2).epsilon(1e-13));
  CHECK(lo1.g2 == Approx(ex1.g2).epsilon(1e-13));
  // The ratios differ at O(1/n²): 4× the width cuts the gap 16× (up to O(L/n)).
  const double gaps[3][2] = {{lo1.r4 - ex1.r4, lo4.r4 - ex4.r4},
                             {lo1.rv4 - ex1.rv4, lo4.rv4 - ex4.rv4},
                             {lo1.g4_ratio - ex1.g4_ratio, lo4.g4_ratio - ex4.g4_ratio}};
  for (const auto& gap : gaps) {
    INFO("gap at n = 1000: " << gap[0] << ", at n = 4000: " << gap[1]);
    CHECK(std::abs(gap[0]) < 1e-3);
    CHECK(gap[0] / gap[1] == Approx(16).epsilon(0.05));
  }
}

TEST_CASE("four-coordinate reduction equals the full k = 1 + n0 leading-order recursion",
          "[theory][leading_order]") {
  const std::vector<std::vector<double>> inputs{
      {0.7}, {1.5, -0.5}, {0.4, 1.0, -2.0}, {0.6, -1.1, 0.4, 0.9}, x_perp(), {1, 0, 0, 0, 0}};
  for (const auto& x : inputs) {
    INFO("n0 = " << x.size() << ", x0 = " << x[0]);
    const RandomNetwork net{{20, 35, 50}, x, 1.2, 0.1};
    const ScalarFunction tanh_fn = theory_test::tanh_activation();
    const OutputStatistics full = theory_test::full_statistics(
        leading_order_law(input_covariance(net), net.widths, net.cw, net.cb, tanh_fn));
    const OutputStatistics reduced = leading_order(net, tanh_fn);
    CHECK(reduced.k2 == Approx(full.k2).epsilon(1e-12));
    CHECK(reduced.kappa4 == Approx(full.kappa4).epsilon(1e-10));
    CHECK(reduced.dz2 == Approx(full.dz2).epsilon(1e-12));
    CHECK(reduced.rv4 == Approx(full.rv4).epsilon(1e-12));
    CHECK(reduced.g2 == Approx(full.g2).epsilon(1e-12));
    CHECK(reduced.g4_ratio == Approx(full.g4_ratio).epsilon(1e-12));
  }
}

TEST_CASE("leading order for L = 128, n0 = 4 takes well under 0.2 s", "[theory][leading_order]") {
  const RandomNetwork net{uniform_widths(256, 128), x_perp(), 1, 0};
  const ScalarFunction tanh_fn = theory_test::tanh_activation();
  const auto start = std::chrono::steady_clock::now();
  const OutputStatistics s = leading_order(net, tanh_fn);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("leading_order L = 128: " << seconds * 1e3 << " ms");
  CHECK(seconds < 0.2);
  CHECK(std::isfinite(s.g4_ratio));
}
