#pragma once
// splines: the network a Problem trains (shared by the kernel, the metrics and the bench).
#include <memory>

#include "nnsweep/experiments/splines.hpp"
#include "nnsweep/nn/init.hpp"
#include "nnsweep/nn/lanes.hpp"
#include "nnsweep/nn/network.hpp"
#include "nnsweep/nn/optimizer.hpp"

namespace nnsweep::experiments::splines {

// ReLU hidden layers of `width` with biases, a one-unit output; pn/bf: affine skip a·x + c,
// ses: an output bias c. Weight decay (added per lane by the kernel) on every weight matrix, and
// in bf on the hidden biases; the optimizer's own weight_decay stays 0.
nn::TrainSpec train_spec(const Problem& problem);

// PyTorch's nn.Linear default times init_scale on every weight matrix and hidden bias:
// U(±init_scale/√fan_in); skip and output bias 0.
nn::InitRule init_rule(const Problem& problem);

// Coupled weight decay with a strength per lane (λ = wd_rel·λ_max differs between the seeds of a
// cell): g ← g + λ_lane·θ on the decayed groups (one FMA, as nn::add_weight_decay), then the inner
// optimizer (whose own decay is 0) — bitwise nn::Sgd or nn::Adam with weight_decay λ.
template <typename T, int L>
class LaneDecay final : public nn::Optimizer<T, L> {
 public:
  explicit LaneDecay(std::unique_ptr<nn::Optimizer<T, L>> inner) : inner_(std::move(inner)) {}
  void set_lambda(int lane, double lambda) { lambda_[lane] = static_cast<T>(lambda); }
  void update(const nn::Layout& layout, T* theta, T* g) override {
    using V = nn::Vec<T, L>;
    const V lambda = V::load(lambda_);
    for (const nn::ParamGroup& group : layout.groups) {
      if (!group.trainable || !group.decay) continue;
      for (std::size_t q = group.offset; q < group.offset + group.count; ++q)
        fma(lambda, V::load(theta + q * L), V::load(g + q * L)).store(g + q * L);
    }
    inner_->update(layout, theta, g);
  }

 private:
  std::unique_ptr<nn::Optimizer<T, L>> inner_;
  alignas(64) T lambda_[L] = {};
};

}  // namespace nnsweep::experiments::splines
