// Curve schedules and the engine's random helpers (normals, bounded integers, shuffles).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
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

TEST_CASE("shuffles are uniform over permutations (chi-square)", "[nn][random]") {
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
}

TEST_CASE("bounded integers are unbiased", "[nn][random]") {
  rng::Stream stream(4, 5, 6, rng::Purpose::batch_order);
  // n = 3·2^30: uniform_below maps u (32 bits) to ⌊u·n/2^32⌋ = ⌊3u/4⌋ and redraws when
  // (u·n) mod 2^32 < 2^32 mod n = 2^30, which removes exactly the excess, so P(result < 2^30)
  // = 1/3. Without the rejection it is 1/3 + 2/(3·2^32) (not testable); a naive u mod n gives
  // 1/2 (u < 2^30 and u >= 3·2^30 both land below 2^30). 3σ of the binomial share at N draws:
  // 3·√((1/3)(2/3)/N) ≈ 0.0030 for N = 200000, far below the 1/6 a modulo would be off by.
  const std::uint32_t big = 3u << 30;
  const int n = 200000;
  int below = 0;
  for (int i = 0; i < n; ++i) {
    const std::uint32_t x = nn::uniform_below(stream, big);
    REQUIRE(x < big);
    below += x < (1u << 30) ? 1 : 0;
  }
  const double share = static_cast<double>(below) / n;
  CHECK(std::fabs(share - 1.0 / 3) < 3 * std::sqrt((1.0 / 3) * (2.0 / 3) / n));
  // n = 7: chi-square of the 7 counts over N = 70000 draws, 6 degrees of freedom:
  // P(χ² > 22.46) ≈ 0.001.
  const int draws = 70000;
  std::vector<int> counts(7, 0);
  for (int i = 0; i < draws; ++i) {
    const std::uint32_t x = nn::uniform_below(stream, 7);
    REQUIRE(x < 7);
    ++counts[x];
  }
  const double expected = draws / 7.0;
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < 22.46);
}

TEST_CASE("the block sampler draws NormalSampler's normals, bit for bit", "[nn][random]") {
  for (std::uint64_t key : {1u, 2u, 77u}) {
    const rng::Stream stream(3, key, 5, rng::Purpose::data);
    nn::NormalSampler one(stream);
    nn::NormalBlockSampler block(stream);
    int differ = 0;
    for (int i = 0; i < 3 * nn::NormalBlockSampler::block + 17; ++i) {
      const double a = one(), b = block();
      differ += std::memcmp(&a, &b, sizeof a) != 0 ? 1 : 0;
    }
    CHECK(differ == 0);
  }
}
