#include "nnsweep/theory/symmetry_counts.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "nnsweep/core/error.hpp"

namespace nnsweep::theory {

namespace mp = boost::multiprecision;

BigInt stirling2(int n, int k) {
  NNSWEEP_CHECK(n >= 0 && k >= 0, "Stirling number S(", n, ", ", k, ") — need n, k >= 0");
  if (k > n) return 0;
  // Row by row of S(i, j) = j·S(i−1, j) + S(i−1, j−1), columns 0..k.
  std::vector<BigInt> row(static_cast<std::size_t>(k) + 1, 0);
  row[0] = 1;
  for (int i = 1; i <= n; ++i)
    for (int j = std::min(i, k); j >= 0; --j) {
      const auto uj = static_cast<std::size_t>(j);
      row[uj] = j == 0 ? BigInt(0) : j * row[uj] + row[uj - 1];
    }
  return row[static_cast<std::size_t>(k)];
}

BigInt factorial(int n) {
  NNSWEEP_CHECK(n >= 0, "factorial of ", n, " — need n >= 0");
  BigInt out = 1;
  for (int i = 2; i <= n; ++i) out *= i;
  return out;
}

BigInt global_minima_subspaces(int r, int m) {
  NNSWEEP_CHECK(r >= 0 && m >= 0, "T(r = ", r, ", m = ", m, ") — need r, m >= 0");
  return factorial(r) * stirling2(m + 1, r + 1);
}

BigInt critical_subspaces(int r, int m) {
  NNSWEEP_CHECK(r >= 0 && m >= 0, "G(r = ", r, ", m = ", m, ") — need r, m >= 0");
  return factorial(r) * stirling2(m, r);
}

std::string decimal(const BigInt& value) {
  return value.str();
}

double big_log10(const BigInt& value) {
  if (value < 0) return std::numeric_limits<double>::quiet_NaN();
  if (value == 0) return -std::numeric_limits<double>::infinity();
  // Keep the top 64 bits: their double carries the value to rounding, the shift is exact.
  const auto bits = static_cast<long>(mp::msb(value));
  const long shift = bits > 63 ? bits - 63 : 0;
  const BigInt top = value >> shift;
  return std::log10(top.convert_to<double>()) + static_cast<double>(shift) * std::log10(2.0);
}

double to_double(const BigInt& value) {
  return value.convert_to<double>();
}

double log10_ratio(const BigInt& a, const BigInt& b) {
  NNSWEEP_CHECK(a >= 0 && b >= 0, "log10 ratio of ", decimal(a), " and ", decimal(b),
                " — counts are non-negative");
  if (b == 0)
    return a == 0 ? std::numeric_limits<double>::quiet_NaN()
                  : std::numeric_limits<double>::infinity();
  return big_log10(a) - big_log10(b);
}

Count make_count(BigInt value) {
  Count out;
  out.decimal = decimal(value);
  out.approx = to_double(value);
  out.log10 = big_log10(value);
  out.value = std::move(value);
  return out;
}

}  // namespace nnsweep::theory
