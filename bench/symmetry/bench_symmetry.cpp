// Throughput of the symmetry experiment's first-order training on one core: full-batch GD at
// N = 10^4 samples, width m = 20, d = 10 (teacher r* = 4), activation g = sigmoid(4x) +
// softplus(x), MSE, no polish — symmetry::train end to end with polish = none, the time of the
// optimizer steps taken from the driver's RunStats (train_seconds, replica_steps: CPU time of
// this thread, dummy lanes included). bench/symmetry/torch_symmetry.py runs the same step in
// batched PyTorch; bench/symmetry/run.sh runs both and prints the ratios.
//
// FLOPs per replica-step count the dense products, 2 per multiply-add: forward z = W x (N·m·d),
// output f = a·g(z) (N·m), ∂L/∂a (N·m), ∂L/∂W (N·m·d) → 4·N·m·(d + 1); the activation and its
// derivative (two sigmoids and a softplus per (sample, neuron)) are not counted, so the
// percentage of the FMA peak understates the work done.
//
// Output: one line per precision and
//   RESULT symmetry_gd <precision> <replica_steps_per_s> <gflops> <percent_of_peak>
// Usage: bench_symmetry [--quick] [--steps S] [--replicas R]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../fma_peak.hpp"
#include "nnsweep/config/param.hpp"
#include "nnsweep/experiments/symmetry.hpp"
#include "nnsweep/nn/driver.hpp"

using namespace nnsweep;
using namespace nnsweep::experiments;

namespace {

config::ParamSet params_of(const char* precision, std::int64_t steps) {
  const Experiment& e = symmetry_experiment();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : e.schema().params())
    values.push_back(config::parse_value(spec, spec.default_value));
  config::ParamSet params(e.schema(), values);
  params.set("n_train", std::int64_t{10000});
  params.set("width", std::int64_t{20});
  params.set("d", std::int64_t{10});
  params.set("steps", steps);
  params.set("polish", std::string("none"));
  params.set("precision", std::string(precision));
  return params;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::int64_t steps = 300, replicas = 16;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
      steps = 30;
      replicas = 8;
    } else if (std::strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
      steps = std::atoll(argv[++i]);
    } else if (std::strcmp(argv[i], "--replicas") == 0 && i + 1 < argc) {
      replicas = std::atoll(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_symmetry [--quick] [--steps S] [--replicas R]\n");
      return 2;
    }
  }
  const bench::FmaPeak peak = bench::measure_fma_peak(quick ? 0.05 : 0.2, quick ? 2 : 5);
  std::printf("FMA peak measured: %.1f GFLOP/s float, %.1f double (one core)\n", peak.float_gflops,
              peak.double_gflops);
  const double flops = 4.0 * 10000 * 20 * (10 + 1);
  for (const char* precision : {"double", "float"}) {
    config::ParamSet params = params_of(precision, steps);
    const symmetry::Problem p = symmetry::problem_of(params);
    std::vector<Replica> reps;
    for (std::int64_t s = 0; s < replicas; ++s) {
      params.set("seed", s);
      reps.push_back(make_replica(symmetry_experiment(), 1, params));
    }
    nn::RunStats stats;
    symmetry::train(p, reps, {}, &stats);
    const double rate = static_cast<double>(stats.replica_steps) / stats.train_seconds;
    const double gflops = rate * flops * 1e-9;
    const double peak_g =
        std::string(precision) == "float" ? peak.float_gflops : peak.double_gflops;
    std::printf(
        "symmetry GD step (%s, N = 1e4, m = 20, d = 10, g): %.4g replica-steps/s (CPU), %.3g "
        "GFLOP/s dense = %.1f%% of the measured FMA peak; set-up %.2f s, training %.2f s, "
        "evaluation %.2f s\n",
        precision, rate, gflops, 100 * gflops / peak_g, stats.setup_seconds, stats.train_seconds,
        stats.evaluate_seconds);
    std::printf("RESULT symmetry_gd %s %.6g %.6g %.3g\n", precision, rate, gflops,
                100 * gflops / peak_g);
  }
  return 0;
}
