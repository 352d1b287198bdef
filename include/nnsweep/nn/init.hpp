#pragma once
// Initial parameters of one replica, drawn from a stream the experiment keys (so that it decides
// which parameters the initialisation depends on): a rule per parameter group — zero, a
// constant, given values, normal with a given standard deviation, He-normal, Glorot-normal or
// uniform — applied to the groups in Layout order and to each group's elements in order.
#include <functional>
#include <vector>

#include "nnsweep/nn/network.hpp"
#include "nnsweep/rng/stream.hpp"

namespace nnsweep::nn {

struct Init {
  enum class Kind { zero, constant, values, normal, he_normal, glorot_normal, uniform };
  Kind kind = Kind::zero;
  double a = 0, b = 0;         // constant: a; normal: sd a; He/Glorot: gain a; uniform: [a, b)
  std::vector<double> values;  // values: one per element of the group, the same on every lane

  static Init zero() { return {}; }
  static Init constant(double value) { return {Kind::constant, value, 0, {}}; }
  static Init given(std::vector<double> values) { return {Kind::values, 0, 0, std::move(values)}; }
  // sd·z, z standard normal.
  static Init normal(double sd) { return {Kind::normal, sd, 0, {}}; }
  // gain·√(2/fan_in)·z (He et al. 2015; torch.nn.init.kaiming_normal_ with its default gain).
  static Init he_normal(double gain = 1) { return {Kind::he_normal, gain, 0, {}}; }
  // gain·√(2/(fan_in + fan_out))·z (Glorot & Bengio 2010; torch.nn.init.xavier_normal_).
  static Init glorot_normal(double gain = 1) { return {Kind::glorot_normal, gain, 0, {}}; }
  // low + (high − low)·u, u uniform in (0, 1).
  static Init uniform(double low, double high) { return {Kind::uniform, low, high, {}}; }
};

// The rule of each parameter group (a bias's fans are its layer's; the skip's are input and
// output).
using InitRule = std::function<Init(const ParamGroup&)>;

// Fan-in and fan-out of a group's layer.
int fan_in(const NetworkSpec& network, const ParamGroup& group);
int fan_out(const NetworkSpec& network, const ParamGroup& group);

// One replica's initial parameters in Layout order, in double: for each group in order, each
// element in order, one draw of its rule from `stream` (normals by Box–Muller, nn::NormalSampler,
// pairs continuing across groups; uniforms one draw each; zero, constant and values none). An
// empty rule leaves every parameter 0.
std::vector<double> initial_parameters(const NetworkSpec& network, const Layout& layout,
                                       const InitRule& rule, const rng::Stream& stream);

}  // namespace nnsweep::nn
