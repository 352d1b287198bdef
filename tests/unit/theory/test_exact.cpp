#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "nnsweep/core/error.hpp"
#include "nnsweep/rng/stream.hpp"
#include "nnsweep/stats/moments.hpp"
#include "nnsweep/theory/covariance_chain.hpp"
#include "nnsweep/theory/random_network.hpp"
#include "theory_test_support.hpp"

using namespace nnsweep::theory;

namespace {

// x = (0, a, a, a) with |x|² = 4: orthogonal to the derivative direction e₁.
std::vector<double> x_perp() {
  const double a = 2 / std::sqrt(3.0);
  return {0, a, a, a};
}

void check_same(const OutputStatistics& got, const OutputStatistics& want, double eps) {
  CHECK(got.k2 == Approx(want.k2).epsilon(eps));
  CHECK(got.r4 == Approx(want.r4).epsilon(eps));
  CHECK(got.kappa4 == Approx(want.kappa4).epsilon(eps).margin(1e-14));
  CHECK(got.corr22 == Approx(want.corr22).epsilon(eps).margin(1e-14));
  CHECK(got.dz2 == Approx(want.dz2).epsilon(eps));
  CHECK(got.rv4 == Approx(want.rv4).epsilon(eps));
  CHECK(got.g2 == Approx(want.g2).epsilon(eps));
  CHECK(got.g4_ratio == Approx(want.g4_ratio).epsilon(eps));
}

// Standard normals by Box–Muller (test only: the library never samples).
class Normals {
 public:
  explicit Normals(std::uint64_t key) : stream_(7, key, 0, nnsweep::rng::Purpose::monte_carlo) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2 * std::log(stream_.uniform()));
    const double angle = 2 * M_PI * stream_.uniform();
    spare_ = r * std::sin(angle);
    has_spare_ = true;
    return r * std::cos(angle);
  }

 private:
  nnsweep::rng::Stream stream_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// One draw of the output-layer T = T_{L+1} of the exact chain. T_l = B Bᵀ is carried by a factor
// B (k × columns), so y = B g needs no Cholesky even when T_l is singular (rank ≤ n_l + 1).
Eigen::MatrixXd sample_chain(const RandomNetwork& net, const ScalarFunction& sigma,
                             Normals& normals) {
  const int n0 = static_cast<int>(net.x.size()), k = n0 + 1;
  Eigen::MatrixXd factor = Eigen::MatrixXd::Zero(k, n0 + 1);
  factor.col(0) = std::sqrt(net.cb) * Eigen::VectorXd::Unit(k, 0);
  const double s1 = std::sqrt(net.cw / n0);
  for (int p = 1; p <= n0; ++p) {
    factor(0, p) = s1 * net.x[static_cast<std::size_t>(p - 1)];
    factor(p, p) = s1;
  }
  Eigen::VectorXd g, y;
  for (const std::int64_t width : net.widths) {
    const int n = static_cast<int>(width);
    Eigen::MatrixXd next = Eigen::MatrixXd::Zero(k, n + 1);
    next.col(0) = std::sqrt(net.cb) * Eigen::VectorXd::Unit(k, 0);
    const double scale = std::sqrt(net.cw / n);
    g.resize(factor.cols());
    for (int j = 1; j <= n; ++j) {
      for (Eigen::Index c = 0; c < g.size(); ++c) g(c) = normals.next();
      y = factor * g;
      const double slope = sigma.derivative(y(0));
      next(0, j) = scale * sigma.value(y(0));
      for (int p = 1; p < k; ++p) next(p, j) = scale * slope * y(p);
    }
    factor.swap(next);
  }
  return factor * factor.transpose();
}

}  // namespace

TEST_CASE("input covariance is C_b e0e0ᵀ + (C_W/n0)[[|x|², xᵀ], [x, I]]", "[theory][exact]") {
  RandomNetwork net{{4}, {1.0, -2.0, 0.5}, 1.5, 0.25};
  const Eigen::MatrixXd t = input_covariance(net);
  Eigen::MatrixXd want(4, 4);
  want << 0.25 + 0.5 * 5.25, 0.5, -1.0, 0.25,  //
      0.5, 0.5, 0, 0,                          //
      -1.0, 0, 0.5, 0,                         //
      0.25, 0, 0, 0.5;
  CHECK((t - want).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("exact ReLU statistics equal the closed forms (He init, 32×4)", "[theory][exact]") {
  for (const auto& x :
       {std::vector<double>{1, 1, 1, 1}, x_perp(), std::vector<double>{2, 0, 0, 0}}) {
    const RandomNetwork net{{32, 32, 32, 32}, x, 2, 0};
    const OutputStatistics s = homogeneous_exact(net, 0);
    const double product = relu_product(net.widths);
    CHECK(product == Approx(1.787339210510254).epsilon(1e-15));
    CHECK(s.exact);
    CHECK(s.k2 == Approx(2).epsilon(1e-14));
    CHECK(s.r4 == Approx(product).epsilon(1e-13));
    CHECK(s.kappa4 == Approx(product - 1).epsilon(1e-12));
    CHECK(s.corr22 == Approx(product - 1).epsilon(1e-12));
    CHECK(s.dz2 == Approx(0.5).epsilon(1e-14));
    CHECK(s.rv4 == Approx(product).epsilon(1e-13));
    CHECK(s.g2 == Approx(2).epsilon(1e-14));
    CHECK(s.g4_ratio == Approx((1 + 2.0 / 4) * product).epsilon(1e-13));
    CHECK(s.g4_ratio == Approx(2.68101).epsilon(1e-6));
  }
}

TEST_CASE("exact leaky ReLU and linear nets: factor 1 + c(α)/n_l, any C_W, mixed widths",
          "[theory][exact]") {
  CHECK(leaky_constant(0) == Approx(5).epsilon(1e-15));
  CHECK(leaky_constant(1) == Approx(2).epsilon(1e-15));
  const std::vector<std::int64_t> widths{7, 19, 3, 50, 11};
  const std::vector<double> x{0.3, -1.2, 0.8, 2.0, -0.4, 1.1};
  const double n0 = 6, norm2 = 0.09 + 1.44 + 0.64 + 4 + 0.16 + 1.21;
  for (const double alpha : {0.0, 0.1, 0.3, 0.7, 1.0, -0.5}) {
    for (const double cw : {2 / (1 + alpha * alpha), 1.3}) {
      INFO("alpha " << alpha << ", cw " << cw);
      const RandomNetwork net{widths, x, cw, 0};
      const OutputStatistics s = homogeneous_exact(net, alpha);
      const double c = leaky_constant(alpha), gain = cw * (1 + alpha * alpha) / 2;
      double product = 1;
      for (const auto n : widths) product *= 1 + c / static_cast<double>(n);
      const double layers = std::pow(gain, static_cast<double>(widths.size()));
      CHECK(s.k2 == Approx(layers * cw * norm2 / n0).epsilon(1e-13));
      CHECK(s.r4 == Approx(product).epsilon(1e-13));
      CHECK(s.dz2 == Approx(layers * cw / n0).epsilon(1e-13));
      CHECK(s.rv4 == Approx(product).epsilon(1e-13));
      CHECK(s.g2 == Approx(layers * cw).epsilon(1e-13));
      CHECK(s.g4_ratio == Approx((1 + 2 / n0) * product).epsilon(1e-13));
    }
  }
  // linear: 1 + 2/n per layer
  const RandomNetwork lin{{4, 9}, {1, 2}, 1, 0};
  CHECK(homogeneous_exact(lin, 1).r4 == Approx((1 + 2.0 / 4) * (1 + 2.0 / 9)).epsilon(1e-14));
}

TEST_CASE("exact ReLU with bias: two-moment recursion of papers_CE.md E.3", "[theory][exact]") {
  // C_W|x|²/n0 = 1 with C_W = 2, n0 = 4: |x|² = 2; T₀₀ starts at 1.3.
  const double a = std::sqrt(0.5);
  const RandomNetwork net{{10, 10, 10}, {a, a, a, a}, 2, 0.3};
  const OutputStatistics s = homogeneous_exact(net, 0);
  CHECK(s.k2 == Approx(2.2).epsilon(1e-14));
  CHECK(s.r4 == Approx(2.162448347107438).epsilon(1e-13));  // = 2.16245 (rounded in E.3)
  // The bias does not reach derivatives: their law is the bias-free one.
  CHECK(s.dz2 == Approx(0.5).epsilon(1e-14));
  CHECK(s.rv4 == Approx(relu_product(net.widths)).epsilon(1e-13));
  CHECK(s.g4_ratio == Approx(1.5 * relu_product(net.widths)).epsilon(1e-13));
}

TEST_CASE("four-coordinate reduction equals the full k = 1 + n0 exact recursion",
          "[theory][exact]") {
  const std::vector<std::vector<double>> inputs{{0.7},
                                                {0, 0},
                                                {1.5, -0.5},
                                                {0.4, 1.0, -2.0},
                                                {0.6, -1.1, 0.4, 0.9},
                                                x_perp(),
                                                {1, 0, 0, 0, 0, 0},
                                                {0.2, -0.3, 1.4, 0.1, -0.9, 0.5}};
  for (const auto& x : inputs) {
    INFO("n0 = " << x.size() << ", x0 = " << x[0]);
    const RandomNetwork net{{3, 5, 8}, x, 1.7, 0.2};
    const CovarianceLaw full =
        homogeneous_exact_law(input_covariance(net), net.widths, net.cw, net.cb, 0.3);
    check_same(homogeneous_exact(net, 0.3), theory_test::full_statistics(full), 1e-12);
  }
}

TEST_CASE("exact recursion agrees with a Monte Carlo of the exact chain (leaky 0.3, C_b = 0.2)",
          "[theory][exact][monte_carlo]") {
  const RandomNetwork net{{3, 5}, {0.6, -1.1, 0.4, 0.9}, 1.8, 0.2};
  const double alpha = 0.3;
  const OutputStatistics want = homogeneous_exact(net, alpha);
  const ScalarFunction sigma = theory_test::leaky(alpha);
  Normals normals(11);
  nnsweep::stats::CoMoments m(6);
  const int samples = 300000;
  for (int i = 0; i < samples; ++i) {
    const Eigen::MatrixXd t = sample_chain(net, sigma, normals);
    const Eigen::MatrixXd r = t.bottomRightCorner(4, 4);
    const double trace = r.trace();
    // Rao–Blackwellised: E[z² | T] = T₀₀, E[‖∇z‖⁴ | T] = (tr R)² + 2 tr R².
    const double obs[6] = {t(0, 0), t(0, 0) * t(0, 0),
                           t(1, 1), t(1, 1) * t(1, 1),
                           trace,   trace * trace + 2 * r.squaredNorm()};
    m.add(obs);
  }
  using nnsweep::stats::mean_of;
  using nnsweep::stats::ratio_of_means;
  using nnsweep::stats::z_score;
  const auto k2 = mean_of(m, 0), dz2 = mean_of(m, 2), g2 = mean_of(m, 4);
  const auto r4 = ratio_of_means(m, 1, 0, 2), rv4 = ratio_of_means(m, 3, 2, 2),
             g4 = ratio_of_means(m, 5, 4, 2);
  INFO("k2 " << k2.value << " ± " << k2.sem << " vs " << want.k2);
  INFO("r4 " << r4.value << " ± " << r4.sem << " vs " << want.r4);
  INFO("rv4 " << rv4.value << " ± " << rv4.sem << " vs " << want.rv4);
  INFO("g4 " << g4.value << " ± " << g4.sem << " vs " << want.g4_ratio);
  CHECK(std::abs(z_score(k2, want.k2)) < 3);
  CHECK(std::abs(z_score(dz2, want.dz2)) < 3);
  CHECK(std::abs(z_score(g2, want.g2)) < 3);
  CHECK(std::abs(z_score(r4, want.r4)) < 3);
  CHECK(std::abs(z_score(rv4, want.rv4)) < 3);
  CHECK(std::abs(z_score(g4, want.g4_ratio)) < 3);
  // The test resolves the finite-width effect: the Gaussian (infinite-width) value r4 = 1 is far.
  CHECK(std::abs(z_score(r4, 1.0)) > 10);
  CHECK(std::abs(z_score(rv4, 1.0)) > 10);
}

TEST_CASE("invalid networks are rejected with nnsweep::error", "[theory][exact]") {
  const std::vector<double> x{1, 1};
  CHECK_THROWS_AS(homogeneous_exact(RandomNetwork{{}, x, 2, 0}, 0), nnsweep::error);
  CHECK_THROWS_AS(homogeneous_exact(RandomNetwork{{4, 0}, x, 2, 0}, 0), nnsweep::error);
  CHECK_THROWS_AS(homogeneous_exact(RandomNetwork{{4}, {}, 2, 0}, 0), nnsweep::error);
  CHECK_THROWS_AS(homogeneous_exact(RandomNetwork{{4}, x, 0, 0}, 0), nnsweep::error);
  CHECK_THROWS_AS(homogeneous_exact(RandomNetwork{{4}, x, 2, -0.1}, 0), nnsweep::error);
  CHECK_THROWS_AS(homogeneous_exact(RandomNetwork{{4}, {0, 0}, 2, 0}, 0), nnsweep::error);
  CHECK_THROWS_AS(input_covariance(RandomNetwork{{4}, {}, 2, 0}), nnsweep::error);
  CHECK_THROWS_AS(leading_order(RandomNetwork{{}, x, 1, 0}, theory_test::tanh_activation()),
                  nnsweep::error);
  CHECK_THROWS_AS(leading_order(RandomNetwork{{4}, x, 1, 0}, ScalarFunction{}), nnsweep::error);
  CHECK_NOTHROW(homogeneous_exact(RandomNetwork{{4}, {0, 0}, 2, 0.1}, 0));
}
