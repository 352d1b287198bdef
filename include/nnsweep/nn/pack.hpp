#pragma once
// The replica-packed training engine. A Pack trains L networks of one TrainSpec together, one
// per SIMD lane ("replica packing", docs/ARCHITECTURE.md): every array is [..][lane] with the
// lane innermost, every step is SIMD across lanes, and nothing ever reduces across lanes, so a
// replica's trajectory is bitwise the same in whatever lane and pack it runs. Each lane has its
// own data, initial parameters and batch-order stream; lanes the caller leaves unused are
// dummies (fill them with a copy of a real lane; their results are ignored).
//
// Use (one parameter point, up to L seeds):
//   nn::Pack<double> pack(spec, n_train);
//   for each lane: pack.input(s, j, lane) = …; pack.target(s, 0, lane) = …;
//                  pack.weight(l, i, j, lane) = …; pack.set_order_stream(lane, stream);
//   for (epoch …) { pack.epoch(); … pack.forward(x_test, m, out); read pack.weight(…) … }
//   (or pack.advance(steps): training counted in steps, epochs continuing across calls)
//   pack.diverged_at(lane) >= 0  ⇒  that replica's loss became NaN/inf at that step.
// nn/driver.hpp runs all of this for an experiment: packs, init, schedule, evaluation, results.
//
// Semantics: the batch loss is the mean of the per-sample losses over the batch (nn/loss.hpp);
// each epoch draws a fresh permutation per lane (Fisher–Yates on the lane's batch-order stream)
// and walks it in batches of `batch`, the last partial batch kept (batch >= n: full-batch GD,
// samples in index order, no shuffling). The update is the optimizer's (nn/optimizer.hpp: SGD
// with clipping and coupled weight decay, Adam; made from spec.optimizer, or set_optimizer()).
// A plain SGD step (the optimizer's direct_rate() > 0) with batch <= chunk folds −lr/b into the
// backward pass and accumulates straight into the parameters (no gradient buffer): the same
// update, fewer passes, different rounding. Larger batches are processed in chunks of `chunk`
// samples (bounded scratch; the same bits as one pass). The two-layer, batch-1 network with a
// fixed scalar output layer and a piecewise-linear activation (linear_teacher) has fused steps
// that are bitwise the general step (set_fused(false) compares them). The full-batch step of a
// one-input, one-hidden-layer ReLU network with biases and a one-unit output (splines) through an
// optimizer (not the direct path) computes its gradient in one fused kernel (two passes over
// units × samples, nothing stored but the outputs): the general step's gradient to rounding
// (other summation order), not bitwise.
//
// Evaluation: forward() of a network whose output layer has one unit and whose activation is
// piecewise linear fuses the last hidden layer with the output (a register tile of hidden units
// × samples, activated and summed into the outputs at once: no hidden activations stored), in
// blocks of samples; each output is the same FMA sequence as the layer-by-layer pass, so the
// same bits (set_fused(false) compares them too).
//
// Precision: T is float or double throughout a step (as in PyTorch); loss() and the
// experiments' metrics accumulate in double. Kernels are explicit lane-block FMAs
// (nn/lanes.hpp, src/nn/kernels.hpp) compiled once in src/nn/pack.cpp.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <memory>

#include "nnsweep/nn/lanes.hpp"
#include "nnsweep/nn/network.hpp"
#include "nnsweep/nn/optimizer.hpp"
#include "nnsweep/rng/stream.hpp"

namespace nnsweep::nn {

template <typename T, int L = default_lanes<T>>
class Pack {
 public:
  static constexpr int lanes = L;
  static constexpr int chunk = 64;  // samples per forward/backward pass (bounds the scratch)

  Pack(const TrainSpec& spec, std::int64_t n_train);

  const TrainSpec& spec() const { return spec_; }
  const Layout& layout() const { return layout_; }
  std::int64_t n_train() const { return n_; }

  // Parameters, [parameter][lane] in layout() order.
  T* parameters() { return params_.data(); }
  const T* parameters() const { return params_.data(); }
  T& parameter(std::size_t index, int lane) {
    return params_[index * L + static_cast<std::size_t>(lane)];
  }
  T parameter(std::size_t index, int lane) const {
    return params_[index * L + static_cast<std::size_t>(lane)];
  }
  T& weight(int layer, int row, int col, int lane) {
    return parameter(weight_index(layer, row, col), lane);
  }
  T weight(int layer, int row, int col, int lane) const {
    return parameter(weight_index(layer, row, col), lane);
  }
  T& bias(int layer, int row, int lane) { return parameter(bias_index(layer, row), lane); }
  T& skip_weight(int out, int in, int lane) { return parameter(skip_index(out, in), lane); }
  T& skip_bias(int out, int lane) {
    return parameter(layout_.skip_bias + static_cast<std::size_t>(out), lane);
  }

  // Training data, [sample][feature][lane] and [sample][output][lane].
  T* inputs() { return x_.data(); }
  const T* inputs() const { return x_.data(); }
  const T* targets() const { return y_.data(); }
  T& input(std::int64_t sample, int feature, int lane) {
    return x_[(static_cast<std::size_t>(sample) * static_cast<std::size_t>(spec_.network.input) +
               static_cast<std::size_t>(feature)) *
                  L +
              static_cast<std::size_t>(lane)];
  }
  T& target(std::int64_t sample, int output, int lane) {
    return y_[(static_cast<std::size_t>(sample) * static_cast<std::size_t>(spec_.network.output()) +
               static_cast<std::size_t>(output)) *
                  L +
              static_cast<std::size_t>(lane)];
  }
  // The stream that reshuffles `lane`'s training set each epoch (rng::Purpose::batch_order).
  void set_order_stream(int lane, const rng::Stream& stream) {
    order_streams_[static_cast<std::size_t>(lane)] = stream;
  }

  // The optimizer (made from spec().optimizer; replace it before or between steps).
  Optimizer<T, L>& optimizer() { return *optimizer_; }
  void set_optimizer(std::unique_ptr<Optimizer<T, L>> optimizer);

  // Training.
  std::int64_t steps_per_epoch() const { return (n_ + batch_ - 1) / batch_; }
  // The rest of the current epoch (a whole one when none is under way).
  void epoch();
  // `steps` steps, continuing the current epoch; a new epoch starts with a reshuffle. Splitting
  // a run into calls of any sizes gives the same bits.
  void advance(std::int64_t steps);
  std::int64_t epochs() const { return epochs_; }                  // completed epochs
  std::int64_t epoch_position() const { return epoch_position_; }  // steps into the current one
  // One step on samples[s·L + lane], s < count (count <= batch; the mean is over count).
  void step(const std::int32_t* samples, int count);
  std::int64_t steps() const { return steps_; }
  // The step whose batch first gave `lane` a non-finite output (−1: none). Such a lane keeps
  // computing NaN/inf in its own lane only.
  std::int64_t diverged_at(int lane) const { return diverged_at_[static_cast<std::size_t>(lane)]; }
  bool all_diverged() const;

  // Evaluation (parameters unchanged): out[s][o][lane] = f(x[s][·][lane]) for s < count.
  void forward(const T* x, std::int64_t count, T* out);
  // Mean loss per lane over samples[s·L + lane], s < count, accumulated in double.
  void loss(const std::int32_t* samples, int count, double* out);
  // Gradient of that mean loss: grad[parameter][lane] in layout() order (0 on fixed groups).
  void gradient(const std::int32_t* samples, int count, T* grad);

  // Forces the general step for layouts that have a fused fast path (tests compare the two).
  void set_fused(bool enabled) { fused_allowed_ = enabled; }
  bool fused() const;

 private:
  std::size_t weight_index(int layer, int row, int col) const {
    return layout_.weights[static_cast<std::size_t>(layer)] +
           static_cast<std::size_t>(row) * static_cast<std::size_t>(spec_.network.fan_in(layer)) +
           static_cast<std::size_t>(col);
  }
  std::size_t bias_index(int layer, int row) const {
    return layout_.bias[static_cast<std::size_t>(layer)] + static_cast<std::size_t>(row);
  }
  std::size_t skip_index(int out, int in) const {
    return layout_.skip_weights +
           static_cast<std::size_t>(out) * static_cast<std::size_t>(spec_.network.input) +
           static_cast<std::size_t>(in);
  }

  void gather(const std::int32_t* samples, int count, T* x_out, T* y_out);
  template <class Act>
  void forward_chunk(Act act, int count, const T* x, T* out);
  template <class Act, class Loss>
  void backward_chunk(Act act, Loss loss, int count, T scale, T* target, bool accumulate);
  // Gathers and forwards samples[0, count) in chunks; per_chunk(c0, cc, out) after each.
  template <class Act, class PerChunk>
  void forward_chunks(Act act, const std::int32_t* samples, int count, PerChunk per_chunk);
  template <class Act, class Loss>
  void step_impl(Act act, Loss loss, const std::int32_t* samples, int count);
  template <class Act, class Loss>
  void steps_fused(Act act, Loss loss, std::int64_t first, std::int64_t last);
  template <class Act>
  void forward_fused(Act act, int count, const T* x, T* out);
  bool shallow_fusable() const;
  void step_shallow();
  bool forward_fusable() const;
  void check_outputs(int count, const T* out);
  double mean_divisor(int count) const;          // count·(outputs averaged over)
  T loss_scale(int count, double factor) const;  // factor/mean_divisor(count)
  void reshuffle();
  void select_batch(std::int64_t first, int count);  // batch_samples_ ← order_[first, +count)

  TrainSpec spec_;
  Layout layout_;
  std::int64_t n_ = 0, batch_ = 1;
  bool direct_ = false;  // plain SGD folded into the backward pass
  double direct_rate_ = 0;
  bool fused_allowed_ = true;
  std::vector<bool> needs_delta_;  // per layer l: δ of layer l−1 is needed
  std::unique_ptr<Optimizer<T, L>> optimizer_;
  AlignedBuffer<T> params_, grad_;
  AlignedBuffer<T> x_, y_;
  std::vector<rng::Stream> order_streams_;
  std::vector<std::int32_t> order_;  // [lane][n]
  std::vector<std::int32_t> batch_samples_;
  std::vector<AlignedBuffer<T>>
      act_;  // act_[l]: input of layer l, [chunk][width][lane]; act_[depth] = output
  std::vector<AlignedBuffer<T>> pre_;  // pre-activations of the hidden layers
  AlignedBuffer<T> delta_a_, delta_b_, x_next_, y_chunk_;
  const T* input_ = nullptr;  // input of the chunk in flight
  std::vector<std::int64_t> diverged_at_;
  std::int64_t steps_ = 0, epochs_ = 0, epoch_position_ = 0;
};

extern template class Pack<float, default_lanes<float>>;
extern template class Pack<double, default_lanes<double>>;

}  // namespace nnsweep::nn
