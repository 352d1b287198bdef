#pragma once
// Shared helpers of the splines tests: the defaults, the replicas of a cell as a sweep makes
// them, and a bitwise comparison of results.
#include <cstdint>
#include <cstring>
#include <vector>

#include "nnsweep/experiments/splines.hpp"

namespace nnsweep::splines_test {

inline config::ParamSet defaults() {
  const experiments::Experiment& e = experiments::splines_experiment();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : e.schema().params())
    values.push_back(config::parse_value(spec, spec.default_value));
  return config::ParamSet(e.schema(), values);
}

// The replicas of seeds first..first+count−1 of `params`, as a sweep makes them.
inline std::vector<experiments::Replica> replicas(config::ParamSet params, std::int64_t first,
                                                  std::int64_t count,
                                                  std::uint64_t sweep_seed = 2021) {
  std::vector<experiments::Replica> out;
  for (std::int64_t s = first; s < first + count; ++s) {
    params.set("seed", s);
    out.push_back(experiments::make_replica(experiments::splines_experiment(), sweep_seed, params));
  }
  return out;
}

inline bool same_bits(const std::vector<experiments::TaskResult>& a,
                      const std::vector<experiments::TaskResult>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto &x = a[i].row.data().numbers, &y = b[i].row.data().numbers;
    if (a[i].status != b[i].status || x.size() != y.size() ||
        std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) != 0 ||
        a[i].row.data().theory_kinds != b[i].row.data().theory_kinds)
      return false;
  }
  return true;
}

}  // namespace nnsweep::splines_test
