#pragma once
// Vectorizable elementary functions (exp, log, log1p, sin/cos of 2πu, tanh) for float and double.
// They are written in plain arithmetic and bit operations, with no branches and no libm calls,
// so that GCC vectorizes loops over SIMD lanes and — what determinism needs — a lane's result is
// the same bits whether the compiler vectorized the loop or not, and on every machine.
// Accuracy: within a few ulp over the documented domains (tests/unit/test_fastmath.cpp).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace nnsweep::fastmath {

namespace detail {

inline std::uint64_t bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline std::uint32_t bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline double from_bits(std::uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
inline float from_bits(std::uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// Adding 1.5·2^(mantissa bits) rounds to the nearest integer and leaves that integer in the low
// bits of the sum: the usual trick to get round() and float→int without instructions AVX2 lacks.
template <typename T>
struct Shifter;
template <>
struct Shifter<double> {
  static constexpr double value = 6755399441055744.0;  // 1.5·2^52
};
template <>
struct Shifter<float> {
  static constexpr float value = 12582912.0f;  // 1.5·2^23
};

// Nearest integer of x as a T (|x| < 2^22 for float, 2^51 for double).
template <typename T>
inline T round_to_int(T x) {
  return (x + Shifter<T>::value) - Shifter<T>::value;
}

// 2^k for an integer-valued k within the normal exponent range.
inline double pow2(double k) {
  const std::uint64_t n = bits(k + Shifter<double>::value) - bits(Shifter<double>::value);
  return from_bits((n + 1023) << 52);
}
inline float pow2(float k) {
  const std::uint32_t n = bits(k + Shifter<float>::value) - bits(Shifter<float>::value);
  return from_bits((n + 127u) << 23);
}

}  // namespace detail

// e^x for every x (overflows to inf, underflows through subnormals to 0, NaN propagates).
inline double exp(double x) {
  constexpr double inv_ln2 = 1.4426950408889634;
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  x = x < -746.0 ? -746.0 : x;
  x = x > 710.0 ? 710.0 : x;
  const double n = detail::round_to_int(x * inv_ln2);
  const double r = std::fma(-n, ln2_lo, std::fma(-n, ln2_hi, x));  // |r| <= ln2/2
  // exp(r) = 1 + r + r²q(r), q the Taylor series to degree 10: truncation < 2e-16 on |r| <= 0.347.
  double p = 1.0 / 479001600.0;
  p = std::fma(p, r, 1.0 / 39916800.0);
  p = std::fma(p, r, 1.0 / 3628800.0);
  p = std::fma(p, r, 1.0 / 362880.0);
  p = std::fma(p, r, 1.0 / 40320.0);
  p = std::fma(p, r, 1.0 / 5040.0);
  p = std::fma(p, r, 1.0 / 720.0);
  p = std::fma(p, r, 1.0 / 120.0);
  p = std::fma(p, r, 1.0 / 24.0);
  p = std::fma(p, r, 1.0 / 6.0);
  p = std::fma(p, r, 0.5);
  p = 1.0 + std::fma(r * r, p, r);  // 1 + (r + r²q): the last rounding is the only large one
  // Scale in two halves so that n in [-1077, 1024] never leaves the normal exponent range.
  const double half = detail::round_to_int(n * 0.5);
  return p * detail::pow2(half) * detail::pow2(n - half);
}

inline float exp(float x) {
  constexpr float inv_ln2 = 1.44269504f;
  constexpr float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
  x = x < -104.0f ? -104.0f : x;
  x = x > 89.0f ? 89.0f : x;
  const float n = detail::round_to_int(x * inv_ln2);
  const float r = std::fma(-n, ln2_lo, std::fma(-n, ln2_hi, x));
  // Cephes expf polynomial on |r| <= ln2/2.
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  p = std::fma(p * r, r, r) + 1.0f;
  const float half = detail::round_to_int(n * 0.5f);
  return p * detail::pow2(half) * detail::pow2(n - half);
}

// Natural logarithm of a positive normal number (fdlibm's kernel; no subnormals, no x <= 0).
inline double log(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  constexpr double sqrt2 = 1.4142135623730951;
  const std::uint64_t u = detail::bits(x);
  // Exponent field as a double: 2^52 + field, minus 2^52 (no int→double conversion needed).
  double e = detail::from_bits((u >> 52) | std::uint64_t{0x4330000000000000}) - 4503599627370496.0 -
             1023.0;
  double m = detail::from_bits((u & std::uint64_t{0x000fffffffffffff}) |
                               std::uint64_t{0x3ff0000000000000});  // [1, 2)
  const bool big = m > sqrt2;
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s, w = z * z;
  const double t1 = w * (3.999999999940941908e-01 +
                         w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  const double t2 = z * (6.666666666666735130e-01 +
                         w * (2.857142874366239149e-01 +
                              w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  const double hfsq = 0.5 * f * f;
  return e * ln2_hi - ((hfsq - (s * (hfsq + t1 + t2) + e * ln2_lo)) - f);
}

inline float log(float x) {
  constexpr float ln2_hi = 6.9313812256e-01f, ln2_lo = 9.0580006145e-06f;
  constexpr float sqrt2 = 1.41421356f;
  const std::uint32_t u = detail::bits(x);
  float e = detail::from_bits((u >> 23) | 0x4b000000u) - 8388608.0f - 127.0f;
  float m = detail::from_bits((u & 0x007fffffu) | 0x3f800000u);
  const bool big = m > sqrt2;
  m = big ? m * 0.5f : m;
  e = big ? e + 1.0f : e;
  const float f = m - 1.0f;
  const float s = f / (2.0f + f);
  const float z = s * s, w = z * z;
  const float t1 = w * (0.40000972152f + w * 0.24279078841f);
  const float t2 = z * (0.66666662693f + w * 0.28498786688f);
  const float hfsq = 0.5f * f * f;
  return s * (hfsq + t1 + t2) + e * ln2_lo - hfsq + f + e * ln2_hi;
}

// log(1 + y) for y >= 0, accurate for tiny y (Goldberg's correction).
template <typename T>
inline T log1p(T y) {
  const T u = T(1) + y;
  const T corrected = log(u) * (y / (u - T(1)));
  return u == T(1) ? y : corrected;
}

// sin(2πu) and cos(2πu), exact reduction for any |u| < 2^20 (float) or 2^50 (double).
template <typename T>
inline void sincos_2pi(T u, T& sin_out, T& cos_out) {
  const T q = detail::round_to_int(u * T(4));  // nearest quarter turn
  const T r = u - q * T(0.25);                 // exact, |r| <= 1/8 turn
  T s, c;
  if constexpr (std::is_same_v<T, double>) {
    const double x = r * 6.283185307179586, z = x * x;
    // fdlibm kernels on |x| <= π/4.
    const double ps = 8.33333333332248946124e-03 +
                      z * (-1.98412698298579493134e-04 +
                           z * (2.75573137070700676789e-06 + z * (-2.50507602534068634195e-08 +
                                                                  z * 1.58969099521155010221e-10)));
    s = x + z * x * (-1.66666666666666324348e-01 + z * ps);
    const double pc =
        z * (4.16666666666666019037e-02 +
             z * (-1.38888888888741095749e-03 +
                  z * (2.48015872894767294178e-05 +
                       z * (-2.75573143513906633035e-07 +
                            z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
    const double hz = 0.5 * z, w = 1.0 - hz;
    c = w + (((1.0 - w) - hz) + z * pc);
  } else {
    const float x = r * 6.28318531f, z = x * x;
    s = x + z * x * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
    c = 1.0f - 0.5f * z +
        z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f));
  }
  // Rotate by the quadrant q mod 4 without branches.
  using Int = std::conditional_t<std::is_same_v<T, double>, std::uint64_t, std::uint32_t>;
  const Int quadrant =
      detail::bits(q + detail::Shifter<T>::value) - detail::bits(detail::Shifter<T>::value);
  const bool swap = (quadrant & 1) != 0;
  const T s1 = swap ? c : s, c1 = swap ? s : c;
  sin_out = (quadrant & 2) != 0 ? -s1 : s1;
  cos_out = ((quadrant + 1) & 2) != 0 ? -c1 : c1;
}

// Hyperbolic tangent (Cephes: a rational function near 0, 1 − 2/(e^{2|x|} + 1) elsewhere).
inline double tanh(double x) {
  const double ax = std::fabs(x), z = x * x;
  const double num =
      z * (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) - 1.61468768441708447952e3;
  const double den = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z +
                     4.84406305325125486048e3;
  const double small = x + x * z * (num / den);
  const double large = std::copysign(1.0 - 2.0 / (exp(2.0 * ax) + 1.0), x);
  return ax < 0.625 ? small : large;
}

inline float tanh(float x) {
  const float ax = std::fabs(x), z = x * x;
  const float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                        1.33314422036e-1f) *
                           z -
                       3.33332819422e-1f) *
                          z * x +
                      x;
  const float large = std::copysign(1.0f - 2.0f / (exp(2.0f * ax) + 1.0f), x);
  return ax < 0.625f ? small : large;
}

// Logistic sigmoid 1/(1 + e^{−x}) and softplus log(1 + e^x), stable for every x.
template <typename T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + exp(-x));
}
template <typename T>
inline T softplus(T x) {
  return (x > T(0) ? x : T(0)) + log1p(exp(-std::fabs(x)));
}

}  // namespace nnsweep::fastmath
