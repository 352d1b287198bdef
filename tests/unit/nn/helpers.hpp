#pragma once
// Shared by the engine tests: small networks, seeded random fills of a pack, lane extraction.
#include <cstdint>
#include <string>
#include <vector>

#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/random.hpp"

namespace nn_test {

using namespace nnsweep;

// d → hidden widths… → outputs, every layer with or without bias.
inline nn::TrainSpec make_spec(int d, std::vector<int> widths, const std::string& activation,
                               nn::LossKind loss, bool bias, bool skip, double alpha = 0.2) {
  nn::TrainSpec spec;
  spec.network.input = d;
  for (int w : widths) spec.network.layers.push_back({w, bias, true, true, false});
  spec.network.activation = nn::parse_activation(activation, alpha);
  spec.network.skip = skip;
  spec.loss = loss;
  return spec;
}

// Fills lane `lane` with replica `replica`'s data and parameters: x ~ N(0,1), targets ±1 for
// logistic/hinge or N(0,1) for mse, parameters ~ N(0, 1/fan-in) (plus 0.3·N(0,1) for biases).
template <typename T, int L>
void fill_lane(nn::Pack<T, L>& pack, int lane, std::uint64_t replica, double input_scale = 1.0) {
  const nn::TrainSpec& spec = pack.spec();
  nn::NormalSampler g(rng::Stream(11, 22, replica, rng::Purpose::data));
  for (std::int64_t s = 0; s < pack.n_train(); ++s) {
    for (int j = 0; j < spec.network.input; ++j)
      pack.input(s, j, lane) = static_cast<T>(input_scale * g());
    for (int o = 0; o < spec.network.output(); ++o) {
      const double y = g();
      pack.target(s, o, lane) =
          static_cast<T>(spec.loss == nn::LossKind::mse ? y : (y > 0 ? 1.0 : -1.0));
    }
  }
  nn::NormalSampler init(rng::Stream(11, 22, replica, rng::Purpose::init));
  for (const nn::ParamGroup& group : pack.layout().groups) {
    const int fan_in = group.kind == nn::ParamGroup::Kind::weights
                           ? spec.network.fan_in(group.layer)
                       : group.kind == nn::ParamGroup::Kind::skip_weights ? spec.network.input
                                                                          : 1;
    const double scale = group.kind == nn::ParamGroup::Kind::weights ||
                                 group.kind == nn::ParamGroup::Kind::skip_weights
                             ? 1.0 / std::sqrt(static_cast<double>(fan_in))
                             : 0.3;
    for (std::size_t q = 0; q < group.count; ++q)
      pack.parameter(group.offset + q, lane) = static_cast<T>(scale * init());
  }
  pack.set_order_stream(lane, rng::Stream(11, 22, replica, rng::Purpose::batch_order));
}

template <typename T, int L>
std::vector<T> lane_parameters(const nn::Pack<T, L>& pack, int lane) {
  std::vector<T> out(pack.layout().size);
  for (std::size_t q = 0; q < out.size(); ++q) out[q] = pack.parameter(q, lane);
  return out;
}

// samples[s·L + lane] = first + s for every lane.
template <int L>
std::vector<std::int32_t> same_samples(int count, int first = 0) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(count) * L);
  for (int s = 0; s < count; ++s)
    for (int lane = 0; lane < L; ++lane) out[static_cast<std::size_t>(s * L + lane)] = first + s;
  return out;
}

}  // namespace nn_test
