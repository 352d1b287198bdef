#pragma once
// Per-lane generators for kernels bound by random numbers (the full-network sampler draws n²
// normals per layer). Lane l of a LaneGenerator is one replica's private xoshiro stream, seeded
// from that replica's Philox rng::Stream. Every operation is an elementwise loop over a fixed
// number of lanes with no cross-lane arithmetic, so GCC vectorizes it and a lane's numbers are
// the same bits whatever the lane count, the lane's position and the vector width.
//
// Why xoshiro and not a vectorized Philox: a xoshiro step is 8 integer operations per lane, a
// Philox4x32-10 block 20 32×32→64-bit multiplications per 4 words. Measured rates (uniforms per
// second from either, written the same lane-parallel way, and Box–Muller normals per second):
// bench/README.md, "generators" — Philox alone would cap Box–Muller well below what xoshiro
// allows, which leaves it bound by log, sqrt and sincos.
// Philox stays the source of the seeds, so streams are still named by (sweep seed, task key,
// replica, purpose).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "nnsweep/core/fastmath.hpp"
#include "nnsweep/rng/stream.hpp"

namespace nnsweep::rng {

// Lanes of a kernel block: one 64-byte cache line of T (16 floats or 8 doubles), i.e. two AVX2
// registers or one AVX-512 register — enough independent chains to hide FMA latency.
template <typename T>
inline constexpr int block_lanes = static_cast<int>(64 / sizeof(T));

namespace detail {

// xoshiro128+ for float and xoshiro256+ for double (Blackman & Vigna): the '+' scrambler is the
// cheapest, and its weak low bits are never used — uniforms take the top 23 (float) or 52
// (double) bits, bit counting the top 24 or 32.
template <typename T>
struct Xoshiro;

template <>
struct Xoshiro<float> {
  using Word = std::uint32_t;
  static constexpr int shift = 9, rotation = 11;
  static constexpr int counted_bits = 24;
  static std::uint32_t top_bits(Word w) { return w >> 8; }
  static float unit(Word w) { return to_unit_float(w); }
};

template <>
struct Xoshiro<double> {
  using Word = std::uint64_t;
  static constexpr int shift = 17, rotation = 45;
  static constexpr int counted_bits = 32;
  static std::uint32_t top_bits(Word w) { return static_cast<std::uint32_t>(w >> 32); }
  static double unit(Word w) { return to_unit_double(w); }
};

// Population count of a 32-bit word in plain arithmetic (AVX2 has no vector popcount, and
// __builtin_popcount keeps the loop scalar).
inline std::uint32_t popcount32(std::uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0f0f0f0fu;
  return (x * 0x01010101u) >> 24;
}

// g(t) = log(1 + t) − t + t²/2 − t³/3 = −t⁴(1/4 − t/5 + t²/6 − …), the part of Marsaglia–Tsang's
// log-acceptance ratio that is left once its t² term has cancelled x²/2 exactly: the direct
// formula below `series_below`, where it would cancel, is replaced by the series (to ε).
template <typename T>
struct AcceptanceSeries {
  static constexpr T series_below = sizeof(T) == 4 ? T(0.25) : T(0.05);
  static constexpr int terms = sizeof(T) == 4 ? 14 : 13;
  static constexpr std::array<T, terms> coefficients() {
    std::array<T, terms> c{};
    for (int j = 0; j < terms; ++j)
      c[static_cast<std::size_t>(j)] = T(j % 2 == 0 ? 1 : -1) / T(j + 4);
    return c;
  }
};

}  // namespace detail

template <typename T, int Lanes>
class LaneGenerator {
 public:
  using Traits = detail::Xoshiro<T>;
  using Word = typename Traits::Word;
  static constexpr int lanes = Lanes;

  // Seeds lane `lane` from the first Philox block(s) of `stream`.
  void seed(int lane, const Stream& stream) {
    Word words[4];
    if constexpr (sizeof(Word) == 4) {
      const auto b = stream.block(0);
      for (int i = 0; i < 4; ++i) words[i] = b[static_cast<std::size_t>(i)];
    } else {
      const auto b0 = stream.block(0), b1 = stream.block(1);
      words[0] = b0[0] | (std::uint64_t{b0[1]} << 32);
      words[1] = b0[2] | (std::uint64_t{b0[3]} << 32);
      words[2] = b1[0] | (std::uint64_t{b1[1]} << 32);
      words[3] = b1[2] | (std::uint64_t{b1[3]} << 32);
    }
    // xoshiro's one forbidden state; Philox yields it with probability 2^-128.
    if ((words[0] | words[1] | words[2] | words[3]) == 0) words[0] = 1;
    for (int i = 0; i < 4; ++i) s_[i][lane] = words[i];
  }

  // `count` uniforms in (0, 1) per lane: out[i·Lanes + l].
  void uniforms(T* out, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      T u[Lanes];
      for (int l = 0; l < Lanes; ++l) u[l] = Traits::unit(step(l, all));
      std::copy_n(u, Lanes, out + i * Lanes);
    }
  }

  // `count` standard normals per lane by Box–Muller, both values of a pair used:
  // out[i·Lanes + l]. Each pair consumes two uniforms; an odd count drops the last sine.
  void normals(T* out, std::size_t count) {
    Word every[Lanes];
    std::fill_n(every, Lanes, all);
    for (std::size_t i = 0; i < count; i += 2) {
      T c[Lanes], s[Lanes];
      pair(every, c, s);
      std::copy_n(c, Lanes, out + i * Lanes);
      if (i + 1 < count) std::copy_n(s, Lanes, out + (i + 1) * Lanes);
    }
  }

  // Binomial(n, ½) per lane, exactly: the number of ones among n random bits.
  void binomial_half(std::int64_t n, T* out) {
    constexpr int bits = Traits::counted_bits;
    std::uint32_t count[Lanes] = {};
    const std::int64_t full = n / bits;
    const int rest = static_cast<int>(n % bits);
    for (std::int64_t i = 0; i < full; ++i)
      for (int l = 0; l < Lanes; ++l)
        count[l] += detail::popcount32(Traits::top_bits(step(l, all)));
    if (rest > 0)
      for (int l = 0; l < Lanes; ++l)
        count[l] += detail::popcount32(Traits::top_bits(step(l, all)) >> (bits - rest));
    for (int l = 0; l < Lanes; ++l) out[l] = static_cast<T>(static_cast<std::int32_t>(count[l]));
  }

  // χ² with dof[l] degrees of freedom per lane (0 where dof <= 0): 2·Gamma(dof/2) by
  // Marsaglia–Tsang, with Gamma(a) = Gamma(a+1)·U^{1/a} for a < 1. Each round draws one
  // Box–Muller pair and two uniforms for the lanes still rejecting and tries both normals; the
  // other lanes do not advance, so a lane consumes exactly what it would consume alone.
  [[gnu::flatten]] void chi_square(const T* dof, T* out) {
    using Series = detail::AcceptanceSeries<T>;
    constexpr auto coefficients = Series::coefficients();
    Word active[Lanes], boost[Lanes];
    T a[Lanes], d[Lanes], c[Lanes], scale[Lanes], result[Lanes];
    for (int l = 0; l < Lanes; ++l) {
      a[l] = T(0.5) * dof[l];
      const bool on = a[l] > T(0), small = on && a[l] < T(1);
      active[l] = on ? all : Word(0);
      boost[l] = small ? all : Word(0);
      d[l] = (small ? a[l] + T(1) : a[l]) - T(1) / T(3);
      c[l] = T(1) / std::sqrt(T(9) * (on ? d[l] : T(1)));
      result[l] = T(0);
    }
    std::fill_n(scale, Lanes, T(2));
    if (any_of(boost)) {  // only ν = 1 in practice: skip the exp and log otherwise
      T u[Lanes];
      for (int l = 0; l < Lanes; ++l) u[l] = Traits::unit(step(l, boost[l]));
      for (int l = 0; l < Lanes; ++l)
        scale[l] = boost[l] != 0 ? T(2) * fastmath::exp(fastmath::log(u[l]) / positive_or_one(a[l]))
                                 : T(2);
    }
    // Accept x with uniform u: t = c·x, v = (1 + t)³ > 0 and log u < 3d·g(t) (for v, d as in
    // Marsaglia–Tsang: x²/2 + d − dv + d log v = 3d·g(t)); the sample is then d·v. `direct`:
    // whether any lane needs g beyond the series (small ν); otherwise its log is skipped.
    const auto accepts = [&](T x, T uniform, T dl, T cl, bool direct, T& sample) {
      const T t = cl * x, one_t = T(1) + t, t2 = t * t;
      T series = coefficients[Series::terms - 1];
      for (int j = Series::terms - 2; j >= 0; --j)
        series = series * t + coefficients[static_cast<std::size_t>(j)];
      T g = -(t2 * t2) * series;
      if (direct) {
        const T exact =
            fastmath::log(one_t > T(0) ? one_t : T(1)) - t + T(0.5) * t2 - t2 * t / T(3);
        g = std::fabs(t) < Series::series_below ? g : exact;
      }
      sample = dl * one_t * one_t * one_t;
      return (one_t > T(0)) & (fastmath::log(uniform) < T(3) * dl * g);
    };
    while (any_of(active)) {
      T x1[Lanes], x2[Lanes], u1[Lanes], u2[Lanes];
      pair(active, x1, x2);
      for (int l = 0; l < Lanes; ++l) u1[l] = Traits::unit(step(l, active[l]));
      for (int l = 0; l < Lanes; ++l) u2[l] = Traits::unit(step(l, active[l]));
      Word large = 0;
      for (int l = 0; l < Lanes; ++l)
        large |= std::fabs(c[l] * x1[l]) >= Series::series_below ||
                         std::fabs(c[l] * x2[l]) >= Series::series_below
                     ? all
                     : Word(0);
      // Both attempts on every lane, then selects: no branch, so the loop vectorizes.
      const bool direct = large != 0;
      for (int l = 0; l < Lanes; ++l) {
        T first, second;
        const bool live = active[l] != 0;
        const bool a1 = accepts(x1[l], u1[l], d[l], c[l], direct, first);
        const bool a2 = accepts(x2[l], u2[l], d[l], c[l], direct, second);
        const bool ok1 = live & a1, ok2 = live & !a1 & a2;
        result[l] = ok1 ? first : ok2 ? second : result[l];
        active[l] = (ok1 | ok2) ? Word(0) : active[l];
      }
    }
    for (int l = 0; l < Lanes; ++l) out[l] = scale[l] * result[l];
  }

 private:
  static constexpr Word all = ~Word(0);

  static T positive_or_one(T a) { return a > T(0) ? a : T(1); }
  static bool any_of(const Word* mask) {
    Word any = 0;
    for (int l = 0; l < Lanes; ++l) any |= mask[l];
    return any != 0;
  }

  // xoshiro: returns s0 + s3 of lane l's state, and moves the lane on where mask is all ones.
  Word step(int l, Word mask) {
    constexpr int bits = 8 * sizeof(Word);
    const Word s0 = s_[0][l], s1 = s_[1][l], s2 = s_[2][l], s3 = s_[3][l];
    const Word t = s1 << Traits::shift;
    const Word n2 = s2 ^ s0, n3 = s3 ^ s1;
    const Word n0 = s0 ^ n3, n1 = s1 ^ n2, m2 = n2 ^ t;
    const Word m3 = (n3 << Traits::rotation) | (n3 >> (bits - Traits::rotation));
    s_[0][l] = (n0 & mask) | (s0 & ~mask);
    s_[1][l] = (n1 & mask) | (s1 & ~mask);
    s_[2][l] = (m2 & mask) | (s2 & ~mask);
    s_[3][l] = (m3 & mask) | (s3 & ~mask);
    return s0 + s3;
  }

  // Box–Muller on the lanes of `mask`: r·cos, r·sin of 2πu₂ with r = √(−2 log u₁). The one
  // place the expensive functions are expanded; flattened so that fastmath is inlined at any
  // optimization level, results through local arrays (stores to c and s could alias, which
  // would stop vectorization).
  [[gnu::flatten]] void pair(const Word* mask, T* c, T* s) {
    T cosines[Lanes], sines[Lanes];
    for (int l = 0; l < Lanes; ++l) {
      const T u1 = Traits::unit(step(l, mask[l]));
      const T u2 = Traits::unit(step(l, mask[l]));
      const T r = std::sqrt(T(-2) * fastmath::log(u1));
      T sine, cosine;
      fastmath::sincos_2pi(u2, sine, cosine);
      cosines[l] = r * cosine;
      sines[l] = r * sine;
    }
    std::memcpy(c, cosines, sizeof cosines);
    std::memcpy(s, sines, sizeof sines);
  }

  alignas(64) Word s_[4][Lanes] = {};
};

}  // namespace nnsweep::rng
