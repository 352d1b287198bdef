#pragma once
// The pack size of a training experiment with a `precision` parameter: one SIMD register of
// replicas (4 double or 8 float lanes), so a pack never holds dummy lanes it could fill.
#include <cstddef>

#include "nnsweep/config/param.hpp"
#include "nnsweep/nn/lanes.hpp"

namespace nnsweep::experiments {

inline std::size_t lanes_for_precision(const config::ParamSet& params) {
  return params.choice("precision") == "float"
             ? static_cast<std::size_t>(nn::default_lanes<float>)
             : static_cast<std::size_t>(nn::default_lanes<double>);
}

}  // namespace nnsweep::experiments
