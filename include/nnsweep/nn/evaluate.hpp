#pragma once
// Lane-parallel evaluation kernels for measure() callbacks (nn/driver.hpp): the reductions over
// evaluation sets that experiments' metrics are made of, for all replicas of a pack at once
// (lanes = replicas, as in the forward pass), in double. Arrays are [..][lane] with L lanes.
// Each lane's result is the same sequence of double operations as the obvious scalar loop over
// samples in increasing order (stated per function), so replacing a per-replica loop by one of
// these changes no bit. Compiled once, in src/nn/evaluate.cpp, for the default lane widths.
#include <cstddef>
#include <cstdint>

#include "nnsweep/nn/lanes.hpp"
#include "nnsweep/nn/network.hpp"

namespace nnsweep::nn::eval {

// Per lane: Σ_s Σ_o ℓ(double(out[s][o]), double(y[s][o])) in increasing s then o (the loss in
// double, nn::loss::value), into sum[lane].
template <typename T, int L>
void loss_sum(LossKind kind, const T* out, const T* y, std::int64_t samples, int outputs,
              double* sum);

// Per lane: the number of samples with !(y·out > 0) (misclassified, a NaN output included),
// one output.
template <typename T, int L>
void count_misclassified(const T* out, const T* y, std::int64_t samples, double* count);

// Per lane: the number of samples s with (out[s] > 0) == (⟨w, x[s]⟩ > 0), the inner product in
// double as Σ_j fma(w[j], x[s][j], ·) from 0 in increasing j; w is [j][lane] (d values per lane),
// x is [s][j][lane] (inputs of the network), out one output per sample.
template <typename T, int L>
void count_sign_agreement(const T* out, const T* x, const double* w, std::int64_t samples, int d,
                          double* count);

// Activation-pattern counts: positive[s][lane] = the number of rows i in [row_begin, row_end)
// with ⟨w[i], x[s]⟩ > 0, the inner product in double as Σ_j fma(w[i][j], x[s][j], ·) from 0 in
// increasing j; w is [i][j][lane], x is [s][j][lane], both in double. Blocked R×C in registers
// (rows × samples), like the forward pass.
template <int L>
void count_positive(const double* w, const double* x, int d, int row_begin, int row_end,
                    std::int64_t samples, double* positive);

// Widening copy: out[q] = double(in[q]), q < count (x in double for count_positive).
template <typename T>
void widen(const T* in, std::size_t count, double* out);

}  // namespace nnsweep::nn::eval
