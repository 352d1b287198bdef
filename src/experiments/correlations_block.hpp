#pragma once
// What both correlations samplers share: a block of rng::block_lanes<T> networks, one per SIMD
// lane, its per-lane generators, the covariance step T_{l+1} = C_b e₀e₀ᵀ + (C_W/n_l)·S, and the
// step from a block's T_{L+1} and sampled outputs to the per-network observables (computed in
// double whatever T is).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "nnsweep/experiments/correlations.hpp"
#include "nnsweep/rng/simd.hpp"

namespace nnsweep::experiments::correlations {

template <typename T>
inline constexpr int lanes = rng::block_lanes<T>;

template <typename T>
using Generator = rng::LaneGenerator<T, lanes<T>>;

// Lane l draws network first + l's numbers from that network's own stream.
template <typename T>
void seed_block(Generator<T>& generator, const Replica& replica, std::int64_t first) {
  for (int l = 0; l < lanes<T>; ++l)
    generator.seed(
        l, replica.stream(rng::Purpose::generator_seed, static_cast<std::uint64_t>(first + l)));
}

// σ(z) and σ'(z) on every lane. Through local arrays and flattened (fastmath inlined), so that
// the loop vectorizes; tanh is evaluated once for both (σ' = 1 − σ², the same expression as
// nn::act::Tanh::derivative, hence the same bits).
template <typename T, typename Sigma>
[[gnu::flatten]] inline void activate_lanes(const T* z, T alpha, T* value, T* slope) {
  constexpr int w = lanes<T>;
  T in[w], v[w], d[w];
  std::copy_n(z, w, in);
  for (int l = 0; l < w; ++l) {
    if constexpr (std::is_same_v<Sigma, nn::act::Tanh>) {
      const T t = fastmath::tanh(in[l]);
      v[l] = t;
      d[l] = T(1) - t * t;
    } else {
      v[l] = Sigma::value(in[l], alpha);
      d[l] = Sigma::derivative(in[l], alpha);
    }
  }
  std::copy_n(v, w, value);
  std::copy_n(d, w, slope);
}

// T_{l+1} = C_b e₀e₀ᵀ + (C_W/n)·S in place: t (k×k, row-major, lanes innermost) holds the
// symmetric S = Σ_j φ_jφ_jᵀ over the n units of layer l in its upper triangle; both triangles
// of T_{l+1} are written.
template <typename T>
void next_covariance(const Problem& p, std::int64_t n, int k, T* t) {
  constexpr int w = lanes<T>;
  const T scale = static_cast<T>(p.cw / static_cast<double>(n)), cb = static_cast<T>(p.cb);
  for (int r = 0; r < k; ++r)
    for (int q = r; q < k; ++q) {
      T* upper = t + (r * k + q) * w;
      T* lower = t + (q * k + r) * w;
      const T shift = r == 0 && q == 0 ? cb : T(0);
      for (int l = 0; l < w; ++l) upper[l] = lower[l] = shift + scale * upper[l];
    }
}

// Power sums of the sampled outputs z_i of each lane.
template <typename T>
struct OutputSums {
  double z2[lanes<T>] = {}, z4[lanes<T>] = {};
  void add(const T* z) {
    for (int l = 0; l < lanes<T>; ++l) {
      const double x2 = static_cast<double>(z[l]) * static_cast<double>(z[l]);
      z2[l] += x2;
      z4[l] += x2 * x2;
    }
  }
};

// Observables of the block's lanes from T (k×k, row-major, lanes innermost: t[(r·k + q)·W + l])
// and the sums of the n_out outputs; obs has observable_count entries per lane.
template <typename T>
void observe_block(const T* t, int k, const OutputSums<T>& sums, std::int64_t n_out, double* obs) {
  constexpr int w = lanes<T>;
  const auto n = static_cast<double>(n_out);
  for (int l = 0; l < w; ++l) {
    const auto at = [&](int r, int q) { return static_cast<double>(t[(r * k + q) * w + l]); };
    double tr = 0, tr2 = 0;
    for (int r = 1; r < k; ++r) {
      tr += at(r, r);
      for (int q = 1; q < k; ++q) tr2 += at(r, q) * at(r, q);
    }
    double* o = obs + static_cast<std::size_t>(l) * observable_count;
    o[obs_s] = at(0, 0);
    o[obs_s2] = at(0, 0) * at(0, 0);
    o[obs_t11] = k > 1 ? at(1, 1) : 0.0;
    o[obs_t11_sq] = o[obs_t11] * o[obs_t11];
    o[obs_tr_r] = tr;
    o[obs_grad4] = tr * tr + 2 * tr2;
    o[obs_z2] = sums.z2[l] / n;
    o[obs_z4] = sums.z4[l] / n;
    // Σ_{i<j} z_i² z_j² = ((Σ z_i²)² − Σ z_i⁴) / 2, over n(n−1)/2 pairs.
    o[obs_z2z2] = n_out < 2 ? 0.0 : (sums.z2[l] * sums.z2[l] - sums.z4[l]) / (n * (n - 1));
  }
}

}  // namespace nnsweep::experiments::correlations
