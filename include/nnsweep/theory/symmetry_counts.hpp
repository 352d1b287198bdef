#pragma once
// Exact counts of the `symmetry` experiment (Şimşek et al. 2021; shared/research/papers_CE.md
// §C.2): a two-layer student of width m learning a teacher of width r has
//   T(r, m) = r!·S(m+1, r+1)  affine subspaces of global minima (maps [m] → {0..r} onto {1..r}:
//                              each student neuron replicates a teacher neuron or is zero-type),
//   G(r, m) = r!·S(m, r)      affine subspaces of symmetry-induced critical points grown from one
//                              width-r critical point (maps [m] → {1..r} onto: replicas only),
// with S the Stirling numbers of the second kind. Big integers (Boost.Multiprecision cpp_int,
// header-only): T(10, 20) already exceeds 2^64. Ratios are taken in log space.
// Edge cases follow from S: m < r → 0; m = r → r!; T(0, m) = 1; G(0, m) = [m = 0].
#include <boost/multiprecision/cpp_int.hpp>
#include <string>

namespace nnsweep::theory {

using BigInt = boost::multiprecision::cpp_int;

// S(n, k): partitions of n labelled items into k non-empty blocks (S(0, 0) = 1). n, k >= 0.
BigInt stirling2(int n, int k);
BigInt factorial(int n);

BigInt global_minima_subspaces(int r, int m);  // T(r, m)
BigInt critical_subspaces(int r, int m);       // G(r, m)

// Decimal digits ("0" for zero, "-" first for negatives).
std::string decimal(const BigInt& value);
// log10 of a positive value, to double rounding at any size (−inf for 0; NaN if negative). Not
// named log10, which would hide std::log10 in unqualified calls inside nnsweep::theory.
double big_log10(const BigInt& value);
// The nearest double (inf beyond its range).
double to_double(const BigInt& value);
// log10(a/b) from the two logs: finite for any sizes with a, b > 0; −inf if a = 0 < b, +inf if
// b = 0 < a, NaN if both are 0.
double log10_ratio(const BigInt& a, const BigInt& b);

// One count with its companions as the results file stores them.
struct Count {
  BigInt value;
  std::string decimal;  // exact
  double approx = 0;    // nearest double
  double log10 = 0;     // −inf for 0
};
Count make_count(BigInt value);

}  // namespace nnsweep::theory
