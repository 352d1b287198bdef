#pragma once
// Shared helpers of the correlations tests: parameters from spec text, problems of the test
// vectors, metric lookup by column name, and the two-sample z statistic.
#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nnsweep/config/param.hpp"
#include "nnsweep/experiments/correlations.hpp"

namespace correlations_test {

using nnsweep::experiments::Replica;
using nnsweep::experiments::TaskResult;
using nnsweep::experiments::correlations::Problem;
using nnsweep::experiments::correlations::Sampler;
using nnsweep::stats::Estimate;

// The schema's defaults with some parameters set from spec text, then resolved.
inline nnsweep::config::ParamSet with(
    std::initializer_list<std::pair<const char*, const char*>> settings) {
  const auto& e = nnsweep::experiments::correlations_experiment();
  const auto& schema = e.schema();
  std::vector<nnsweep::config::Value> values;
  for (const auto& spec : schema.params())
    values.push_back(nnsweep::config::parse_value(spec, spec.default_value));
  for (const auto& [name, text] : settings)
    values[schema.index(name)] = nnsweep::config::parse_value(schema[schema.index(name)], text);
  nnsweep::config::ParamSet params(schema, values);
  e.resolve(params);
  return params;
}

// The schema's defaults, resolved: what a spec that sets nothing runs.
inline nnsweep::config::ParamSet default_params() {
  return with({});
}

// A metric and its standard error from a task result, found by column name.
inline Estimate metric(const TaskResult& result, const std::string& name) {
  return {result.row.number(name), result.row.number(name + "_sem")};
}

// |a − b| in units of the standard error of the difference of two independent estimates.
inline double two_sample_z(const Estimate& a, const Estimate& b) {
  return std::fabs(a.value - b.value) / std::sqrt(a.sem * a.sem + b.sem * b.sem);
}

inline Problem make_problem(const char* activation, std::vector<std::int64_t> widths, double cw,
                            Sampler sampler, std::int64_t samples) {
  Problem p;
  p.activation = nnsweep::nn::parse_activation(activation, 0.1);
  p.widths = std::move(widths);
  p.cw = cw;
  p.cb = 0;
  p.n0 = 4;
  p.x_norm2 = 4;
  p.n_out = 2;
  p.samples = samples;
  p.sampler = sampler;
  return p;
}

// EXPERIMENTS.md §1 test vectors: ReLU (C_W = 2) at widths 32×4, tanh (C_W = 1) at 64×4.
inline Problem relu_32x4(Sampler sampler, std::int64_t samples) {
  return make_problem("relu", {32, 32, 32, 32}, 2, sampler, samples);
}
inline Problem tanh_64x4(Sampler sampler, std::int64_t samples) {
  return make_problem("tanh", {64, 64, 64, 64}, 1, sampler, samples);
}

inline Replica replica(std::uint64_t task_key) {
  return {20240601, task_key, 0, {}};
}

}  // namespace correlations_test
