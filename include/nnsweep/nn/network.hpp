#pragma once
// What the training engine trains: a fully connected network (any depth and per-layer widths,
// optional biases, an optional affine skip connection from input to output, fixed or trainable
// layers), a loss and an optimizer. Plain structs, validated once by validate(); the engine
// (nn/pack.hpp) lays the parameters out from them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nnsweep/nn/activation.hpp"

namespace nnsweep::nn {

// One fully connected layer: z = W a + b with W of shape width × (width of the layer below).
struct LayerSpec {
  int width = 1;
  bool bias = false;
  bool trainable = true;      // false: the layer keeps its initial values (e.g. fixed ±v)
  bool decay_weights = true;  // weight-decay mask of W
  bool decay_bias = false;    // weight-decay mask of b
};

// f(x) = W_L σ(… σ(W_1 x + b_1) …) + b_L  [+ A x + c with the skip connection].
struct NetworkSpec {
  int input = 1;                  // d
  std::vector<LayerSpec> layers;  // hidden layers, then the (linear) output layer, at least one
  Activation activation;          // of every hidden layer
  bool skip = false;              // affine skip A x + c, A of shape output × input
  bool skip_trainable = true;
  bool decay_skip = false;  // weight-decay mask of A and c

  int output() const { return layers.empty() ? 0 : layers.back().width; }
  int depth() const { return static_cast<int>(layers.size()); }
  int fan_in(int layer) const {
    return layer == 0 ? input : layers[static_cast<std::size_t>(layer) - 1].width;
  }
};

// Losses of one output o against a target y; the batch loss is the mean over the batch (and,
// for mse, over the outputs).
enum class LossKind {
  logistic,  // softplus(−y o), y ∈ {−1, +1}; one output
  hinge,     // max(0, 1 − y o), y ∈ {−1, +1}; one output; derivative 0 at y o = 1
  mse,       // (o − y)² (no ½)
};
std::string_view loss_name(LossKind kind);
LossKind parse_loss(std::string_view name);  // config_error naming the choices

struct OptimizerSpec {
  enum class Kind { sgd, adam };
  Kind kind = Kind::sgd;
  double lr = 0.1;
  std::int64_t batch = 1;   // samples per step; batch >= n_train means full-batch GD
  double clip = 0;          // max gradient norm over all trainable parameters; 0 = off
  double weight_decay = 0;  // coupled: g += wd·θ (after clipping) on the masked groups
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam
};

struct TrainSpec {
  NetworkSpec network;
  LossKind loss = LossKind::mse;
  OptimizerSpec optimizer;
};

// Throws config_error naming the offending field, value and fix.
void validate(const TrainSpec& spec);

// One contiguous block of parameters of one kind (a layer's W or b, the skip's A or c).
struct ParamGroup {
  enum class Kind { weights, bias, skip_weights, skip_bias };
  Kind kind = Kind::weights;
  int layer = 0;           // for weights and bias
  std::size_t offset = 0;  // in parameters of one replica (the pack multiplies by its lanes)
  std::size_t count = 0;
  bool trainable = true;
  bool decay = false;
};

// Where every parameter lives in the flat parameter vector of one replica: for each layer W
// (row-major, width × fan-in) then b, then the skip's A (output × input) and c.
struct Layout {
  explicit Layout(const NetworkSpec& network);
  std::vector<ParamGroup> groups;
  std::vector<std::size_t> weights, bias;  // per layer: offset of W and of b (bias: npos if none)
  std::size_t skip_weights = npos, skip_bias = npos;
  std::size_t size = 0;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

}  // namespace nnsweep::nn
