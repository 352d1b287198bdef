#pragma once
// The machine's FMA peak per core, measured: the yardstick for the samplers' achieved FLOP/s.
// An unrolled loop of independent FMA chains (enough to cover latency × pipes) on the widest
// vectors the build targets.

namespace nnsweep::bench {

struct FmaPeak {
  double float_gflops = 0;  // 2 flops per lane per FMA
  double double_gflops = 0;
  int float_lanes = 0, double_lanes = 0;  // vector width used
};

// Best of `repeats` runs of about `seconds` of CPU time each, per precision.
FmaPeak measure_fma_peak(double seconds = 0.2, int repeats = 5);

}  // namespace nnsweep::bench
