#pragma once
// The `correlations` experiment (Hanin 2022): moments of the outputs and input derivatives of
// random fully connected networks at finite width, estimated from N sampled networks per task —
// by the exact per-layer conditional Gaussian chain or from explicit weights — beside the theory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnsweep/experiments/experiment.hpp"
#include "nnsweep/nn/activation.hpp"
#include "nnsweep/stats/moments.hpp"

namespace nnsweep::experiments {

const Experiment& correlations_experiment();

namespace correlations {

enum class Sampler { exact_chain, full_network };

// One task's parameters as the kernels need them (resolved: no "auto" left).
struct Problem {
  nn::Activation activation;
  std::vector<std::int64_t> widths = {64, 64, 64, 64};  // hidden widths n_1..n_L
  double cw = 2, cb = 0;
  std::int64_t n0 = 4;
  double x_norm2 = 4;  // the input is x = √(x_norm2/n0)·(1, …, 1)
  std::int64_t n_out = 1;
  std::int64_t samples = 10000;
  Sampler sampler = Sampler::exact_chain;
  bool single_precision = false;
  // exact_chain with σ(z) = max(z, αz): draw each layer's Wishart update in O(k³) (true), or
  // unit by unit as for any σ (false: the reference the collapse is tested against).
  bool collapse = true;
};

// The kernel's view of resolved parameters (ParamSet from correlations_experiment()).
Problem problem_of(const config::ParamSet& params);

// The metrics: k2, r4, kappa4, z4_ratio, corr22, dz2, rv4, g2, g4_ratio (column order).
inline constexpr std::size_t metric_count = 9;

// The columns (the same for every cell): each metric and its standard error `<metric>_sem`,
// the derived l_over_n, each metric's theory `theory_<metric>`, and each metric's diagnostic
// `<metric>_max_share`: the largest single network's share of the sum that dominates the
// estimator (the numerator's highest moment, see share_observable), which the trust verdict of
// `report` and the Python package reads (docs/statistics.md).
struct Columns {
  std::array<grid::ScalarId, metric_count> value, sem;
  grid::ScalarId l_over_n;
  std::array<grid::TheoryId, metric_count> theory;
  std::array<grid::ScalarId, metric_count> max_share;
};
Columns declare(grid::ColumnSet& columns);

// Per-network observables, in the accumulator's coordinate order. T = T_{L+1} is the covariance
// of (z, ∂z/∂x_1, …, ∂z/∂x_n0) of one output given the last hidden layer, R its derivative block;
// z_i are the sampled outputs. The single-direction metrics use u = e₁ (fixed): v = ∂z/∂x_1.
enum Observable : std::size_t {
  obs_s,       // T₀₀ (= E[z² | last hidden layer])
  obs_s2,      // T₀₀²
  obs_t11,     // T₁₁ (= E[(∂z/∂x_1)² | …])
  obs_t11_sq,  // T₁₁²
  obs_tr_r,    // tr R (= E[‖∇ₓz‖² | …])
  obs_grad4,   // (tr R)² + 2 tr R² (= E[‖∇ₓz‖⁴ | …])
  obs_z2,      // mean over outputs of z_i²
  obs_z4,      // mean over outputs of z_i⁴
  obs_z2z2,    // mean over pairs i < j of z_i² z_j² (0 when n_out < 2)
  observable_count
};

// The observable whose sum over networks dominates metric `metric`'s estimator (the highest
// moment in its numerator): k2 → s, r4 and kappa4 → s², z4_ratio → z⁴, corr22 → z_i²z_j²,
// dz2 → T₁₁, rv4 → T₁₁², g2 → tr R, g4_ratio → (tr R)² + 2 tr R². All are ≥ 0.
std::size_t share_observable(std::size_t metric);

// Samples networks first, …, first + count − 1 of the task named by `replica` and writes their
// observables to obs[i·observable_count + o]. `count` must be a multiple of
// rng::block_lanes<T>. Network i's numbers come from its own stream (sweep seed, task key, i,
// generator_seed) only, so they do not depend on `first`, `count` or the caller.
template <typename T>
void sample_chain(const Problem& problem, const Replica& replica, std::int64_t first,
                  std::size_t count, double* obs);
template <typename T>
void sample_network(const Problem& problem, const Replica& replica, std::int64_t first,
                    std::size_t count, double* obs);

// The observables of all `samples` networks of one task, drawn in packs of options.pack networks
// (rounded up to whole blocks) and added in network order; false when options.cancel stopped it.
// With `maxima`, also each observable's largest value over the networks (in observable order).
bool accumulate(const Problem& problem, const Replica& replica, const RunOptions& options,
                stats::CoMoments& observables, std::vector<double>* maxima = nullptr);

// One task: accumulate, then the metrics in a row of declare()'s columns (Status::pending and no
// row when cancelled, diverged when a metric is not finite).
TaskResult estimate(const Problem& problem, const Replica& replica, const RunOptions& options);

}  // namespace correlations
}  // namespace nnsweep::experiments
