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

// Best of `repeats` timed runs per precision. The iteration count doubles until one run takes
// at least `seconds`/4 of CPU time, so each timed run lasts from `seconds`/4 to about
// `seconds`/2.
FmaPeak measure_fma_peak(double seconds = 0.2, int repeats = 5);

// CPU time of the calling thread, in seconds (CLOCK_THREAD_CPUTIME_ID): the machine may be
// shared, and time not running is not the core's.
double thread_cpu_seconds();

}  // namespace nnsweep::bench
