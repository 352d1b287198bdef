#include "nnsweep/nn/init.hpp"
#include "nnsweep/core/assert.hpp"

#include <cmath>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/random.hpp"

namespace nnsweep::nn {

int fan_in(const NetworkSpec& network, const ParamGroup& group) {
  switch (group.kind) {
    case ParamGroup::Kind::weights:
    case ParamGroup::Kind::bias:
      return network.fan_in(group.layer);
    case ParamGroup::Kind::skip_weights:
    case ParamGroup::Kind::skip_bias:
      break;
  }
  return network.input;
}

int fan_out(const NetworkSpec& network, const ParamGroup& group) {
  switch (group.kind) {
    case ParamGroup::Kind::weights:
    case ParamGroup::Kind::bias:
      return network.layers[static_cast<std::size_t>(group.layer)].width;
    case ParamGroup::Kind::skip_weights:
    case ParamGroup::Kind::skip_bias:
      break;
  }
  return network.output();
}

std::vector<double> initial_parameters(const NetworkSpec& network, const Layout& layout,
                                       const InitRule& rule, const rng::Stream& stream) {
  std::vector<double> theta(layout.size, 0.0);
  if (!rule) return theta;
  NormalSampler draw(stream);
  for (const ParamGroup& group : layout.groups) {
    const Init init = rule(group);
    double* out = theta.data() + group.offset;
    const auto normals = [&](double sd) {
      for (std::size_t q = 0; q < group.count; ++q) out[q] = sd * draw();
    };
    switch (init.kind) {
      case Init::Kind::zero:
        break;
      case Init::Kind::constant:
        for (std::size_t q = 0; q < group.count; ++q) out[q] = init.a;
        break;
      case Init::Kind::values:
        NNSWEEP_ASSERT(init.values.size() == group.count, "initial values: ", init.values.size(),
                       " given for a group of ", group.count,
                       " parameters — give one per parameter");
        for (std::size_t q = 0; q < group.count; ++q) out[q] = init.values[q];
        break;
      case Init::Kind::normal:
        normals(init.a);
        break;
      case Init::Kind::he_normal:
        normals(init.a * std::sqrt(2.0 / fan_in(network, group)));
        break;
      case Init::Kind::glorot_normal:
        normals(init.a * std::sqrt(2.0 / (fan_in(network, group) + fan_out(network, group))));
        break;
      case Init::Kind::uniform:
        for (std::size_t q = 0; q < group.count; ++q)
          out[q] = init.a + (init.b - init.a) * draw.uniform();
        break;
    }
  }
  return theta;
}

}  // namespace nnsweep::nn
