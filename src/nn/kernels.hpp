#pragma once
// The one matrix kernel of the engine: out(r, c) = start(r, c) + Σ_k a(r, k)·b(c, k) over lane
// blocks, register-blocked R×C. Forward (W·a), backward (Wᵀ·δ) and weight gradients (δ·aᵀ)
// are all this contraction with different strides. Each output element is accumulated by FMAs
// in increasing k from its start value, whatever tile computed it: blocking changes speed,
// never bits.
#include <cstddef>

#include "nnsweep/nn/lanes.hpp"

namespace nnsweep::nn::kernels {

// Lane block (r, k) of an operand lives at base + (r·row_stride + k·k_stride)·L.
template <typename T>
struct Operand {
  const T* base;
  std::ptrdiff_t row_stride, k_stride;
};
// Lane block (r, c) of the output lives at base + (r·row_stride + c·col_stride)·L.
template <typename T>
struct Output {
  T* base;
  std::ptrdiff_t row_stride, col_stride;
};

enum class Start {
  zero,    // 0
  row,     // a per-row vector (a bias): start[r]
  output,  // the output's own value (accumulate into it)
};
enum class Finish {
  store,  // out = result
  add,    // out = out + result
};

// Register blocking: R·C accumulators of `parts` native registers each, at most 12 of the 16.
template <typename T, int L>
struct Blocking {
  static constexpr int parts = Vec<T, L>::parts;
  static constexpr int rows = parts == 1 ? 3 : parts == 2 ? 2 : 1;
  static constexpr int cols = parts == 1 ? 4 : 3;
};

template <typename T, int L, int R, int C, Start S, Finish F>
inline __attribute__((always_inline)) void tile(std::ptrdiff_t r0, std::ptrdiff_t c0, int k_count,
                                                const Operand<T>& a, const Operand<T>& b,
                                                const T* start, const Output<T>& out) {
  using V = Vec<T, L>;
  V acc[R][C];
  const T* pa[R];
  const T* pb[C];
  T* po = out.base + (r0 * out.row_stride + c0 * out.col_stride) * L;
  const std::ptrdiff_t ors = out.row_stride * L, ocs = out.col_stride * L;
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    pa[r] = a.base + (r0 + r) * a.row_stride * L;
    V first = V::zero();
    if constexpr (S == Start::row) first = V::load(start + (r0 + r) * L);
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      if constexpr (S == Start::output)
        acc[r][c] = V::load(po + r * ors + c * ocs);
      else
        acc[r][c] = first;
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) pb[c] = b.base + (c0 + c) * b.row_stride * L;
  const std::ptrdiff_t ak = a.k_stride * L, bk = b.k_stride * L;
  for (int k = 0; k < k_count; ++k) {
    V av[R], bv[C];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) av[r] = V::load(pa[r] + k * ak);
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) bv[c] = V::load(pb[c] + k * bk);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) acc[r][c] = fma(av[r], bv[c], acc[r][c]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      T* p = po + r * ors + c * ocs;
      if constexpr (F == Finish::add)
        (V::load(p) + acc[r][c]).store(p);
      else
        acc[r][c].store(p);
    }
}

template <typename T, int L, int R, Start S, Finish F>
inline void strip(int r0, int cols, int k_count, const Operand<T>& a, const Operand<T>& b,
                  const T* start, const Output<T>& out) {
  constexpr int C = Blocking<T, L>::cols;
  int c0 = 0;
  for (; c0 + C <= cols; c0 += C) tile<T, L, R, C, S, F>(r0, c0, k_count, a, b, start, out);
  switch (cols - c0) {
    case 1:
      tile<T, L, R, 1, S, F>(r0, c0, k_count, a, b, start, out);
      break;
    case 2:
      if constexpr (C > 2) tile<T, L, R, 2, S, F>(r0, c0, k_count, a, b, start, out);
      break;
    case 3:
      if constexpr (C > 3) tile<T, L, R, 3, S, F>(r0, c0, k_count, a, b, start, out);
      break;
    default:
      break;
  }
}

// Few k (a rank-K update such as the weight gradient of a small batch): one output at a time,
// a's K blocks of the row held in registers; per output one start, K loads of b, K FMAs, one
// store, with no tile set-up. The same operations per element as tile().
template <typename T, int L, int K, Start S, Finish F>
void rank_update(int rows, int cols, const Operand<T>& a, const Operand<T>& b, const T* start,
                 const Output<T>& out) {
  using V = Vec<T, L>;
  const std::ptrdiff_t ak = a.k_stride * L, bk = b.k_stride * L, bc = b.row_stride * L,
                       ocs = out.col_stride * L;
  for (int r = 0; r < rows; ++r) {
    V av[K];
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) av[k] = V::load(a.base + r * a.row_stride * L + k * ak);
    V first = V::zero();
    if constexpr (S == Start::row) first = V::load(start + r * L);
    T* po = out.base + r * out.row_stride * L;
    const T* pb = b.base;
    for (int c = 0; c < cols; ++c, po += ocs, pb += bc) {
      V acc = S == Start::output ? V::load(po) : first;
#pragma GCC unroll 8
      for (int k = 0; k < K; ++k) acc = fma(av[k], V::load(pb + k * bk), acc);
      if constexpr (F == Finish::add)
        (V::load(po) + acc).store(po);
      else
        acc.store(po);
    }
  }
}

// One column (a single sample): R_1 independent rows at a time so that the FMA latency of each
// row's long dependent chain overlaps with the others'.
template <typename T, int L, Start S, Finish F>
void column(int rows, int k_count, const Operand<T>& a, const Operand<T>& b, const T* start,
            const Output<T>& out) {
  constexpr int R = 8 / Vec<T, L>::parts > 0 ? 8 / Vec<T, L>::parts : 1;
  int r0 = 0;
  for (; r0 + R <= rows; r0 += R) tile<T, L, R, 1, S, F>(r0, 0, k_count, a, b, start, out);
  for (; r0 < rows; ++r0) tile<T, L, 1, 1, S, F>(r0, 0, k_count, a, b, start, out);
}

// out(r, c) for r < rows, c < cols. Rows outermost, so a strip of `a` (R rows × k_count) stays
// in L1 while `b` streams past it.
template <typename T, int L, Start S, Finish F>
void contract(int rows, int cols, int k_count, const Operand<T>& a, const Operand<T>& b,
              const T* start, const Output<T>& out) {
  switch (k_count) {
    case 1:
      return rank_update<T, L, 1, S, F>(rows, cols, a, b, start, out);
    case 2:
      return rank_update<T, L, 2, S, F>(rows, cols, a, b, start, out);
    case 3:
      return rank_update<T, L, 3, S, F>(rows, cols, a, b, start, out);
    case 4:
      return rank_update<T, L, 4, S, F>(rows, cols, a, b, start, out);
    default:
      break;
  }
  if (cols == 1) return column<T, L, S, F>(rows, k_count, a, b, start, out);
  constexpr int R = Blocking<T, L>::rows;
  int r0 = 0;
  for (; r0 + R <= rows; r0 += R) strip<T, L, R, S, F>(r0, cols, k_count, a, b, start, out);
  switch (rows - r0) {
    case 1:
      strip<T, L, 1, S, F>(r0, cols, k_count, a, b, start, out);
      break;
    case 2:
      if constexpr (R > 2) strip<T, L, 2, S, F>(r0, cols, k_count, a, b, start, out);
      break;
    default:
      break;
  }
}

}  // namespace nnsweep::nn::kernels
