#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "nnsweep/rng/stream.hpp"
#include "nnsweep/stats/moments.hpp"

using namespace nnsweep;

TEST_CASE("Philox4x32-10 reproduces the Random123 known-answer vector", "[rng]") {
  // kat_vectors: philox4x32 10 with counter 0 and key 0.
  r123::Philox4x32 philox;
  const auto out = philox({{0, 0, 0, 0}}, {{0, 0}});
  CHECK(out.v[0] == 0x6627e8d5u);
  CHECK(out.v[1] == 0xe169c58du);
  CHECK(out.v[2] == 0xbc57ac4cu);
  CHECK(out.v[3] == 0x9b00dbd8u);
}

TEST_CASE("streams are reproducible and separated by every key part", "[rng]") {
  const rng::Stream base(1, 2, 3, rng::Purpose::init);
  CHECK(rng::Stream(1, 2, 3, rng::Purpose::init).block(17) == base.block(17));
  std::set<std::array<std::uint32_t, 4>> seen{base.block(0)};
  seen.insert(rng::Stream(2, 2, 3, rng::Purpose::init).block(0));
  seen.insert(rng::Stream(1, 3, 3, rng::Purpose::init).block(0));
  seen.insert(rng::Stream(1, 2, 4, rng::Purpose::init).block(0));
  seen.insert(rng::Stream(1, 2, 3, rng::Purpose::data).block(0));
  seen.insert(base.block(1));
  CHECK(seen.size() == 6);
  rng::Stream a(5, 6, 7, rng::Purpose::monte_carlo);
  const auto b0 = a.block(0);
  CHECK(a.next_u32() == b0[0]);
  CHECK(a.next_u32() == b0[1]);
}

TEST_CASE("uniforms lie in (0,1) with the right mean and variance", "[rng]") {
  rng::Stream s(1, 1, 0, rng::Purpose::monte_carlo);
  stats::Moments m, mf;
  for (int i = 0; i < 200000; ++i) {
    const double u = s.uniform();
    const float f = s.uniform_float();
    REQUIRE(u > 0.0);
    REQUIRE(u < 1.0);
    REQUIRE(f > 0.0f);
    REQUIRE(f < 1.0f);
    m.add(u);
    mf.add(f);
  }
  CHECK(std::abs(m.mean() - 0.5) < 3 * m.sem());
  CHECK(std::abs(mf.mean() - 0.5) < 3 * mf.sem());
  CHECK(m.variance() == Approx(1.0 / 12).epsilon(0.01));
}

TEST_CASE("the extreme bit patterns stay strictly inside (0, 1)", "[rng]") {
  CHECK(rng::to_unit_float(0xffffffffu) < 1.0f);
  CHECK(rng::to_unit_float(0u) > 0.0f);
  CHECK(rng::to_unit_double(~std::uint64_t{0}) < 1.0);
  CHECK(rng::to_unit_double(0) > 0.0);
}

TEST_CASE("below(n) is uniform over [0, n)", "[rng]") {
  rng::Stream s(1, 2, 0, rng::Purpose::batch_order);
  const int n = 7, draws = 70000;
  std::vector<int> counts(n, 0);
  for (int i = 0; i < draws; ++i) ++counts[s.below(n)];
  double chi2 = 0;
  for (int c : counts) chi2 += std::pow(c - draws / double(n), 2) / (draws / double(n));
  CHECK(chi2 < 22.46);  // 99.9% quantile of chi-square with 6 degrees of freedom
}
