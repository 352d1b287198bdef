// Exact counts T(r, m), G(r, m) of the `symmetry` experiment against the vectors of
// shared/design/EXPERIMENTS.md §5 and papers_CE.md §C.3/§C.7, the other closed forms, brute-force
// enumeration of maps, and log-space ratios.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nnsweep/core/error.hpp"
#include "nnsweep/theory/symmetry_counts.hpp"

using namespace nnsweep;
using theory::BigInt;
using theory::critical_subspaces;
using theory::global_minima_subspaces;

namespace {

BigInt binomial(int n, int k) {
  BigInt out = 1;
  for (int i = 1; i <= k; ++i) out = out * (n - k + i) / i;
  return out;
}

BigInt power(int base, int exponent) {
  BigInt out = 1;
  for (int i = 0; i < exponent; ++i) out *= base;
  return out;
}

// Inclusion–exclusion: G = Σ_j (−1)^j C(r,j)(r − j)^m, T = Σ_j (−1)^j C(r,j)(r + 1 − j)^m.
BigInt g_inclusion_exclusion(int r, int m) {
  BigInt sum = 0;
  for (int j = 0; j <= r; ++j) {
    const BigInt term = binomial(r, j) * power(r - j, m);
    sum += j % 2 == 0 ? term : BigInt(-term);
  }
  return sum;
}
BigInt t_inclusion_exclusion(int r, int m) {
  BigInt sum = 0;
  for (int j = 0; j <= r; ++j) {
    const BigInt term = binomial(r, j) * power(r + 1 - j, m);
    sum += j % 2 == 0 ? term : BigInt(-term);
  }
  return sum;
}

// Counts maps [m] → {0..r} (zero = zero-type neuron) whose image covers {1..r}: T; and, among
// them, those that never use 0: G.
void enumerate(int r, int m, long& onto_with_zero, long& onto_without_zero) {
  onto_with_zero = onto_without_zero = 0;
  std::vector<int> map(static_cast<std::size_t>(m), 0);
  while (true) {
    std::vector<bool> hit(static_cast<std::size_t>(r) + 1, false);
    for (int v : map) hit[static_cast<std::size_t>(v)] = true;
    bool onto = true;
    for (int i = 1; i <= r; ++i) onto = onto && hit[static_cast<std::size_t>(i)];
    if (onto) {
      ++onto_with_zero;
      if (!hit[0]) ++onto_without_zero;
    }
    int k = 0;  // odometer in base r + 1
    while (k < m && map[static_cast<std::size_t>(k)] == r) map[static_cast<std::size_t>(k++)] = 0;
    if (k == m) break;
    ++map[static_cast<std::size_t>(k)];
  }
}

}  // namespace

TEST_CASE("T and G equal the exact vectors of the experiment spec", "[theory][symmetry]") {
  const auto t = [](int r, int m) { return theory::decimal(global_minima_subspaces(r, m)); };
  const auto g = [](int r, int m) { return theory::decimal(critical_subspaces(r, m)); };
  CHECK(t(2, 3) == "12");
  CHECK(t(3, 5) == "390");
  CHECK(t(4, 8) == "166824");
  CHECK(t(5, 10) == "21538440");
  CHECK(t(7, 12) == "9574044480");
  CHECK(t(10, 20) == "97349279409046828800");
  CHECK(g(3, 5) == "150");
  CHECK(g(4, 8) == "40824");
  CHECK(g(6, 12) == "953029440");
  // Rows of the tables of papers_CE.md §C.3 (m = 1..12).
  const std::vector<std::string> t4 = {"0",       "0",       "0",        "24",
                                       "360",     "3360",    "25200",    "166824",
                                       "1020600", "5921520", "33105600", "180204024"};
  const std::vector<std::string> g6 = {"0",       "0",        "0",         "0",
                                       "0",       "720",      "15120",     "191520",
                                       "1905120", "16435440", "129230640", "953029440"};
  for (int m = 1; m <= 12; ++m) {
    CHECK(t(4, m) == t4[static_cast<std::size_t>(m - 1)]);
    CHECK(g(6, m) == g6[static_cast<std::size_t>(m - 1)]);
  }
}

TEST_CASE("edge cases: m < r gives 0, m = r gives r!, r = 0", "[theory][symmetry]") {
  for (int r = 1; r <= 12; ++r) {
    for (int m = 0; m < r; ++m) {
      CHECK(global_minima_subspaces(r, m) == 0);
      CHECK(critical_subspaces(r, m) == 0);
    }
    CHECK(global_minima_subspaces(r, r) == theory::factorial(r));
    CHECK(critical_subspaces(r, r) == theory::factorial(r));
  }
  for (int m = 0; m <= 6; ++m) {
    CHECK(global_minima_subspaces(0, m) == 1);  // every neuron zero-type
    CHECK(critical_subspaces(0, m) == (m == 0 ? 1 : 0));
  }
  CHECK(theory::stirling2(0, 0) == 1);
  CHECK(theory::stirling2(5, 0) == 0);
  CHECK(theory::stirling2(10, 4) == 34105);
  CHECK_THROWS_AS(global_minima_subspaces(-1, 3), config_error);
  CHECK_THROWS_AS(critical_subspaces(2, -1), config_error);
}

TEST_CASE("the Stirling forms equal inclusion–exclusion and the special cases",
          "[theory][symmetry]") {
  for (int r = 0; r <= 8; ++r)
    for (int m = 0; m <= 19; ++m) {
      INFO("r = " << r << ", m = " << m);
      CHECK(global_minima_subspaces(r, m) == t_inclusion_exclusion(r, m));
      CHECK(critical_subspaces(r, m) == g_inclusion_exclusion(r, m));
      // T counts a zero-type group of any size k beside an onto map of the other m − k neurons.
      BigInt sum = 0;
      for (int k = 0; k <= m; ++k) sum += binomial(m, k) * critical_subspaces(r, m - k);
      CHECK(global_minima_subspaces(r, m) == sum);
    }
  for (int r = 1; r <= 10; ++r) {
    CHECK(2 * global_minima_subspaces(r, r + 1) == theory::factorial(r + 2));
    CHECK(2 * critical_subspaces(r, r + 1) == r * theory::factorial(r + 1));
  }
  for (int m = 1; m <= 30; ++m) {
    CHECK(global_minima_subspaces(1, m) == power(2, m) - 1);
    CHECK(critical_subspaces(1, m) == 1);
    CHECK(global_minima_subspaces(2, m) == power(3, m) - power(2, m + 1) + 1);
    CHECK(critical_subspaces(2, m) == power(2, m) - 2);
  }
}

TEST_CASE("brute-force enumeration of maps equals T and G for r <= 4, m <= 7",
          "[theory][symmetry]") {
  for (int r = 1; r <= 4; ++r)
    for (int m = 1; m <= 7; ++m) {
      long with_zero = 0, without_zero = 0;
      enumerate(r, m, with_zero, without_zero);
      INFO("r = " << r << ", m = " << m);
      CHECK(global_minima_subspaces(r, m) == with_zero);
      CHECK(critical_subspaces(r, m) == without_zero);
    }
}

TEST_CASE("decimal strings, doubles and log10 of big counts; ratios in log space",
          "[theory][symmetry]") {
  const BigInt t = global_minima_subspaces(10, 20);
  const theory::Count c = theory::make_count(t);
  CHECK(c.decimal == "97349279409046828800");
  CHECK(c.approx == 97349279409046828800.0);
  CHECK(c.log10 == Approx(std::log10(97349279409046828800.0)).epsilon(1e-15));
  CHECK(theory::make_count(0).log10 == -std::numeric_limits<double>::infinity());
  CHECK(theory::make_count(0).decimal == "0");
  // Far beyond double's range: log10 stays exact to rounding.
  const BigInt ten400 = power(10, 400);
  CHECK(theory::big_log10(ten400) == Approx(400).epsilon(1e-15));
  CHECK(theory::big_log10(ten400 * 3) == Approx(400 + std::log10(3.0)).epsilon(1e-15));
  CHECK(std::isinf(theory::to_double(ten400)));
  CHECK(theory::big_log10(power(2, 3000)) == Approx(3000 * std::log10(2.0)).epsilon(1e-15));
  // G(r−1, r)/T(r, r) = (r − 1)/2 exactly (papers_CE.md §C.2), up to r = 200 (T ~ 10^375).
  for (int r : {2, 3, 4, 10, 50, 200}) {
    INFO("r = " << r);
    CHECK(theory::log10_ratio(critical_subspaces(r - 1, r), global_minima_subspaces(r, r)) ==
          Approx(std::log10((r - 1) / 2.0)).epsilon(1e-13));
  }
  // r = 100: G(r−1, r+h)/T(r, r+h) against r/(2(h+1)) is 0.99, 0.96, 0.94 for h = 0, 1, 2 (§C.2).
  const double expected[] = {0.99, 0.96, 0.94};
  for (int h = 0; h <= 2; ++h) {
    const double ratio = std::pow(10.0, theory::log10_ratio(critical_subspaces(99, 100 + h),
                                                            global_minima_subspaces(100, 100 + h)));
    CHECK(ratio / (100.0 / (2 * (h + 1))) == Approx(expected[h]).margin(0.005));
  }
  CHECK(theory::log10_ratio(0, 5) == -std::numeric_limits<double>::infinity());
  CHECK(theory::log10_ratio(5, 0) == std::numeric_limits<double>::infinity());
  CHECK(std::isnan(theory::log10_ratio(0, 0)));
}
