#pragma once
// Definitions of nn::Pack (include/nnsweep/nn/pack.hpp), instantiated in pack.cpp for the
// default lane widths; bench/engine includes this file to instantiate wider packs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "kernels.hpp"
#include "nnsweep/core/assert.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/activation.hpp"
#include "nnsweep/nn/loss.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/random.hpp"
#include "optimizer_impl.hpp"

namespace nnsweep::nn {

namespace detail {

inline std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}
inline std::size_t sz(int x) {
  return static_cast<std::size_t>(x);
}

// Elementwise maps over whole [..][lane] arrays. These call the scalar functors of
// nn/activation.hpp and nn/loss.hpp in flat loops of runtime length, which GCC vectorizes; the
// functors are branch-free fastmath, so each element's bits do not depend on vectorization.
template <typename T, class Act>
void activate(const T* __restrict z, T* __restrict a, std::size_t count, T alpha) {
  for (std::size_t q = 0; q < count; ++q) a[q] = Act::value(z[q], alpha);
}
template <typename T, class Act>
void times_derivative(const T* __restrict z, T* __restrict delta, std::size_t count, T alpha) {
  for (std::size_t q = 0; q < count; ++q) delta[q] = delta[q] * Act::derivative(z[q], alpha);
}
template <typename T, class Loss>
void loss_derivative(const T* __restrict out, const T* __restrict y, T* __restrict delta,
                     std::size_t count, T scale) {
  for (std::size_t q = 0; q < count; ++q) delta[q] = scale * Loss::derivative(out[q], y[q]);
}

// A replica-lane view of the kernels: the operands of forward, backward and gradient passes.
template <typename T, int L>
struct Dense {
  using V = Vec<T, L>;
  using Operand = kernels::Operand<T>;
  using Output = kernels::Output<T>;
  // out[s][i] = bias[i] + Σ_j W[i][j]·a[s][j]  (bias may be null: starts from 0)
  static void forward(const T* w, const T* bias, const T* a, T* out, int n_out, int n_in,
                      int count) {
    const Operand wm{w, n_in, 1}, am{a, n_in, 1};
    const Output o{out, 1, n_out};
    if (bias != nullptr)
      kernels::contract<T, L, kernels::Start::row, kernels::Finish::store>(n_out, count, n_in, wm,
                                                                           am, bias, o);
    else
      kernels::contract<T, L, kernels::Start::zero, kernels::Finish::store>(n_out, count, n_in, wm,
                                                                            am, nullptr, o);
  }
  // out[s][i] += c[i] + Σ_j A[i][j]·x[s][j]  (the skip connection)
  static void forward_add(const T* w, const T* bias, const T* x, T* out, int n_out, int n_in,
                          int count) {
    kernels::contract<T, L, kernels::Start::row, kernels::Finish::add>(
        n_out, count, n_in, Operand{w, n_in, 1}, Operand{x, n_in, 1}, bias, Output{out, 1, n_out});
  }
  // back[s][j] = Σ_i W[i][j]·delta[s][i]
  static void backward(const T* w, const T* delta, T* back, int n_out, int n_in, int count) {
    kernels::contract<T, L, kernels::Start::zero, kernels::Finish::store>(
        n_in, count, n_out, Operand{w, 1, n_in}, Operand{delta, n_out, 1}, nullptr,
        Output{back, 1, n_in});
  }
  // g[i][j] = (accumulate ? g[i][j] : 0) + Σ_s delta[s][i]·a[s][j], s in increasing order
  static void outer(const T* delta, const T* a, T* g, int n_out, int n_in, int count,
                    bool accumulate) {
    const Operand dm{delta, 1, n_out}, am{a, 1, n_in};
    const Output o{g, n_in, 1};
    if (accumulate)
      kernels::contract<T, L, kernels::Start::output, kernels::Finish::store>(n_out, n_in, count,
                                                                              dm, am, nullptr, o);
    else
      kernels::contract<T, L, kernels::Start::zero, kernels::Finish::store>(n_out, n_in, count, dm,
                                                                            am, nullptr, o);
  }
  // g[i] = (accumulate ? g[i] : 0) + Σ_s delta[s][i]
  static void sum(const T* delta, T* g, int n_out, int count, bool accumulate) {
    for (int i = 0; i < n_out; ++i) {
      V acc = accumulate ? V::load(g + i * L) : V::zero();
      for (int s = 0; s < count; ++s) acc = acc + V::load(delta + (s * n_out + i) * L);
      acc.store(g + i * L);
    }
  }
};

// Lane-block versions of the piecewise-linear activations for the fused path; the same
// operations as the scalar functors of nn/activation.hpp, hence the same bits.
template <typename T, int L, class Act>
struct VecActivation {
  static constexpr bool available = false;
};
template <typename T, int L>
struct VecActivation<T, L, act::Identity> {
  static constexpr bool available = true;
  using V = Vec<T, L>;
  static V value(const V& x, const V&) { return x; }
  static V derivative(const V&, const V&) { return V::broadcast(T(1)); }
};
template <typename T, int L>
struct VecActivation<T, L, act::Relu> {
  static constexpr bool available = true;
  using V = Vec<T, L>;
  static V value(const V& x, const V&) { return select_positive(x, x, V::zero()); }
  static V derivative(const V& x, const V&) {
    return select_positive(x, V::broadcast(T(1)), V::zero());
  }
};
template <typename T, int L>
struct VecActivation<T, L, act::LeakyRelu> {
  static constexpr bool available = true;
  using V = Vec<T, L>;
  static V value(const V& x, const V& alpha) { return select_positive(x, x, alpha * x); }
  static V derivative(const V& x, const V& alpha) {
    return select_positive(x, V::broadcast(T(1)), alpha);
  }
};

// Leaky ReLU as max(x, αx): for 0 < α <= 1 every lane (±0, ±inf and NaN included) gets the bits
// of VecActivation's x > 0 ? x : αx, in two operations instead of three (the fused forward
// pass's activation is a fifth of its arithmetic).
template <typename T, int L>
struct LeakyMax {
  using V = Vec<T, L>;
  static V value(const V& x, const V& alpha) {
    const V ax = alpha * x;
    V r;
#pragma GCC unroll 16
    for (int i = 0; i < V::parts; ++i) r.v[i] = x.v[i] > ax.v[i] ? x.v[i] : ax.v[i];
    return r;
  }
};

// The evaluation forward pass of a last hidden layer fused with a one-unit output layer:
// out[c] = b_out + Σ_i v_i·σ(b_i + Σ_k W[i][k]·a[c][k]) for the samples c of one column block.
// A register tile of R hidden units × C samples is computed, activated and summed into the C
// outputs (kept in `out`, in L1) before the next tile: no hidden activation is stored. Each
// pre-activation is the FMA chain of Dense::forward (bias first, then k in order), each output
// the FMA chain of the output layer's Dense::forward (b_out first, then i in order), and
// VecActivation is the scalar functor lane-wise: the same bits as the layer-by-layer pass.
template <typename T, int L, class VA, int R, int C>
inline __attribute__((always_inline)) void fused_tile(int r0, int c0, int n_in, const T* a,
                                                      const T* w, const T* bias, const T* v,
                                                      const Vec<T, L>& alpha, T* out) {
  using V = Vec<T, L>;
  V acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const V first = bias != nullptr ? V::load(bias + (r0 + r) * L) : V::zero();
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = first;
  }
  const T* pw = w + static_cast<std::ptrdiff_t>(r0) * n_in * L;
  const T* pa = a + static_cast<std::ptrdiff_t>(c0) * n_in * L;
  const std::ptrdiff_t stride = static_cast<std::ptrdiff_t>(n_in) * L;
  for (int k = 0; k < n_in; ++k) {
    V av[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) av[r] = V::load(pw + r * stride + k * L);
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const V b = V::load(pa + c * stride + k * L);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][c] = fma(av[r], b, acc[r][c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    T* po = out + (c0 + c) * L;
    V o = V::load(po);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) o = fma(V::load(v + (r0 + r) * L), VA::value(acc[r][c], alpha), o);
    o.store(po);
  }
}

template <typename T, int L, class VA, int C>
void fused_columns(int c0, int n_in, int hidden, const T* a, const T* w, const T* bias, const T* v,
                   const T* bias_out, const Vec<T, L>& alpha, T* out) {
  using V = Vec<T, L>;
  constexpr int R = kernels::Blocking<T, L>::rows;
  const V start = bias_out != nullptr ? V::load(bias_out) : V::zero();
  for (int c = 0; c < C; ++c) start.store(out + (c0 + c) * L);
  int r0 = 0;
  for (; r0 + R <= hidden; r0 += R)
    fused_tile<T, L, VA, R, C>(r0, c0, n_in, a, w, bias, v, alpha, out);
  for (; r0 < hidden; ++r0) fused_tile<T, L, VA, 1, C>(r0, c0, n_in, a, w, bias, v, alpha, out);
}

template <typename T, int L, class VA>
void fused_output(int count, int n_in, int hidden, const T* a, const T* w, const T* bias,
                  const T* v, const T* bias_out, T alpha, T* out) {
  constexpr int C = kernels::Blocking<T, L>::cols;
  const Vec<T, L> alpha_v = Vec<T, L>::broadcast(alpha);
  int c0 = 0;
  for (; c0 + C <= count; c0 += C)
    fused_columns<T, L, VA, C>(c0, n_in, hidden, a, w, bias, v, bias_out, alpha_v, out);
  for (; c0 < count; ++c0)
    fused_columns<T, L, VA, 1>(c0, n_in, hidden, a, w, bias, v, bias_out, alpha_v, out);
}

}  // namespace detail

template <typename T, int L>
Pack<T, L>::Pack(const TrainSpec& spec, std::int64_t n_train)
    : spec_(spec), layout_(spec.network), n_(n_train) {
  using detail::sz;
  validate(spec_);
  NNSWEEP_CHECK(n_train >= 1 && n_train < std::numeric_limits<std::int32_t>::max(),
                "n_train = ", n_train, ": must be in [1, 2^31)");
  const NetworkSpec& net = spec_.network;
  batch_ = std::min(spec_.optimizer.batch, n_);
  params_.resize(layout_.size * L);
  set_optimizer(make_optimizer<T, L>(spec_.optimizer));
  x_.resize(sz(n_) * sz(net.input) * L);
  y_.resize(sz(n_) * sz(net.output()) * L);
  for (int lane = 0; lane < L; ++lane)
    order_streams_.emplace_back(0, 0, static_cast<std::uint64_t>(lane), rng::Purpose::batch_order);
  order_.resize(sz(n_) * L);
  batch_samples_.resize(sz(batch_) * L);
  const int depth = net.depth();
  int widest = net.input;
  for (const LayerSpec& layer : net.layers) widest = std::max(widest, layer.width);
  act_.resize(sz(depth) + 1);
  act_[0].resize(sz(chunk) * sz(net.input) * L);
  for (int l = 0; l < depth; ++l)
    act_[sz(l) + 1].resize(sz(chunk) * sz(net.layers[sz(l)].width) * L);
  pre_.resize(sz(depth) - 1);
  for (int l = 0; l + 1 < depth; ++l)
    pre_[sz(l)].resize(sz(chunk) * sz(net.layers[sz(l)].width) * L);
  delta_a_.resize(sz(chunk) * sz(widest) * L);
  delta_b_.resize(sz(chunk) * sz(widest) * L);
  x_next_.resize(sz(net.input) * L);
  y_chunk_.resize(sz(chunk) * sz(net.output()) * L);
  needs_delta_.assign(sz(depth), false);
  bool below = false;
  for (int l = 0; l < depth; ++l) {
    needs_delta_[sz(l)] = below;
    below = below || net.layers[sz(l)].trainable;
  }
  diverged_at_.assign(L, -1);
}

template <typename T, int L>
void Pack<T, L>::set_optimizer(std::unique_ptr<Optimizer<T, L>> optimizer) {
  optimizer_ = std::move(optimizer);
  direct_rate_ = optimizer_->direct_rate();
  direct_ = direct_rate_ > 0 && batch_ <= chunk;
  if (!direct_ && grad_.size() != layout_.size * L) grad_.resize(layout_.size * L);
}

template <typename T, int L>
bool Pack<T, L>::fused() const {
  const NetworkSpec& net = spec_.network;
  return fused_allowed_ && direct_ && batch_ == 1 && is_homogeneous(net.activation.kind) &&
         net.depth() == 2 && !net.skip && !net.layers[0].bias && net.layers[0].trainable &&
         net.layers[1].width == 1 && !net.layers[1].bias && !net.layers[1].trainable;
}

template <typename T, int L>
bool Pack<T, L>::shallow_fusable() const {
  const NetworkSpec& net = spec_.network;
  return fused_allowed_ && !direct_ && batch_ >= n_ && net.depth() == 2 && net.input == 1 &&
         net.activation.kind == ActivationKind::relu && spec_.loss == LossKind::mse &&
         net.layers[0].bias && net.layers[0].trainable && net.layers[1].width == 1 &&
         net.layers[1].trainable && (!net.skip || net.skip_trainable);
}

// One full-batch step of f(x) = Σ_k v_k relu(w_k x + b_k) [+ b_out] [+ a x + c] with the MSE
// loss: pass 1 the outputs f_s (units outer, samples inner), r_s = 2(f_s − y_s)/n; pass 2 per
// unit, recomputing z = w x + b: ∂v_k = Σ_s r_s relu(z_ks), ∂b_k = v_k Σ_{z>0} r_s,
// ∂w_k = v_k Σ_{z>0} r_s x_s; then the optimizer's update (weight decay and all) as usual.
template <typename T, int L>
void Pack<T, L>::step_shallow() {
  using V = Vec<T, L>;
  using detail::sz;
  const NetworkSpec& net = spec_.network;
  const int k_count = net.layers[0].width;
  const std::size_t n = sz(n_);
  if (grad_.size() != layout_.size * L) grad_.resize(layout_.size * L);
  if (y_chunk_.size() < n * L) y_chunk_.resize(n * L);
  T* theta = params_.data();
  T* g = grad_.data();
  const T* w = theta + layout_.weights[0] * L;
  const T* b = theta + layout_.bias[0] * L;
  const T* v = theta + layout_.weights[1] * L;
  T* f = y_chunk_.data();  // outputs, then residuals
  const V zero = V::zero();
  for (std::size_t s = 0; s < n; ++s) zero.store(f + s * L);
  for (int k = 0; k < k_count; ++k) {
    const V wk = V::load(w + sz(k) * L), bk = V::load(b + sz(k) * L), vk = V::load(v + sz(k) * L);
    for (std::size_t s = 0; s < n; ++s) {
      const V z = fma(wk, V::load(x_.data() + s * L), bk);
      fma(vk, select_less(zero, z, z, zero), V::load(f + s * L)).store(f + s * L);
    }
  }
  const bool out_bias = net.layers[1].bias;
  const V c_out = out_bias ? V::load(theta + layout_.bias[1] * L) : zero;
  const V a = net.skip ? V::load(theta + layout_.skip_weights * L) : zero;
  const V c = net.skip ? V::load(theta + layout_.skip_bias * L) : zero;
  for (std::size_t s = 0; s < n; ++s) {
    const V x = V::load(x_.data() + s * L);
    (V::load(f + s * L) + c_out + fma(a, x, c)).store(f + s * L);
  }
  check_outputs(static_cast<int>(n_), f);
  const V two_over_n = V::broadcast(static_cast<T>(2.0 / static_cast<double>(n_)));
  V ga = zero, gc = zero;
  for (std::size_t s = 0; s < n; ++s) {
    const V x = V::load(x_.data() + s * L);
    const V r = (V::load(f + s * L) - V::load(y_.data() + s * L)) * two_over_n;
    r.store(f + s * L);
    ga = fma(r, x, ga);
    gc = gc + r;
  }
  for (int k = 0; k < k_count; ++k) {
    const V wk = V::load(w + sz(k) * L), bk = V::load(b + sz(k) * L), vk = V::load(v + sz(k) * L);
    V gv = zero, gb = zero, gw = zero;
    for (std::size_t s = 0; s < n; ++s) {
      const V x = V::load(x_.data() + s * L), r = V::load(f + s * L);
      const V z = fma(wk, x, bk);
      gv = fma(r, select_less(zero, z, z, zero), gv);
      const V active = select_less(zero, z, r, zero);
      gb = gb + active;
      gw = fma(active, x, gw);
    }
    (vk * gw).store(g + (layout_.weights[0] + sz(k)) * L);
    (vk * gb).store(g + (layout_.bias[0] + sz(k)) * L);
    gv.store(g + (layout_.weights[1] + sz(k)) * L);
  }
  if (out_bias) gc.store(g + layout_.bias[1] * L);
  if (net.skip) {
    ga.store(g + layout_.skip_weights * L);
    gc.store(g + layout_.skip_bias * L);
  }
  optimizer_->update(layout_, theta, g);
  ++steps_;
}

template <typename T, int L>
bool Pack<T, L>::all_diverged() const {
  return std::all_of(diverged_at_.begin(), diverged_at_.end(),
                     [](std::int64_t s) { return s >= 0; });
}

template <typename T, int L>
void Pack<T, L>::gather(const std::int32_t* samples, int count, T* x_out, T* y_out) {
  const int d = spec_.network.input, out = spec_.network.output();
  for (int s = 0; s < count; ++s)
    for (int lane = 0; lane < L; ++lane) {
      const auto sample = static_cast<std::size_t>(samples[s * L + lane]);
      const T* x = x_.data() + sample * static_cast<std::size_t>(d) * L + lane;
      T* to = x_out + static_cast<std::size_t>(s * d) * L + lane;
      for (int j = 0; j < d; ++j) to[j * L] = x[j * L];
      const T* y = y_.data() + sample * static_cast<std::size_t>(out) * L + lane;
      T* ty = y_out + static_cast<std::size_t>(s * out) * L + lane;
      for (int o = 0; o < out; ++o) ty[o * L] = y[o * L];
    }
}

template <typename T, int L>
template <class Act>
void Pack<T, L>::forward_chunk(Act, int count, const T* x, T* out) {
  using detail::sz;
  const NetworkSpec& net = spec_.network;
  const int depth = net.depth();
  const T alpha = static_cast<T>(net.activation.alpha);
  input_ = x;
  const T* in = x;
  for (int l = 0; l < depth; ++l) {
    const int n_in = net.fan_in(l), n_out = net.layers[sz(l)].width;
    const T* w = params_.data() + layout_.weights[sz(l)] * L;
    const T* b =
        layout_.bias[sz(l)] == Layout::npos ? nullptr : params_.data() + layout_.bias[sz(l)] * L;
    const bool last = l + 1 == depth;
    T* z = last ? out : pre_[sz(l)].data();
    detail::Dense<T, L>::forward(w, b, in, z, n_out, n_in, count);
    if (!last) {
      detail::activate<T, Act>(z, act_[sz(l) + 1].data(), sz(count) * sz(n_out) * L, alpha);
      in = act_[sz(l) + 1].data();
    }
  }
  if (net.skip)
    detail::Dense<T, L>::forward_add(params_.data() + layout_.skip_weights * L,
                                     params_.data() + layout_.skip_bias * L, x, out, net.output(),
                                     net.input, count);
}

template <typename T, int L>
template <class Act, class Loss>
void Pack<T, L>::backward_chunk(Act, Loss, int count, T scale, T* target, bool accumulate) {
  using detail::sz;
  const NetworkSpec& net = spec_.network;
  const int depth = net.depth(), n_out_net = net.output();
  const T alpha = static_cast<T>(net.activation.alpha);
  T* delta = delta_a_.data();
  T* next = delta_b_.data();
  detail::loss_derivative<T, Loss>(act_[sz(depth)].data(), y_chunk_.data(), delta,
                                   sz(count) * sz(n_out_net) * L, scale);
  if (net.skip && net.skip_trainable) {
    detail::Dense<T, L>::outer(delta, input_, target + layout_.skip_weights * L, n_out_net,
                               net.input, count, accumulate);
    detail::Dense<T, L>::sum(delta, target + layout_.skip_bias * L, n_out_net, count, accumulate);
  }
  for (int l = depth - 1; l >= 0; --l) {
    const LayerSpec& layer = net.layers[sz(l)];
    const int n_in = net.fan_in(l), n_out = layer.width;
    const T* a_in = l == 0 ? input_ : act_[sz(l)].data();
    // δ of the layer below uses this layer's weights before their update.
    if (needs_delta_[sz(l)]) {
      detail::Dense<T, L>::backward(params_.data() + layout_.weights[sz(l)] * L, delta, next, n_out,
                                    n_in, count);
      detail::times_derivative<T, Act>(pre_[sz(l) - 1].data(), next, sz(count) * sz(n_in) * L,
                                       alpha);
    }
    if (layer.trainable) {
      detail::Dense<T, L>::outer(delta, a_in, target + layout_.weights[sz(l)] * L, n_out, n_in,
                                 count, accumulate);
      if (layer.bias)
        detail::Dense<T, L>::sum(delta, target + layout_.bias[sz(l)] * L, n_out, count, accumulate);
    }
    std::swap(delta, next);
  }
}

template <typename T, int L>
void Pack<T, L>::check_outputs(int count, const T* out) {
  const std::size_t n =
      static_cast<std::size_t>(count) * static_cast<std::size_t>(spec_.network.output());
  bool bad[L] = {};
  for (std::size_t q = 0; q < n; ++q)
    for (int lane = 0; lane < L; ++lane)
      bad[lane] = bad[lane] || !(std::fabs(out[q * L + lane]) <= std::numeric_limits<T>::max());
  for (int lane = 0; lane < L; ++lane)
    if (bad[lane] && diverged_at_[detail::sz(lane)] < 0) diverged_at_[detail::sz(lane)] = steps_;
}

template <typename T, int L>
double Pack<T, L>::mean_divisor(int count) const {
  const double per =
      spec_.loss == LossKind::mse ? static_cast<double>(spec_.network.output()) : 1.0;
  return static_cast<double>(count) * per;
}

template <typename T, int L>
T Pack<T, L>::loss_scale(int count, double factor) const {
  return static_cast<T>(factor / mean_divisor(count));
}

template <typename T, int L>
template <class Act, class PerChunk>
void Pack<T, L>::forward_chunks(Act act, const std::int32_t* samples, int count,
                                PerChunk per_chunk) {
  T* out = act_[detail::sz(spec_.network.depth())].data();
  for (int c0 = 0; c0 < count; c0 += chunk) {
    const int cc = std::min(chunk, count - c0);
    gather(samples + c0 * L, cc, act_[0].data(), y_chunk_.data());
    forward_chunk(act, cc, act_[0].data(), out);
    per_chunk(c0, cc, out);
  }
}

template <typename T, int L>
template <class Act, class Loss>
void Pack<T, L>::step_impl(Act act, Loss loss, const std::int32_t* samples, int count) {
  // Direct: count <= batch <= chunk, one pass that adds −lr·(its gradient) to the parameters.
  const T scale = loss_scale(count, direct_ ? -direct_rate_ : 1.0);
  T* target = direct_ ? params_.data() : grad_.data();
  forward_chunks(act, samples, count, [&](int c0, int cc, const T* out) {
    check_outputs(cc, out);
    backward_chunk(act, loss, cc, scale, target, direct_ || c0 > 0);
  });
  if (!direct_) optimizer_->update(layout_, params_.data(), grad_.data());
  ++steps_;
}

template <typename T, int L>
void Pack<T, L>::reshuffle() {
  for (int lane = 0; lane < L; ++lane) {
    std::int32_t* order =
        order_.data() + static_cast<std::size_t>(lane) * static_cast<std::size_t>(n_);
    std::iota(order, order + n_, 0);
    if (batch_ < n_) shuffle(order, n_, order_streams_[detail::sz(lane)]);
  }
}

template <typename T, int L>
void Pack<T, L>::select_batch(std::int64_t first, int count) {
  for (int s = 0; s < count; ++s)
    for (int lane = 0; lane < L; ++lane)
      batch_samples_[static_cast<std::size_t>(s * L + lane)] =
          order_[static_cast<std::size_t>(lane) * static_cast<std::size_t>(n_) +
                 static_cast<std::size_t>(first + s)];
}

template <typename T, int L>
void Pack<T, L>::epoch() {
  advance(steps_per_epoch() - epoch_position_);
}

template <typename T, int L>
void Pack<T, L>::advance(std::int64_t steps) {
  NNSWEEP_ASSERT(steps >= 0, "advance: ", steps, " steps — give a count >= 0");
  nn::dispatch(spec_.network.activation, [&](auto act) {
    loss::dispatch(spec_.loss, [&](auto lo) {
      const std::int64_t per_epoch = steps_per_epoch();
      while (steps > 0) {
        if (epoch_position_ == 0) reshuffle();
        const std::int64_t first = epoch_position_,
                           last = first + std::min(steps, per_epoch - first);
        bool done = false;
        if (shallow_fusable()) {
          for (std::int64_t t = first; t < last; ++t) step_shallow();
          done = true;
        }
        if constexpr (detail::VecActivation<T, L, decltype(act)>::available) {
          if (fused()) {
            steps_fused(act, lo, first, last);
            done = true;
          }
        }
        for (std::int64_t t = first; t < last && !done; ++t) {
          const std::int64_t begin = t * batch_;
          const int count = static_cast<int>(std::min(batch_, n_ - begin));
          select_batch(begin, count);
          step_impl(act, lo, batch_samples_.data(), count);
        }
        steps -= last - first;
        epoch_position_ = last == per_epoch ? 0 : last;
        if (epoch_position_ == 0) ++epochs_;
      }
    });
  });
}

template <typename T, int L>
void Pack<T, L>::step(const std::int32_t* samples, int count) {
  NNSWEEP_ASSERT(count >= 1 && count <= batch_, "step: ", count,
                 " samples — give 1 to batch = ", batch_);
  nn::dispatch(spec_.network.activation, [&](auto act) {
    loss::dispatch(spec_.loss, [&](auto lo) { step_impl(act, lo, samples, count); });
  });
}

// Steps [first, last) of the epoch of the two-layer, batch-1, fixed-second-layer network with a
// piecewise-linear activation (the linear-teacher case), bitwise the same as the general step
// (the first step's forward pass is the general one; so is every range split). Per row block of
// W₁: δ_i = (v_i·c)·σ'(h_i) for step t, then each weight is updated and at once multiplied with
// the input of step t+1, and σ(h_i(t+1)) enters the next output sum. W₁ is read and written once
// per step instead of three times, and the output's dependent FMA chain overlaps the row work.
// Every element sees the same operations in the same order as Dense::backward, times_derivative,
// Dense::outer, Dense::forward and activate of the general step.
template <typename T, int L>
template <class Act, class Loss>
void Pack<T, L>::steps_fused(Act, Loss, std::int64_t first, std::int64_t last) {
  using V = Vec<T, L>;
  using VA = detail::VecActivation<T, L, Act>;
  using detail::sz;
  const NetworkSpec& net = spec_.network;
  const int d = net.input, hidden = net.layers[0].width;
  const T alpha = static_cast<T>(net.activation.alpha);
  const V alpha_v = V::broadcast(alpha);
  T* w1 = params_.data() + layout_.weights[0] * L;
  const T* w2 = params_.data() + layout_.weights[1] * L;
  T* h = pre_[0].data();
  T* a = act_[1].data();
  T* out = act_[2].data();
  T* delta_out = delta_a_.data();
  T* dh = delta_b_.data();  // σ'(h) of the step in flight
  T* x = act_[0].data();
  T* x_next = x_next_.data();
  T* y = y_chunk_.data();
  const T scale = loss_scale(1, -direct_rate_);
  const std::int32_t* samples = batch_samples_.data();
  select_batch(first, 1);
  gather(samples, 1, x, y);
  detail::Dense<T, L>::forward(w1, nullptr, x, h, hidden, d, 1);
  detail::activate<T, Act>(h, a, sz(hidden) * L, alpha);
  for (std::size_t q = 0; q < sz(hidden) * L; ++q) dh[q] = Act::derivative(h[q], alpha);
  detail::Dense<T, L>::forward(w2, nullptr, a, out, 1, hidden, 1);
  for (std::int64_t t = first; t < last; ++t) {
    check_outputs(1, out);
    detail::loss_derivative<T, Loss>(out, y, delta_out, L, scale);
    const V c = V::load(delta_out);
    if (t + 1 == last) {  // the range's last step: update only (an epoch's next reshuffles first)
      for (int i = 0; i < hidden; ++i) {
        const V ci = fma(V::load(w2 + i * L), c, V::zero()) * V::load(dh + i * L);
        T* w = w1 + i * d * L;
        for (int j = 0; j < d; ++j)
          fma(ci, V::load(x + j * L), V::load(w + j * L)).store(w + j * L);
      }
      ++steps_;
      break;
    }
    select_batch(t + 1, 1);
    gather(samples, 1, x_next, y);
    V output = V::zero();
    int i = 0;
    const auto rows = [&](auto block) {
      constexpr int B = decltype(block)::value;
      V ci[B], acc[B];
#pragma GCC unroll 8
      for (int r = 0; r < B; ++r) {
        ci[r] = fma(V::load(w2 + (i + r) * L), c, V::zero()) * V::load(dh + (i + r) * L);
        acc[r] = V::zero();
      }
      T* w = w1 + i * d * L;
      for (int j = 0; j < d; ++j) {
        const V xj = V::load(x + j * L), xn = V::load(x_next + j * L);
#pragma GCC unroll 8
        for (int r = 0; r < B; ++r) {
          T* p = w + (r * d + j) * L;
          const V updated = fma(ci[r], xj, V::load(p));
          updated.store(p);
          acc[r] = fma(updated, xn, acc[r]);
        }
      }
#pragma GCC unroll 8
      for (int r = 0; r < B; ++r) {
        VA::derivative(acc[r], alpha_v).store(dh + (i + r) * L);
        output = fma(V::load(w2 + (i + r) * L), VA::value(acc[r], alpha_v), output);
      }
    };
    constexpr int R = 4;
    for (; i + R <= hidden; i += R) rows(std::integral_constant<int, R>{});
    for (; i < hidden; ++i) rows(std::integral_constant<int, 1>{});
    output.store(out);
    std::swap(x, x_next);
    ++steps_;
  }
}

template <typename T, int L>
bool Pack<T, L>::forward_fusable() const {
  return fused_allowed_ && spec_.network.output() == 1 && spec_.network.depth() >= 2;
}

// forward_chunk with the last hidden layer fused into the one-unit output (detail::fused_output).
template <typename T, int L>
template <class Act>
void Pack<T, L>::forward_fused(Act, int count, const T* x, T* out) {
  using detail::sz;
  using VA = detail::VecActivation<T, L, Act>;
  const NetworkSpec& net = spec_.network;
  const int depth = net.depth();
  const T alpha = static_cast<T>(net.activation.alpha);
  const auto bias_of = [&](int l) -> const T* {
    return layout_.bias[sz(l)] == Layout::npos ? nullptr : params_.data() + layout_.bias[sz(l)] * L;
  };
  const T* in = x;
  for (int l = 0; l + 2 < depth; ++l) {
    const int n_in = net.fan_in(l), n_out = net.layers[sz(l)].width;
    detail::Dense<T, L>::forward(params_.data() + layout_.weights[sz(l)] * L, bias_of(l), in,
                                 pre_[sz(l)].data(), n_out, n_in, count);
    detail::activate<T, Act>(pre_[sz(l)].data(), act_[sz(l) + 1].data(), sz(count) * sz(n_out) * L,
                             alpha);
    in = act_[sz(l) + 1].data();
  }
  const int h = depth - 2;
  const auto fused = [&](auto activation) {
    detail::fused_output<T, L, decltype(activation)>(
        count, net.fan_in(h), net.layers[sz(h)].width, in,
        params_.data() + layout_.weights[sz(h)] * L, bias_of(h),
        params_.data() + layout_.weights[sz(h) + 1] * L, bias_of(h + 1), alpha, out);
  };
  if (std::is_same_v<Act, act::LeakyRelu> && alpha > T(0) && alpha <= T(1))
    fused(detail::LeakyMax<T, L>{});
  else
    fused(VA{});
  if (net.skip)
    detail::Dense<T, L>::forward_add(params_.data() + layout_.skip_weights * L,
                                     params_.data() + layout_.skip_bias * L, x, out, net.output(),
                                     net.input, count);
}

template <typename T, int L>
void Pack<T, L>::forward(const T* x, std::int64_t count, T* out) {
  const int d = spec_.network.input, n_out = spec_.network.output();
  nn::dispatch(spec_.network.activation, [&](auto act) {
    bool fuse = false;
    if constexpr (detail::VecActivation<T, L, decltype(act)>::available) fuse = forward_fusable();
    for (std::int64_t s0 = 0; s0 < count; s0 += chunk) {
      const int cc = static_cast<int>(std::min<std::int64_t>(chunk, count - s0));
      const T* xc = x + static_cast<std::size_t>(s0) * static_cast<std::size_t>(d) * L;
      T* oc = out + static_cast<std::size_t>(s0) * static_cast<std::size_t>(n_out) * L;
      if constexpr (detail::VecActivation<T, L, decltype(act)>::available) {
        if (fuse) {
          forward_fused(act, cc, xc, oc);
          continue;
        }
      }
      forward_chunk(act, cc, xc, oc);
    }
  });
}

template <typename T, int L>
void Pack<T, L>::loss(const std::int32_t* samples, int count, double* result) {
  using detail::sz;
  const int n_out = spec_.network.output();
  double sums[L] = {};
  nn::dispatch(spec_.network.activation, [&](auto act) {
    loss::dispatch(spec_.loss, [&](auto lo) {
      using Loss = decltype(lo);
      forward_chunks(act, samples, count, [&](int, int cc, const T* out) {
        const std::size_t n = sz(cc) * sz(n_out);
        for (std::size_t q = 0; q < n; ++q)
          for (int lane = 0; lane < L; ++lane)
            sums[lane] +=
                static_cast<double>(Loss::value(out[q * L + sz(lane)], y_chunk_[q * L + sz(lane)]));
      });
    });
  });
  const double divisor = mean_divisor(count);
  for (int lane = 0; lane < L; ++lane) result[lane] = sums[lane] / divisor;
}

template <typename T, int L>
void Pack<T, L>::gradient(const std::int32_t* samples, int count, T* grad) {
  std::fill(grad, grad + layout_.size * L, T(0));
  const T scale = loss_scale(count, 1.0);
  nn::dispatch(spec_.network.activation, [&](auto act) {
    loss::dispatch(spec_.loss, [&](auto lo) {
      forward_chunks(act, samples, count, [&](int c0, int cc, const T*) {
        backward_chunk(act, lo, cc, scale, grad, c0 > 0);
      });
    });
  });
}

}  // namespace nnsweep::nn
