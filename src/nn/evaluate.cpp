// Evaluation kernels (include/nnsweep/nn/evaluate.hpp), compiled here once (-O3: the loss loop
// must vectorize; fastmath gives the same bits either way).
#include "nnsweep/nn/evaluate.hpp"

#include <algorithm>
#include <vector>

#include "kernels.hpp"
#include "nnsweep/nn/loss.hpp"

namespace nnsweep::nn::eval {

namespace {

template <int L>
using D = Vec<double, L>;

template <int L>
D<L> positive(const D<L>& x) {
  return select_positive(x, D<L>::broadcast(1), D<L>::zero());
}

}  // namespace

template <typename T, int L>
void loss_sum(LossKind kind, const T* out, const T* y, std::int64_t samples, int outputs,
              double* sum) {
  const std::size_t per = static_cast<std::size_t>(outputs) * L;
  // One sample at a time: the per-sample losses in a flat (vectorized) loop, then lane-wise adds
  // in sample order.
  constexpr std::size_t room = 4096;
  alignas(64) double values[room];
  std::vector<double> spill;  // only for more than room / L outputs
  double* v = values;
  if (per > room) {
    spill.resize(per);
    v = spill.data();
  }
  const std::size_t block = std::max<std::size_t>(1, room / per);
  D<L> acc = D<L>::zero();
  loss::dispatch(kind, [&](auto f) {
    using Loss = decltype(f);
    for (std::int64_t s0 = 0; s0 < samples; s0 += static_cast<std::int64_t>(block)) {
      const std::int64_t s1 = std::min(samples, s0 + static_cast<std::int64_t>(block));
      const std::size_t base = static_cast<std::size_t>(s0) * per,
                        n = static_cast<std::size_t>(s1 - s0) * per;
      for (std::size_t q = 0; q < n; ++q)
        v[q] = Loss::value(static_cast<double>(out[base + q]), static_cast<double>(y[base + q]));
      for (std::size_t q = 0; q < n; q += L) acc = acc + D<L>::load(v + q);
    }
  });
  acc.store(sum);
}

template <typename T, int L>
void count_misclassified(const T* out, const T* y, std::int64_t samples, double* count) {
  D<L> wrong = D<L>::zero();
  const D<L> one = D<L>::broadcast(1);
  for (std::int64_t s = 0; s < samples; ++s) {
    const std::size_t at = static_cast<std::size_t>(s) * L;
    const D<L> margin = load_double<T, L>(y + at) * load_double<T, L>(out + at);
    wrong = wrong + select_positive(margin, D<L>::zero(), one);
  }
  wrong.store(count);
}

template <typename T, int L>
void count_sign_agreement(const T* out, const T* x, const double* w, std::int64_t samples, int d,
                          double* count) {
  constexpr int C = 8 / D<L>::parts;  // independent chains: 8 registers
  D<L> agree = D<L>::zero();
  const D<L> one = D<L>::broadcast(1), zero = D<L>::zero();
  const std::size_t stride = static_cast<std::size_t>(d) * L;
  const auto block = [&](std::int64_t s0, auto width) {
    constexpr int B = decltype(width)::value;
    D<L> acc[B];
#pragma GCC unroll 8
    for (int c = 0; c < B; ++c) acc[c] = zero;
    const T* px = x + static_cast<std::size_t>(s0) * stride;
    for (int j = 0; j < d; ++j) {
      const D<L> wj = D<L>::load(w + static_cast<std::size_t>(j) * L);
#pragma GCC unroll 8
      for (int c = 0; c < B; ++c)
        acc[c] =
            fma(wj, load_double<T, L>(px + c * stride + static_cast<std::size_t>(j) * L), acc[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < B; ++c) {
      const D<L> o = load_double<T, L>(out + static_cast<std::size_t>(s0 + c) * L);
      agree = agree + select_equal(positive(o), positive(acc[c]), one, zero);
    }
  };
  std::int64_t s0 = 0;
  for (; s0 + C <= samples; s0 += C) block(s0, std::integral_constant<int, C>{});
  for (; s0 < samples; ++s0) block(s0, std::integral_constant<int, 1>{});
  agree.store(count);
}

namespace {

template <int L, int R, int C>
inline __attribute__((always_inline)) void positive_tile(const double* w, const double* x, int d,
                                                         int r0, std::int64_t c0,
                                                         double* positive_out) {
  using V = D<L>;
  V acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = V::zero();
  const std::ptrdiff_t stride = static_cast<std::ptrdiff_t>(d) * L;
  const double* pw = w + r0 * stride;
  const double* px = x + c0 * stride;
  for (int k = 0; k < d; ++k) {
    V av[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) av[r] = V::load(pw + r * stride + k * L);
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const V b = V::load(px + c * stride + k * L);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][c] = fma(av[r], b, acc[r][c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    double* p = positive_out + (c0 + c) * L;
    V n = V::load(p);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) n = n + positive(acc[r][c]);
    n.store(p);
  }
}

template <int L, int C>
void positive_columns(const double* w, const double* x, int d, int row_begin, int row_end,
                      std::int64_t c0, double* positive_out) {
  constexpr int R = kernels::Blocking<double, L>::rows;
  for (int c = 0; c < C; ++c) D<L>::zero().store(positive_out + (c0 + c) * L);
  int r0 = row_begin;
  for (; r0 + R <= row_end; r0 += R) positive_tile<L, R, C>(w, x, d, r0, c0, positive_out);
  for (; r0 < row_end; ++r0) positive_tile<L, 1, C>(w, x, d, r0, c0, positive_out);
}

}  // namespace

template <int L>
void count_positive(const double* w, const double* x, int d, int row_begin, int row_end,
                    std::int64_t samples, double* positive_out) {
  constexpr int C = kernels::Blocking<double, L>::cols;
  std::int64_t c0 = 0;
  for (; c0 + C <= samples; c0 += C)
    positive_columns<L, C>(w, x, d, row_begin, row_end, c0, positive_out);
  for (; c0 < samples; ++c0) positive_columns<L, 1>(w, x, d, row_begin, row_end, c0, positive_out);
}

template <typename T>
void widen(const T* in, std::size_t count, double* out) {
  for (std::size_t q = 0; q < count; ++q) out[q] = static_cast<double>(in[q]);
}

// A type in a template argument list cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define NNSWEEP_EVAL_INSTANTIATE(T)                                                            \
  template void loss_sum<T, default_lanes<T>>(LossKind, const T*, const T*, std::int64_t, int, \
                                              double*);                                        \
  template void count_misclassified<T, default_lanes<T>>(const T*, const T*, std::int64_t,     \
                                                         double*);                             \
  template void count_sign_agreement<T, default_lanes<T>>(const T*, const T*, const double*,   \
                                                          std::int64_t, int, double*);         \
  template void count_positive<default_lanes<T>>(const double*, const double*, int, int, int,  \
                                                 std::int64_t, double*);                       \
  template void widen<T>(const T*, std::size_t, double*);
NNSWEEP_EVAL_INSTANTIATE(float)
NNSWEEP_EVAL_INSTANTIATE(double)
#undef NNSWEEP_EVAL_INSTANTIATE
// NOLINTEND(bugprone-macro-parentheses)

}  // namespace nnsweep::nn::eval
