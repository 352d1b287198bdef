#pragma once
// A small schema shared by the config and grid tests.
#include "nnsweep/config/param.hpp"

inline const nnsweep::config::Schema& test_schema() {
  using nnsweep::config::ParamSpec;
  using nnsweep::config::ParamType;
  static const nnsweep::config::Schema schema({
      {"width", ParamType::integer, "32", "units", "hidden width", 1, 65536, {}, false},
      {"depth", ParamType::integer, "4", "layers", "hidden layers", 1, 4096, {}, false},
      {"activation",
       ParamType::choice,
       "relu",
       "",
       "nonlinearity",
       -1e300,
       1e300,
       {"relu", "tanh", "linear"},
       false},
      {"cw", ParamType::real, "auto", "1", "weight variance", 0, 100, {}, true},
      {"lr", ParamType::real, "0.1", "1", "learning rate", 0, 10, {}, false},
      {"widths", ParamType::integer_list, "auto", "units", "per-layer widths", 1, 65536, {}, true},
  });
  return schema;
}
