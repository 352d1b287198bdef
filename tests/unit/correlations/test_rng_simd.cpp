// rng/simd.hpp: distribution of the lane generators' normals, χ² and binomial variates, lane
// independence, and a lane's stream being the same bits at any lane position and lane count.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "nnsweep/rng/simd.hpp"
#include "nnsweep/stats/moments.hpp"

using namespace nnsweep;

namespace {

rng::Stream lane_stream(std::uint64_t replica) {
  return {7, 11, replica, rng::Purpose::generator_seed};
}

// Bitwise equality: what "the same numbers" means for determinism.
template <typename T>
bool same_bits(T a, T b) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  Bits x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y;
}

template <typename T, int Lanes>
rng::LaneGenerator<T, Lanes> seeded(std::uint64_t first_replica = 0) {
  rng::LaneGenerator<T, Lanes> g;
  for (int l = 0; l < Lanes; ++l)
    g.seed(l, lane_stream(first_replica + static_cast<std::uint64_t>(l)));
  return g;
}

// `rows` draws of every lane: out[row·Lanes + lane].
template <typename T, int Lanes>
std::vector<T> draw_normals(rng::LaneGenerator<T, Lanes>& g, std::size_t rows) {
  std::vector<T> out(rows * Lanes);
  g.normals(out.data(), rows);
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("lane normals have mean 0, variance 1 and kurtosis 3", "[rng_simd]", float,
                   double) {
  using T = TestType;
  constexpr int lanes = rng::block_lanes<T>;
  auto g = seeded<T, lanes>();
  stats::Moments x, x2, x4;
  for (int batch = 0; batch < 8; ++batch)
    for (const T v : draw_normals(g, 1 << 14)) {
      const auto d = static_cast<double>(v);
      x.add(d);
      x2.add(d * d);
      x4.add(d * d * d * d);
    }
  REQUIRE(x.count() == 8 * (1 << 14) * lanes);
  CHECK(std::abs(x.mean()) < 3 * x.sem());
  CHECK(std::abs(x2.mean() - 1) < 3 * x2.sem());
  CHECK(std::abs(x4.mean() - 3) < 3 * x4.sem());
}

TEMPLATE_TEST_CASE("lane normals pass a chi-square test on 40 equiprobable bins", "[rng_simd]",
                   float, double) {
  using T = TestType;
  constexpr int lanes = rng::block_lanes<T>, bins = 40;
  auto g = seeded<T, lanes>(1000);
  std::vector<double> counts(bins, 0.0);
  const std::vector<T> z = draw_normals(g, 1 << 15);
  for (const T v : z) {
    const double cdf = 0.5 * std::erfc(-static_cast<double>(v) / std::sqrt(2.0));
    ++counts[static_cast<std::size_t>(std::min(bins - 1, static_cast<int>(cdf * bins)))];
  }
  const double expected = static_cast<double>(z.size()) / bins;
  double chi2 = 0;
  for (const double c : counts) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < 72.05);  // 99.9% quantile of chi-square with 39 degrees of freedom
  // The tails are there too: |z| > 4 has probability erfc(4/√2) = 6.3e-5, about 33 of the
  // 5.2e5 float draws (2^15 rows × 16 lanes) and 17 of the 2.6e5 double draws (× 8 lanes); the
  // count is Poisson, within 3 standard deviations of that.
  std::size_t tail = 0;
  for (const T v : z) tail += std::fabs(static_cast<double>(v)) > 4 ? 1 : 0;
  const double tail_expected = std::erfc(4 / std::sqrt(2.0)) * static_cast<double>(z.size());
  INFO("tail " << tail << ", expected " << tail_expected);
  CHECK(std::fabs(static_cast<double>(tail) - tail_expected) < 3 * std::sqrt(tail_expected));
}

TEMPLATE_TEST_CASE("lanes are uncorrelated", "[rng_simd]", float, double) {
  using T = TestType;
  constexpr int lanes = rng::block_lanes<T>;
  constexpr std::size_t rows = 1 << 15;
  auto g = seeded<T, lanes>(5000);
  const std::vector<T> z = draw_normals(g, rows);
  // Each pair's correlation is N(0, 1/rows); 4.5σ bounds the largest of the 120 (or 28) pairs
  // at a 1e-3 false-alarm rate (Bonferroni).
  double worst = 0;
  for (int a = 0; a < lanes; ++a)
    for (int b = a + 1; b < lanes; ++b) {
      double sum = 0, lag = 0;
      for (std::size_t i = 0; i < rows; ++i) {
        sum += static_cast<double>(z[i * lanes + a]) * static_cast<double>(z[i * lanes + b]);
        if (i > 0)
          lag +=
              static_cast<double>(z[i * lanes + a]) * static_cast<double>(z[(i - 1) * lanes + b]);
      }
      worst = std::max({worst, std::fabs(sum) / std::sqrt(double(rows)),
                        std::fabs(lag) / std::sqrt(double(rows))});
    }
  CHECK(worst < 4.5);
  // With 2·120 (float) or 2·28 (double) sums, a maximum below 1σ would mean they are not random.
  CHECK(worst > 1.0);
}

TEMPLATE_TEST_CASE("a lane's numbers do not depend on its position or the lane count", "[rng_simd]",
                   float, double) {
  using T = TestType;
  constexpr std::uint64_t replica = 42;
  // The same replica at lane 0 of 1, lane 3 of 4, lane 5 of 8 and lane 13 of 16.
  rng::LaneGenerator<T, 1> one;
  one.seed(0, lane_stream(replica));
  auto four = seeded<T, 4>(replica - 3);
  auto eight = seeded<T, 8>(replica - 5);
  auto sixteen = seeded<T, 16>(replica - 13);
  const auto n1 = draw_normals(one, 101), n4 = draw_normals(four, 101),
             n8 = draw_normals(eight, 101), n16 = draw_normals(sixteen, 101);
  int same = 0;
  for (std::size_t i = 0; i < 101; ++i) {
    same += same_bits(n1[i], n4[i * 4 + 3]) && same_bits(n1[i], n8[i * 8 + 5]) &&
            same_bits(n1[i], n16[i * 16 + 13]);
  }
  CHECK(same == 101);
  // Masked draws and χ²: lane 13 of 16 with its neighbours rejecting differently.
  T dof1[1] = {T(3)}, dof16[16], chi1[1], chi16[16];
  for (int l = 0; l < 16; ++l) dof16[l] = T(l % 5);
  dof16[13] = T(3);
  T b1[1], b16[16];
  for (int round = 0; round < 50; ++round) {
    one.chi_square(dof1, chi1);
    sixteen.chi_square(dof16, chi16);
    one.binomial_half(77, b1);
    sixteen.binomial_half(77, b16);
    REQUIRE(same_bits(chi1[0], chi16[13]));
    REQUIRE(b1[0] == b16[13]);
  }
  const auto after1 = draw_normals(one, 3), after16 = draw_normals(sixteen, 3);
  CHECK(same_bits(after1[2], after16[2 * 16 + 13]));
}

TEMPLATE_TEST_CASE("uniforms lie in the open unit interval", "[rng_simd]", float, double) {
  using T = TestType;
  constexpr int lanes = rng::block_lanes<T>;
  auto g = seeded<T, lanes>(77);
  std::vector<T> u(std::size_t{1 << 16} * lanes);
  g.uniforms(u.data(), 1 << 16);
  stats::Moments m;
  T lo = 1, hi = 0;
  for (const T v : u) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    m.add(static_cast<double>(v));
  }
  CHECK(lo > T(0));
  CHECK(hi < T(1));
  // The extreme words too (a draw of all ones must not round to 1: log(1 − u) and 1/u stay finite).
  using Traits = rng::detail::Xoshiro<T>;
  CHECK(Traits::unit(~typename Traits::Word(0)) < T(1));
  CHECK(Traits::unit(typename Traits::Word(0)) > T(0));
  CHECK(std::abs(m.mean() - 0.5) < 3 * m.sem());
}

TEMPLATE_TEST_CASE("chi-square and binomial(n, 1/2) variates have the right mean and variance",
                   "[rng_simd]", float, double) {
  using T = TestType;
  constexpr int lanes = rng::block_lanes<T>;
  auto g = seeded<T, lanes>(300);
  // χ²_ν has mean ν and variance 2ν; the lanes cover small (boosted) and large ν.
  const double dofs[] = {1, 2, 3, 7, 40, 1000, 2, 5};
  T dof[lanes];
  for (int l = 0; l < lanes; ++l) dof[l] = static_cast<T>(dofs[l % 8]);
  std::vector<stats::Moments> chi(lanes);
  for (int i = 0; i < 20000; ++i) {
    T out[lanes];
    g.chi_square(dof, out);
    for (int l = 0; l < lanes; ++l)
      chi[static_cast<std::size_t>(l)].add(static_cast<double>(out[l]));
  }
  for (int l = 0; l < 8; ++l) {
    const stats::Moments& m = chi[static_cast<std::size_t>(l)];
    INFO("dof " << dofs[l]);
    CHECK(std::abs(m.mean() - dofs[l]) < 3 * m.sem());
    // sd of the sample variance ≈ √((μ₄ − σ⁴)/N), μ₄ = 12ν(ν + 4) for χ²_ν.
    const double nu = dofs[l], var_sd = std::sqrt((12 * nu * (nu + 4) - 4 * nu * nu) / m.count());
    CHECK(std::abs(m.variance() - 2 * nu) < 3 * var_sd);
  }
  T zero[lanes] = {}, out[lanes];
  g.chi_square(zero, out);
  for (int l = 0; l < lanes; ++l) {
    INFO("lane " << l);
    CHECK(out[l] == T(0));
  }
  stats::Moments b37, b1000;
  for (int i = 0; i < 4000; ++i) {
    g.binomial_half(37, out);
    for (int l = 0; l < lanes; ++l) b37.add(static_cast<double>(out[l]));
    g.binomial_half(1000, out);
    for (int l = 0; l < lanes; ++l) b1000.add(static_cast<double>(out[l]));
  }
  // Bin(n, ½) has mean n/2, variance n/4 and kurtosis ≈ 3: sd of the sample variance ≈ var·√(2/N).
  const double relative_sd = std::sqrt(2.0 / static_cast<double>(b37.count()));
  CHECK(std::abs(b37.mean() - 18.5) < 3 * b37.sem());
  CHECK(std::abs(b37.variance() - 37 / 4.0) < 3 * relative_sd * 37 / 4.0);
  CHECK(std::abs(b1000.mean() - 500) < 3 * b1000.sem());
  CHECK(std::abs(b1000.variance() - 250) < 3 * relative_sd * 250);
}
