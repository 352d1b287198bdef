#include "fma_peak.hpp"

#include <immintrin.h>

#include <algorithm>
#include <ctime>

namespace nnsweep::bench {

namespace {

// 12 independent accumulators: Zen 4 and recent Intel cores have 2 FMA pipes of latency 4, so 8
// chains saturate them; 12 leaves slack for loop overhead.
constexpr int chains = 12;

#if defined(__AVX512F__)
using VecF = __m512;
using VecD = __m512d;
inline VecF fma(VecF a, VecF b, VecF c) {
  return _mm512_fmadd_ps(a, b, c);
}
inline VecD fma(VecD a, VecD b, VecD c) {
  return _mm512_fmadd_pd(a, b, c);
}
inline VecF splat(float x) {
  return _mm512_set1_ps(x);
}
inline VecD splat(double x) {
  return _mm512_set1_pd(x);
}
inline float first(VecF v) {
  return _mm512_cvtss_f32(v);
}
inline double first(VecD v) {
  return _mm512_cvtsd_f64(v);
}
#else
using VecF = __m256;
using VecD = __m256d;
inline VecF fma(VecF a, VecF b, VecF c) {
  return _mm256_fmadd_ps(a, b, c);
}
inline VecD fma(VecD a, VecD b, VecD c) {
  return _mm256_fmadd_pd(a, b, c);
}
inline VecF splat(float x) {
  return _mm256_set1_ps(x);
}
inline VecD splat(double x) {
  return _mm256_set1_pd(x);
}
inline float first(VecF v) {
  return _mm256_cvtss_f32(v);
}
inline double first(VecD v) {
  return _mm256_cvtsd_f64(v);
}
#endif

// CPU seconds for `iterations` rounds of `chains` FMAs; the result is kept alive through `sink`.
template <typename Vec, typename T>
double timed(long iterations, T seed, volatile T& sink) {
  Vec acc[chains];
  for (int c = 0; c < chains; ++c) acc[c] = splat(seed * static_cast<T>(c + 1));
  const Vec a = splat(static_cast<T>(0.999999)), b = splat(static_cast<T>(1e-7));
  const double start = thread_cpu_seconds();
  for (long i = 0; i < iterations; ++i) {
    // Fully unrolled so that the accumulators live in registers.
#pragma GCC unroll 12
    for (Vec& v : acc) v = fma(v, a, b);
  }
  const double elapsed = thread_cpu_seconds() - start;
  T sum = 0;
  for (const Vec& v : acc) sum += first(v);
  sink = sum;
  return elapsed;
}

template <typename Vec, typename T>
double peak(double seconds, int repeats) {
  constexpr int lanes = static_cast<int>(sizeof(Vec) / sizeof(T));
  volatile T sink = 0;
  long iterations = 1 << 16;
  while (timed<Vec, T>(iterations, T(1), sink) < seconds / 4) iterations *= 2;
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    const double s = timed<Vec, T>(iterations, T(1) + static_cast<T>(r), sink);
    best = std::max(best, 2.0 * lanes * chains * static_cast<double>(iterations) / s / 1e9);
  }
  return best;
}

}  // namespace

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

FmaPeak measure_fma_peak(double seconds, int repeats) {
  FmaPeak p;
  p.float_gflops = peak<VecF, float>(seconds, repeats);
  p.double_gflops = peak<VecD, double>(seconds, repeats);
  p.float_lanes = static_cast<int>(sizeof(VecF) / sizeof(float));
  p.double_lanes = static_cast<int>(sizeof(VecD) / sizeof(double));
  return p;
}

}  // namespace nnsweep::bench
