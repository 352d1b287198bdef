#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "nnsweep/rng/stream.hpp"
#include "nnsweep/stats/moments.hpp"

using namespace nnsweep;

namespace {
std::vector<double> sample(std::size_t n, std::uint64_t key) {
  rng::Stream s(1, key, 0, rng::Purpose::monte_carlo);
  std::vector<double> x(n);
  for (auto& v : x) v = std::pow(s.uniform(), 3) * 10 - 1;  // skewed, heavy-ish
  return x;
}
double two_pass_central(const std::vector<double>& x, int k) {
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double m = 0;
  for (double v : x) m += std::pow(v - mean, k);
  return m / static_cast<double>(x.size());
}
}  // namespace

TEST_CASE("streaming moments equal two-pass moments", "[stats]") {
  const auto x = sample(10000, 3);
  stats::Moments m;
  for (double v : x) m.add(v);
  for (int k = 2; k <= 4; ++k)
    CHECK(m.central_moment(k) == Approx(two_pass_central(x, k)).epsilon(1e-10));
  CHECK(m.variance() == Approx(two_pass_central(x, 2) * 10000.0 / 9999.0).epsilon(1e-10));
}

TEST_CASE("merging moments equals adding the samples in sequence", "[stats]") {
  const auto x = sample(5000, 4);
  stats::Moments all, a, b, c;
  for (std::size_t i = 0; i < x.size(); ++i) {
    all.add(x[i]);
    (i < 1234 ? a : i < 3000 ? b : c).add(x[i]);
  }
  stats::Moments ab = a;
  ab.merge(b);
  ab.merge(c);
  stats::Moments bc = b;
  bc.merge(c);
  stats::Moments a_bc = a;
  a_bc.merge(bc);
  for (int k = 2; k <= 4; ++k) {
    CHECK(ab.central_moment(k) == Approx(all.central_moment(k)).epsilon(1e-11));
    CHECK(a_bc.central_moment(k) == Approx(all.central_moment(k)).epsilon(1e-11));
  }
  CHECK(ab.count() == 5000);
  CHECK(ab.mean() == Approx(all.mean()).epsilon(1e-13));
}

TEST_CASE("co-moments give the sample covariance, and merge", "[stats]") {
  const auto x = sample(3000, 5), y = sample(3000, 6);
  stats::CoMoments m(2), a(2), b(2);
  double sx = 0, sy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v[2] = {x[i], x[i] * 0.5 + y[i]};
    m.add(v);
    (i % 3 == 0 ? a : b).add(v);
    sx += v[0];
    sy += v[1];
  }
  const double mx = sx / 3000, my = sy / 3000;
  double cxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) cxy += (x[i] - mx) * (x[i] * 0.5 + y[i] - my);
  CHECK(m.covariance(0, 1) == Approx(cxy / 2999).epsilon(1e-10));
  CHECK(m.covariance(1, 0) == m.covariance(0, 1));
  a.merge(b);
  CHECK(a.covariance(0, 1) == Approx(m.covariance(0, 1)).epsilon(1e-10));
  CHECK(a.mean(1) == Approx(my).epsilon(1e-12));
}

TEST_CASE("the delta-method standard error of a ratio matches its spread over repetitions",
          "[stats]") {
  // R = E[X²]/E[X]² for X ~ Exp(1): R = 2. Repeat 400 estimates of 2000 samples each; the spread of
  // the estimates must match the mean reported sem within sampling error of a 400-sample SD (±15%).
  stats::Moments estimates, reported_sem;
  for (std::uint64_t rep = 0; rep < 400; ++rep) {
    rng::Stream s(9, rep, 0, rng::Purpose::monte_carlo);
    stats::CoMoments m(2);
    for (int i = 0; i < 2000; ++i) {
      const double x = -std::log(s.uniform());
      const double v[2] = {x, x * x};
      m.add(v);
    }
    const auto r = stats::ratio_of_means(m, 1, 0, 2);
    estimates.add(r.value);
    reported_sem.add(r.sem);
  }
  CHECK(std::abs(estimates.mean() - 2) < 3 * estimates.sem() + 0.01);  // O(1/n) bias allowed
  CHECK(std::sqrt(estimates.variance()) == Approx(reported_sem.mean()).epsilon(0.15));
}
