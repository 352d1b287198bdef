#pragma once
// splines: the network a Problem trains (shared by the kernel, the metrics and the bench).
#include "nnsweep/experiments/splines.hpp"
#include "nnsweep/nn/init.hpp"
#include "nnsweep/nn/network.hpp"

namespace nnsweep::experiments::splines {

// ReLU hidden layers of `width` with biases, a one-unit output; pn/bf: affine skip a·x + c,
// ses: an output bias c. Weight decay (added per lane by the kernel) on every weight matrix, and
// in bf on the hidden biases; the optimizer's own weight_decay stays 0.
nn::TrainSpec train_spec(const Problem& problem);

// PyTorch's nn.Linear default times init_scale on every weight matrix and hidden bias:
// U(±init_scale/√fan_in); skip and output bias 0.
nn::InitRule init_rule(const Problem& problem);

}  // namespace nnsweep::experiments::splines
