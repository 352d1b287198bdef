#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "nnsweep/core/error.hpp"
#include "nnsweep/theory/gauss_hermite.hpp"

using nnsweep::theory::gauss_hermite;
using nnsweep::theory::gaussian_average;

namespace {

// log of E g^{2m} = (2m−1)!!
double log_double_factorial(int m) {
  double s = 0;
  for (int j = 1; j <= m; ++j) s += std::log(2.0 * j - 1);
  return s;
}

// Σ w x^{power} summed in log space: tail terms (w ~ 1e-237, x^{2m} ~ 1e450) are fine separately.
double rule_moment(const nnsweep::theory::GaussHermite& rule, int power) {
  double sum = 0;
  for (std::size_t i = 0; i < rule.nodes.size(); ++i) {
    const double x = rule.nodes[i];
    if (x == 0) {
      sum += power == 0 ? rule.weights[i] : 0.0;
      continue;
    }
    const double mag = std::exp(std::log(rule.weights[i]) + power * std::log(std::abs(x)));
    sum += (x < 0 && power % 2 == 1) ? -mag : mag;
  }
  return sum;
}

// Reference ⟨f⟩_K by the trapezoid rule on a fine grid (exponentially accurate for analytic
// integrands with Gaussian decay): an independent second implementation.
template <typename F>
double trapezoid_average(F f, double variance) {
  const double h = 0.002, limit = 40;
  const double sd = std::sqrt(variance);
  double sum = 0;
  for (double g = -limit; g <= limit + h / 2; g += h) sum += f(sd * g) * std::exp(-0.5 * g * g);
  return sum * h / std::sqrt(2 * M_PI);
}

}  // namespace

TEST_CASE("Gauss–Hermite rules are symmetric, ascending and normalised",
          "[theory][gauss_hermite]") {
  for (const int order : {1, 2, 3, 8, 41, 160, 300}) {
    const auto& rule = gauss_hermite(order);
    const auto n = static_cast<std::size_t>(order);
    REQUIRE(rule.nodes.size() == n);
    REQUIRE(rule.weights.size() == n);
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      total += rule.weights[i];
      CHECK(rule.weights[i] > 0);
      CHECK(rule.nodes[i] == -rule.nodes[n - 1 - i]);
      CHECK(rule.weights[i] == rule.weights[n - 1 - i]);
      if (i > 0) CHECK(rule.nodes[i] > rule.nodes[i - 1]);
    }
    CHECK(total == Approx(1).margin(1e-14));
  }
  CHECK(&gauss_hermite(37) == &gauss_hermite(37));  // cached, stable address
}

TEST_CASE("Gauss–Hermite integrates E g^{2m} = (2m−1)!! exactly up to degree 2·order − 1",
          "[theory][gauss_hermite]") {
  for (const int order : {2, 5, 20, 80, 160, 300}) {
    const auto& rule = gauss_hermite(order);
    int checked = 0;
    for (int m = 0; 2 * m <= 2 * order - 1; ++m) {
      const double log_expected = log_double_factorial(m);
      if (log_expected > 600) break;  // beyond double range
      const double got = rule_moment(rule, 2 * m);
      INFO("order " << order << ", degree " << 2 * m);
      CHECK(std::log(got) == Approx(log_expected).margin(2e-12 * (1 + m)));
      // Odd moments vanish (relative to the size of the neighbouring even moment).
      CHECK(std::abs(rule_moment(rule, 2 * m + 1)) <=
            1e-12 * std::exp(0.5 * (log_expected + log_double_factorial(m + 1))));
      ++checked;
    }
    CHECK(checked >= std::min(order, 130));  // (2m−1)!! < e^600 up to m = 132
  }
  // One degree beyond: the Gauss error term is f^{(2n)}/(2n)! · n! = n!, so the rule gives
  // (2n−1)!! − n! for g^{2n}; this shows the exactness degree is exactly 2n − 1.
  CHECK(rule_moment(gauss_hermite(5), 10) == Approx(945.0 - 120.0).epsilon(1e-13));
  CHECK(rule_moment(gauss_hermite(10), 20) == Approx(654729075.0 - 3628800.0).epsilon(1e-13));
}

TEST_CASE("Gaussian averages match closed forms and a trapezoid reference",
          "[theory][gauss_hermite]") {
  // E cos(√K g) = exp(−K/2)
  for (const double k : {0.0, 0.3, 1.0, 4.0, 25.0}) {
    CHECK(gaussian_average([](double y) { return std::cos(y); }, k) ==
          Approx(std::exp(-k / 2)).margin(1e-14));
  }
  // ⟨tanh²⟩_K, ⟨tanh⁴⟩_K, ⟨sech⁴⟩_K, ⟨erf(y/√2)²⟩ against the trapezoid rule.
  auto tanh2 = [](double y) { return std::pow(std::tanh(y), 2); };
  auto tanh4 = [](double y) { return std::pow(std::tanh(y), 4); };
  auto sech4 = [](double y) { return std::pow(1 - std::pow(std::tanh(y), 2), 2); };
  for (const double k : {0.01, 0.25, 1.0, 4.0}) {
    INFO("K = " << k);
    const double scale = k;  // ⟨tanh²⟩_K ≈ K for small K: compare relative to that size
    CHECK(gaussian_average(tanh2, k) == Approx(trapezoid_average(tanh2, k)).margin(1e-13 * scale));
    CHECK(gaussian_average(tanh4, k) == Approx(trapezoid_average(tanh4, k)).margin(1e-13 * scale));
    CHECK(gaussian_average(sech4, k) == Approx(trapezoid_average(sech4, k)).margin(1e-13));
    CHECK(gaussian_average(tanh2, k, 300) ==
          Approx(gaussian_average(tanh2, k, 160)).margin(1e-13 * scale));
  }
  // erf(y/√2)² has ⟨·⟩_K = (2/π) asin(K/(1+K)) (arcsine kernel).
  for (const double k : {0.1, 1.0, 3.0}) {
    CHECK(gaussian_average([](double y) { return std::pow(std::erf(y / std::sqrt(2.0)), 2); }, k) ==
          Approx(2 / M_PI * std::asin(k / (1 + k))).epsilon(1e-13));
  }
}

TEST_CASE("Gauss–Hermite rejects invalid input", "[theory][gauss_hermite]") {
  CHECK_THROWS_AS(gauss_hermite(0), nnsweep::error);
  CHECK_THROWS_AS(gauss_hermite(-3), nnsweep::error);
  CHECK_THROWS_AS(gauss_hermite(2001), nnsweep::error);
  CHECK_THROWS_AS(gaussian_average([](double y) { return y; }, -1.0), nnsweep::error);
}
