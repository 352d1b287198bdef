// Holm's step-down correction and the p-value of nnsweep diff, against values worked by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "nnsweep/report/diff.hpp"

using namespace nnsweep;

TEST_CASE("diff: Holm adjusted p-values by hand", "[diff]") {
  // m = 4, sorted p: 0.01, 0.02, 0.03, 0.5 → 4·0.01 = 0.04, max(0.04, 3·0.02 = 0.06) = 0.06,
  // max(0.06, 2·0.03 = 0.06) = 0.06, max(0.06, 1·0.5) = 0.5; returned in the given order.
  const auto adj = report::holm_adjust({0.03, 0.5, 0.01, 0.02});
  REQUIRE(adj.size() == 4);
  CHECK(adj[0] == Approx(0.06).epsilon(1e-15));
  CHECK(adj[1] == Approx(0.5).epsilon(1e-15));
  CHECK(adj[2] == Approx(0.04).epsilon(1e-15));
  CHECK(adj[3] == Approx(0.06).epsilon(1e-15));
  // At alpha = 0.05 Holm rejects only p = 0.01 (0.04 ≤ 0.05; step 2 needs 0.02 ≤ 0.05/3).
  // Monotone step-down: the running max enforces it even when (m − j + 1) p_j falls.
  const auto mono = report::holm_adjust({0.001, 0.04, 0.045});  // 0.003, 0.08, max(0.08, 0.045)
  CHECK(mono[0] == Approx(0.003));
  CHECK(mono[1] == Approx(0.08));
  CHECK(mono[2] == Approx(0.08));
  // Capped at 1; NaN (untested) stays NaN and does not count in m.
  const auto capped = report::holm_adjust({0.6, std::nan(""), 0.4});  // m = 2: 0.8, max(0.8, 0.6)
  CHECK(capped[2] == Approx(0.8));
  CHECK(capped[0] == Approx(0.8));
  CHECK(std::isnan(capped[1]));
  const auto one = report::holm_adjust({0.7, 0.9});  // 2·0.7 → 1
  CHECK(one[0] == 1.0);
  CHECK(one[1] == 1.0);
}

TEST_CASE("diff: two-sided normal p-value", "[diff]") {
  CHECK(report::two_sided_p(0) == 1.0);
  CHECK(report::two_sided_p(1.959963984540054) == Approx(0.05).epsilon(1e-12));
  CHECK(report::two_sided_p(-1.959963984540054) == Approx(0.05).epsilon(1e-12));
  CHECK(report::two_sided_p(INFINITY) == 0.0);
}
