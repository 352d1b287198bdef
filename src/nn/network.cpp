#include "nnsweep/nn/network.hpp"

#include <cmath>

#include "nnsweep/core/error.hpp"

namespace nnsweep::nn {

std::string_view loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::logistic:
      return "logistic";
    case LossKind::hinge:
      return "hinge";
    case LossKind::mse:
      break;
  }
  return "mse";
}

LossKind parse_loss(std::string_view name) {
  for (LossKind kind : {LossKind::logistic, LossKind::hinge, LossKind::mse})
    if (name == loss_name(kind)) return kind;
  throw config_error(cat("loss = ", name, ": unknown loss — use one of logistic, hinge, mse"));
}

void validate(const TrainSpec& spec) {
  const NetworkSpec& net = spec.network;
  const auto fail = [](const std::string& message) { throw config_error(message); };
  if (net.input < 1) fail(cat("network input = ", net.input, ": must be at least 1"));
  if (net.layers.empty()) fail("network has no layers — give at least the output layer");
  for (std::size_t l = 0; l < net.layers.size(); ++l)
    if (net.layers[l].width < 1)
      fail(cat("layer ", l + 1, " width = ", net.layers[l].width, ": must be at least 1"));
  if (spec.loss != LossKind::mse && net.output() != 1)
    fail(cat("loss = ", loss_name(spec.loss), " with ", net.output(),
             " outputs: logistic and hinge need one output"));
  const OptimizerSpec& opt = spec.optimizer;
  if (!(opt.lr > 0) || !std::isfinite(opt.lr))
    fail(cat("lr = ", opt.lr, ": must be positive and finite"));
  if (opt.batch < 1) fail(cat("batch = ", opt.batch, ": must be at least 1"));
  if (!(opt.clip >= 0)) fail(cat("clip = ", opt.clip, ": must be >= 0 (0 = off)"));
  if (!(opt.weight_decay >= 0)) fail(cat("weight_decay = ", opt.weight_decay, ": must be >= 0"));
  if (opt.kind == OptimizerSpec::Kind::adam &&
      !(opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 && opt.beta2 < 1 && opt.eps > 0))
    fail(cat("adam betas = (", opt.beta1, ", ", opt.beta2, "), eps = ", opt.eps,
             ": need 0 <= beta < 1 and eps > 0"));
}

Layout::Layout(const NetworkSpec& network) {
  const auto add = [this](ParamGroup::Kind kind, int layer, std::size_t count, bool trainable,
                          bool decay) {
    groups.push_back({kind, layer, size, count, trainable, decay});
    size += count;
    return groups.back().offset;
  };
  for (int l = 0; l < network.depth(); ++l) {
    const LayerSpec& layer = network.layers[static_cast<std::size_t>(l)];
    const auto rows = static_cast<std::size_t>(layer.width),
               cols = static_cast<std::size_t>(network.fan_in(l));
    weights.push_back(
        add(ParamGroup::Kind::weights, l, rows * cols, layer.trainable, layer.decay_weights));
    bias.push_back(layer.bias
                       ? add(ParamGroup::Kind::bias, l, rows, layer.trainable, layer.decay_bias)
                       : npos);
  }
  if (network.skip) {
    const auto out = static_cast<std::size_t>(network.output()),
               in = static_cast<std::size_t>(network.input);
    skip_weights = add(ParamGroup::Kind::skip_weights, -1, out * in, network.skip_trainable,
                       network.decay_skip);
    skip_bias =
        add(ParamGroup::Kind::skip_bias, -1, out, network.skip_trainable, network.decay_skip);
  }
}

}  // namespace nnsweep::nn
