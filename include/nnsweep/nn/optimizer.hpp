#pragma once
// Optimizers of the training engine as objects that own their state (Adam's moments, step
// counts), so that nn::Pack only computes gradients and hands them over. Each works on a whole
// pack at once: parameters and gradients are [parameter][lane] arrays in Layout order, every
// operation is lane-wise (replicas never mix), and only trainable groups change.
//
// The contract (one place, as ensmallen documents its optimizers):
//   update(layout, θ, g)  g is the gradient of the mean batch loss at θ; the optimizer may
//                         overwrite it (it is the pack's scratch) and moves θ in place;
//   direct_rate()         > 0 only for a plain gradient step θ ← θ − rate·g with no clipping and
//                         no decay: the pack may then fold −rate into its backward pass and skip
//                         the gradient buffer (the same update, other rounding: the fast path of
//                         linear_teacher and of batch-1 SGD);
// A second-order refinement in double after the packed first-order phase is not an optimizer
// of the pack: it is nn::Polisher (nn/driver.hpp), built on nn::polish (nn/polish.hpp).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nnsweep/nn/lanes.hpp"
#include "nnsweep/nn/network.hpp"

namespace nnsweep::nn {

template <typename T, int L = default_lanes<T>>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One step: θ moves by the update computed from g (g may be overwritten).
  virtual void update(const Layout& layout, T* theta, T* g) = 0;
  // The rate of a plain step θ ← θ − rate·g that may be folded into the backward pass; 0: none.
  virtual double direct_rate() const { return 0; }
};

// Gradient transforms shared by the optimizers (in this order, after the gradient is computed):
// global-norm clipping over all trainable parameters, per lane: g ← g·min(1, clip/(‖g‖ + 1e-6))
// (torch.nn.utils.clip_grad_norm_; the norm's sum of squares by FMAs in parameter order);
// coupled weight decay g ← g + wd·θ on the trainable groups whose decay flag is set.
template <typename T, int L>
void clip_gradient(const Layout& layout, T* g, double clip);
template <typename T, int L>
void add_weight_decay(const Layout& layout, const T* theta, T* g, double weight_decay);

// SGD: θ ← θ − lr·g after clipping (clip > 0) and coupled weight decay (weight_decay > 0).
template <typename T, int L = default_lanes<T>>
class Sgd final : public Optimizer<T, L> {
 public:
  Sgd(double lr, double clip = 0, double weight_decay = 0)
      : lr_(lr), clip_(clip), weight_decay_(weight_decay) {}
  void update(const Layout& layout, T* theta, T* g) override;
  double direct_rate() const override { return clip_ == 0 && weight_decay_ == 0 ? lr_ : 0; }

 private:
  double lr_, clip_, weight_decay_;
};

// Adam as torch.optim.Adam: after clipping and L2 decay (g ← g + wd·θ on the masked groups),
// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε); the bias
// corrections are computed in double, then rounded to T.
template <typename T, int L = default_lanes<T>>
class Adam final : public Optimizer<T, L> {
 public:
  Adam(double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double clip = 0,
       double weight_decay = 0);
  void update(const Layout& layout, T* theta, T* g) override;
  std::int64_t steps() const { return steps_; }

 private:
  double lr_, beta1_, beta2_, eps_, clip_, weight_decay_;
  double beta1_power_ = 1, beta2_power_ = 1;
  std::int64_t steps_ = 0;
  AlignedBuffer<T> m_, v_;  // sized on the first update
};

// The optimizer an OptimizerSpec describes.
template <typename T, int L = default_lanes<T>>
std::unique_ptr<Optimizer<T, L>> make_optimizer(const OptimizerSpec& spec);

// Compiled with the engine (src/nn/pack.cpp) for the default lane widths.
extern template class Sgd<float, default_lanes<float>>;
extern template class Sgd<double, default_lanes<double>>;
extern template class Adam<float, default_lanes<float>>;
extern template class Adam<double, default_lanes<double>>;

}  // namespace nnsweep::nn
