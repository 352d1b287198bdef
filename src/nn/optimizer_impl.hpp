#pragma once
// Definitions of the optimizers (include/nnsweep/nn/optimizer.hpp); included by pack_impl.hpp,
// so they are compiled with the engine (pack.cpp, and bench/engine's wider packs).
#include <cmath>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/optimizer.hpp"

namespace nnsweep::nn {

template <typename T, int L>
void clip_gradient(const Layout& layout, T* g, double clip) {
  using V = Vec<T, L>;
  V sum = V::zero();
  for (const ParamGroup& group : layout.groups) {
    if (!group.trainable) continue;
    for (std::size_t q = group.offset; q < group.offset + group.count; ++q) {
      const V x = V::load(g + q * L);
      sum = fma(x, x, sum);
    }
  }
  alignas(64) T lanes_sum[L], factor_lanes[L];
  sum.store(lanes_sum);
  const T limit = static_cast<T>(clip), tiny = static_cast<T>(1e-6);
  for (int lane = 0; lane < L; ++lane) {
    const T coefficient = limit / (std::sqrt(lanes_sum[lane]) + tiny);
    factor_lanes[lane] = coefficient < T(1) ? coefficient : T(1);
  }
  const V factor = V::load(factor_lanes);
  for (const ParamGroup& group : layout.groups) {
    if (!group.trainable) continue;
    for (std::size_t q = group.offset; q < group.offset + group.count; ++q)
      (V::load(g + q * L) * factor).store(g + q * L);
  }
}

template <typename T, int L>
void add_weight_decay(const Layout& layout, const T* theta, T* g, double weight_decay) {
  using V = Vec<T, L>;
  const V wd = V::broadcast(static_cast<T>(weight_decay));
  for (const ParamGroup& group : layout.groups) {
    if (!group.trainable || !group.decay) continue;
    for (std::size_t q = group.offset; q < group.offset + group.count; ++q)
      fma(wd, V::load(theta + q * L), V::load(g + q * L)).store(g + q * L);
  }
}

template <typename T, int L>
void Sgd<T, L>::update(const Layout& layout, T* theta, T* g) {
  using V = Vec<T, L>;
  if (clip_ > 0) clip_gradient<T, L>(layout, g, clip_);
  if (weight_decay_ > 0) add_weight_decay<T, L>(layout, theta, g, weight_decay_);
  const V minus_lr = V::broadcast(static_cast<T>(-lr_));
  for (const ParamGroup& group : layout.groups) {
    if (!group.trainable) continue;
    for (std::size_t q = group.offset; q < group.offset + group.count; ++q)
      fma(minus_lr, V::load(g + q * L), V::load(theta + q * L)).store(theta + q * L);
  }
}

template <typename T, int L>
Adam<T, L>::Adam(double lr, double beta1, double beta2, double eps, double clip,
                 double weight_decay)
    : lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps), clip_(clip), weight_decay_(weight_decay) {}

template <typename T, int L>
void Adam<T, L>::update(const Layout& layout, T* theta, T* g) {
  if (clip_ > 0) clip_gradient<T, L>(layout, g, clip_);
  if (weight_decay_ > 0) add_weight_decay<T, L>(layout, theta, g, weight_decay_);
  if (m_.size() != layout.size * L) {
    if (steps_ != 0) throw error("internal: Adam's layout changed between steps");
    m_.resize(layout.size * L);
    v_.resize(layout.size * L);
  }
  ++steps_;
  beta1_power_ *= beta1_;
  beta2_power_ *= beta2_;
  const T beta1 = static_cast<T>(beta1_), beta2 = static_cast<T>(beta2_);
  const T one_minus_beta1 = static_cast<T>(1 - beta1_),
          one_minus_beta2 = static_cast<T>(1 - beta2_);
  const T step_size = static_cast<T>(lr_ / (1 - beta1_power_));
  const T root_correction = static_cast<T>(std::sqrt(1 - beta2_power_));
  const T eps = static_cast<T>(eps_);
  T* m = m_.data();
  T* v = v_.data();
  for (const ParamGroup& group : layout.groups) {
    if (!group.trainable) continue;
    const std::size_t begin = group.offset * L, end = (group.offset + group.count) * L;
    for (std::size_t q = begin; q < end; ++q) {
      const T gq = g[q];
      m[q] = std::fma(one_minus_beta1, gq, beta1 * m[q]);
      v[q] = std::fma(one_minus_beta2 * gq, gq, beta2 * v[q]);
      const T denominator = std::sqrt(v[q]) / root_correction + eps;
      theta[q] = std::fma(-step_size, m[q] / denominator, theta[q]);
    }
  }
}

template <typename T, int L>
std::unique_ptr<Optimizer<T, L>> make_optimizer(const OptimizerSpec& spec) {
  if (spec.kind == OptimizerSpec::Kind::adam)
    return std::make_unique<Adam<T, L>>(spec.lr, spec.beta1, spec.beta2, spec.eps, spec.clip,
                                        spec.weight_decay);
  return std::make_unique<Sgd<T, L>>(spec.lr, spec.clip, spec.weight_decay);
}

}  // namespace nnsweep::nn
