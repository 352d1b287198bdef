// Curve schedules and the engine's random helpers (normals, bounded integers, shuffles).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "nnsweep/nn/random.hpp"
#include "nnsweep/nn/schedule.hpp"

using namespace nnsweep;

TEST_CASE("log-spaced schedules have a fixed length, both ends and distinct points",
          "[nn][schedule]") {
  for (std::int64_t total : {1, 2, 5, 29, 30, 200, 40000, 10000000})
    for (std::int64_t points : {2, 3, 10, 30, 31, 100}) {
      const auto s = nn::log_schedule(total, points);
      INFO("total " << total << ", points " << points);
      REQUIRE(static_cast<std::int64_t>(s.size()) == nn::schedule_length(total, points));
      CHECK(static_cast<std::int64_t>(s.size()) == std::min(points, total + 1));
      CHECK(s.front() == 0);
      CHECK(s.back() == total);
      CHECK(std::adjacent_find(s.begin(), s.end(), [](auto a, auto b) { return b <= a; }) ==
            s.end());
      const auto lin = nn::linear_schedule(total, points);
      REQUIRE(lin.size() == s.size());
      CHECK(lin.front() == 0);
      CHECK(lin.back() == total);
      CHECK(std::adjacent_find(lin.begin(), lin.end(), [](auto a, auto b) { return b <= a; }) ==
            lin.end());
    }
  // 200 epochs, 30 points: every epoch while the geometric sequence 200^((i−1)/28) (ratio ≈ 1.21)
  // would repeat a point, then that sequence rounded: 0, 1, …, 15, 17, 21, 25, 30, …, 166, 200.
  const auto s = nn::log_schedule(200, 30);
  REQUIRE(s.size() == 30);
  for (std::size_t i = 1; i < s.size(); ++i) {
    const auto geometric =
        static_cast<std::int64_t>(std::llround(std::pow(200.0, (static_cast<double>(i) - 1) / 28)));
    CHECK(s[i] == std::max(s[i - 1] + 1, geometric));
  }
  CHECK(s[15] == 15);
  CHECK(s[16] == 17);
  CHECK(s[28] == 166);
  CHECK(nn::log_schedule(200, 2) == std::vector<std::int64_t>{0, 200});
  CHECK(nn::log_schedule(4, 30) == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  CHECK(nn::linear_schedule(10, 6) == std::vector<std::int64_t>{0, 2, 4, 6, 8, 10});
}

TEST_CASE("normals have mean 0 and variance 1 within 3 sigma, and are reproducible",
          "[nn][random]") {
  nn::NormalSampler g(rng::Stream(5, 6, 7, rng::Purpose::init));
  const int n = 200000;
  double sum = 0, sum2 = 0, sum4 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = g();
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
  }
  CHECK(std::fabs(sum / n) < 3 / std::sqrt(n));
  CHECK(std::fabs(sum2 / n - 1) < 3 * std::sqrt(2.0 / n));
  CHECK(std::fabs(sum4 / n - 3) < 3 * std::sqrt(96.0 / n));
  nn::NormalSampler a(rng::Stream(5, 6, 7, rng::Purpose::init)),
      b(rng::Stream(5, 6, 7, rng::Purpose::init));
  for (int i = 0; i < 5; ++i) CHECK(a() == b());
}

TEST_CASE("shuffles are uniform over permutations (chi-square) and bounded integers unbiased",
          "[nn][random]") {
  rng::Stream stream(1, 2, 3, rng::Purpose::batch_order);
  std::map<std::vector<std::int32_t>, int> counts;
  const int n = 60000;
  for (int i = 0; i < n; ++i) {
    std::vector<std::int32_t> p = {0, 1, 2};
    nn::shuffle(p.data(), 3, stream);
    ++counts[p];
  }
  REQUIRE(counts.size() == 6);
  double chi2 = 0;
  for (const auto& [perm, c] : counts) chi2 += (c - n / 6.0) * (c - n / 6.0) / (n / 6.0);
  CHECK(chi2 < 20.5);  // 5 degrees of freedom: P(χ² > 20.5) ≈ 0.001
  // Bounded integers near 2^32 hit the rejection branch; all values stay below the bound.
  for (std::uint32_t bound : {1u, 7u, 3000000019u, 4294967295u})
    for (int i = 0; i < 1000; ++i) CHECK(nn::uniform_below(stream, bound) < bound);
}
