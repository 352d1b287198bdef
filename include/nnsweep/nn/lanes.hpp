#pragma once
// The SIMD value of the training engine: one number per replica lane of a pack, as a small
// array of native 32-byte vectors (GCC vector extensions; AVX2 registers on x86-64-v3). Matrix
// kernels use it explicitly instead of relying on auto-vectorization, whose choices proved
// erratic on the nested fixed-count loops of a pack (measured: 7–60% of peak for the same code
// between -O2 and -O3). Fused multiply-adds are explicit, so a lane's bits are the same whichever
// kernel, blocking or lane position computed them, and on machines without FMA instructions.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace nnsweep::nn {

// Replicas per pack: lanes of one SIMD value. One AVX2 register (4 doubles, 8 floats) measured
// best: with 16 registers it allows 3×4 register blocking in the matrix kernels, and the
// linear-teacher weights of one pack (2k·d·lanes) fit the 32 KiB L1. bench/engine's <case>_x2
// rows time two registers per value: 18–30% fewer replica-steps/s on every case (AMD EPYC).
template <typename T>
inline constexpr int default_lanes = static_cast<int>(32 / sizeof(T));

namespace simd {

template <typename T>
struct Native;
template <>
struct Native<double> {
  // NOLINTNEXTLINE(modernize-use-using): a GCC vector attribute needs the typedef form
  typedef double type __attribute__((vector_size(32)));
};
template <>
struct Native<float> {
  // NOLINTNEXTLINE(modernize-use-using): a GCC vector attribute needs the typedef form
  typedef float type __attribute__((vector_size(32)));
};
template <typename T>
using native_t = typename Native<T>::type;
template <typename T>
inline constexpr int native_width = static_cast<int>(32 / sizeof(T));

inline native_t<double> fma(native_t<double> a, native_t<double> b, native_t<double> c) {
#if defined(__FMA__)
  return _mm256_fmadd_pd(a, b, c);
#else
  native_t<double> r;
  for (int i = 0; i < 4; ++i) r[i] = std::fma(a[i], b[i], c[i]);
  return r;
#endif
}
inline native_t<float> fma(native_t<float> a, native_t<float> b, native_t<float> c) {
#if defined(__FMA__)
  return _mm256_fmadd_ps(a, b, c);
#else
  native_t<float> r;
  for (int i = 0; i < 8; ++i) r[i] = std::fma(a[i], b[i], c[i]);
  return r;
#endif
}

}  // namespace simd

// L lanes of T. Every operation is lane-wise; nothing ever mixes lanes.
template <typename T, int L>
struct Vec {
  using Native = simd::native_t<T>;
  static constexpr int parts = L / simd::native_width<T>;
  static_assert(L % simd::native_width<T> == 0,
                "lanes must be a multiple of the native vector width");
  Native v[parts];

  static Vec load(const T* p) {
    Vec r;
#pragma GCC unroll 16
    for (int i = 0; i < parts; ++i)
      std::memcpy(&r.v[i], p + i * simd::native_width<T>, sizeof(Native));
    return r;
  }
  void store(T* p) const {
#pragma GCC unroll 16
    for (int i = 0; i < parts; ++i)
      std::memcpy(p + i * simd::native_width<T>, &v[i], sizeof(Native));
  }
  static Vec broadcast(T x) {
    Vec r;
#pragma GCC unroll 16
    for (int i = 0; i < parts; ++i) r.v[i] = Native{} + x;
    return r;
  }
  static Vec zero() {
    return broadcast(T(0));
  }
};

template <typename T, int L>
inline Vec<T, L> fma(const Vec<T, L>& a, const Vec<T, L>& b, const Vec<T, L>& c) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) r.v[i] = simd::fma(a.v[i], b.v[i], c.v[i]);
  return r;
}
template <typename T, int L>
inline Vec<T, L> operator*(const Vec<T, L>& a, const Vec<T, L>& b) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) r.v[i] = a.v[i] * b.v[i];
  return r;
}
template <typename T, int L>
inline Vec<T, L> operator+(const Vec<T, L>& a, const Vec<T, L>& b) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) r.v[i] = a.v[i] + b.v[i];
  return r;
}

template <typename T, int L>
inline Vec<T, L> operator-(const Vec<T, L>& a, const Vec<T, L>& b) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) r.v[i] = a.v[i] - b.v[i];
  return r;
}
template <typename T, int L>
inline Vec<T, L> operator/(const Vec<T, L>& a, const Vec<T, L>& b) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) r.v[i] = a.v[i] / b.v[i];
  return r;
}
template <typename T, int L>
inline Vec<T, L> operator-(const Vec<T, L>& a) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) r.v[i] = -a.v[i];
  return r;
}
// Correctly rounded, like std::sqrt: the same bits as the scalar code.
template <typename T, int L>
inline Vec<T, L> sqrt(const Vec<T, L>& a) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) {
#if defined(__AVX__)
    if constexpr (sizeof(T) == 8)
      r.v[i] = _mm256_sqrt_pd(a.v[i]);
    else
      r.v[i] = _mm256_sqrt_ps(a.v[i]);
#else
    for (int j = 0; j < simd::native_width<T>; ++j) r.v[i][j] = std::sqrt(a.v[i][j]);
#endif
  }
  return r;
}

// Lane-wise a < b ? if_less : otherwise (a NaN operand takes `otherwise`, as the scalar ?: does).
// std::min(m, x) is select_less(x, m, x, m); std::max(m, x) is select_less(m, x, x, m).
template <typename T, int L>
inline Vec<T, L> select_less(const Vec<T, L>& a, const Vec<T, L>& b, const Vec<T, L>& if_less,
                             const Vec<T, L>& otherwise) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i)
    r.v[i] = a.v[i] < b.v[i] ? if_less.v[i] : otherwise.v[i];
  return r;
}
// Lane-wise a == b ? if_equal : otherwise.
template <typename T, int L>
inline Vec<T, L> select_equal(const Vec<T, L>& a, const Vec<T, L>& b, const Vec<T, L>& if_equal,
                              const Vec<T, L>& otherwise) {
  Vec<T, L> r;
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i)
    r.v[i] = a.v[i] == b.v[i] ? if_equal.v[i] : otherwise.v[i];
  return r;
}
// Lane-wise |x| <= max finite ? if_finite : otherwise (NaN and ±inf take `otherwise`).
template <typename T, int L>
inline Vec<T, L> select_finite(const Vec<T, L>& x, const Vec<T, L>& if_finite,
                               const Vec<T, L>& otherwise) {
  using Native = typename Vec<T, L>::Native;
  Vec<T, L> r;
  const Native big = Native{} + std::numeric_limits<T>::max();
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i) {
    const Native magnitude = x.v[i] < 0 ? -x.v[i] : x.v[i];
    r.v[i] = magnitude <= big ? if_finite.v[i] : otherwise.v[i];
  }
  return r;
}

// L lanes of T at p, widened to double (exact): the evaluation metrics run in double.
template <typename T, int L>
inline Vec<double, L> load_double(const T* p) {
  if constexpr (std::is_same_v<T, double>) {
    return Vec<double, L>::load(p);
  } else {
    Vec<double, L> r;
#pragma GCC unroll 16
    for (int i = 0; i < Vec<double, L>::parts; ++i) {
      // As many floats as doubles per part (a GCC vector attribute needs the typedef form).
      typedef float Half __attribute__((vector_size(16)));  // NOLINT(modernize-use-using)
      Half half;
      std::memcpy(&half, p + i * simd::native_width<double>, sizeof half);
      r.v[i] = __builtin_convertvector(half, simd::native_t<double>);
    }
    return r;
  }
}

// Lane-wise x > 0 ? if_positive : otherwise (NaN takes `otherwise`, as the scalar ?: does).
template <typename T, int L>
inline Vec<T, L> select_positive(const Vec<T, L>& x, const Vec<T, L>& if_positive,
                                 const Vec<T, L>& otherwise) {
  Vec<T, L> r;
  const typename Vec<T, L>::Native zero{};
#pragma GCC unroll 16
  for (int i = 0; i < Vec<T, L>::parts; ++i)
    r.v[i] = x.v[i] > zero ? if_positive.v[i] : otherwise.v[i];
  return r;
}

// 64-byte aligned, zero-initialised storage of T (a cache line; every lane block starts on one
// when lanes·sizeof(T) is a multiple of 64, and never straddles two otherwise).
template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) { resize(count); }
  void resize(std::size_t count) {
    data_.reset();
    size_ = count;
    if (count == 0) return;
    const std::size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    data_.reset(static_cast<T*>(p));
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_.get()[i]; }
  const T& operator[](std::size_t i) const { return data_.get()[i]; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t size_ = 0;
};

}  // namespace nnsweep::nn
