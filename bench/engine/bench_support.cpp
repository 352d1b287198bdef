// Throughput of the `support` experiment's training on one core (EXPERIMENTS.md §3; issue 10):
// replica-steps per CPU second of its optimizer steps — the default network (d = 15, 3 hidden
// layers of 15, identity, bias-free, MSE, SGD lr 0.1 with gradient-norm clipping at 1, N =
// 10 000 duplicated points) at b = 1, 8 (the default) and 64, in double and float — run through
// the experiment's own kernel (support::train on one pack of seeds; the driver's RunStats
// separate the training steps from set-up and evaluation), and the calibration of
// nominal_flops (cost() over the CPU time of whole tasks).
//
// FLOPs per replica-step, papers_AB.md B.8: 6P·b + 6P, P = dH + (L−1)H² + H = 690 (forward 2P
// and backward 4P per sample; clipping and the update ≈ 6P per step). torch_support.py counts
// the same. Output: a table and one line per case,
//   RESULT support_b<b> <precision> <replica_steps_per_s> <gflops> <percent_of_peak>
//   RESULT support_task <precision> <tasks_per_s> <cost_flops_per_s> 0
// Usage: bench_support [--quick] [--peak-double GFLOPS] [--peak-float GFLOPS]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "nnsweep/config/param.hpp"
#include "nnsweep/experiments/support.hpp"
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/nn/lanes.hpp"

using namespace nnsweep;
using namespace nnsweep::experiments;

namespace {

double peak_double = 58e9, peak_float = 116e9;  // shared/notes/PLATFORM.md, one Zen 4 core

double now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

config::ParamSet defaults(const std::vector<std::pair<std::string, std::string>>& overrides) {
  const Experiment& e = support_experiment();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : e.schema().params()) {
    std::string text = spec.default_value;
    for (const auto& [name, value] : overrides)
      if (name == spec.name) text = value;
    values.push_back(config::parse_value(spec, text));
  }
  config::ParamSet p(e.schema(), values);
  e.resolve(p);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--peak-double") == 0 && i + 1 < argc) {
      peak_double = std::atof(argv[++i]) * 1e9;
    } else if (std::strcmp(argv[i], "--peak-float") == 0 && i + 1 < argc) {
      peak_float = std::atof(argv[++i]) * 1e9;
    } else {
      std::fprintf(stderr, "usage: bench_support [--quick] [--peak-double G] [--peak-float G]\n");
      return 2;
    }
  }
  const Experiment& e = support_experiment();
  std::printf("%-12s %-7s %14s %10s %9s\n", "case", "type", "replica-st/s", "GFLOP/s", "of peak");
  const double parameters = 15 * 15 + 2 * 15 * 15 + 15;
  for (const char* precision : {"double", "float"}) {
    const int lanes =
        std::strcmp(precision, "float") == 0 ? nn::default_lanes<float> : nn::default_lanes<double>;
    const double peak = std::strcmp(precision, "float") == 0 ? peak_float : peak_double;
    for (const int batch : {1, 8, 64}) {
      // About 0.2 s (--quick) or 1 s of CPU per case.
      const std::int64_t steps = (quick ? 1 : 4) * 50000 * 8 / (batch < 8 ? 8 : batch);
      const config::ParamSet p = defaults({{"batch", std::to_string(batch)},
                                           {"steps", std::to_string(steps)},
                                           {"precision", precision},
                                           {"log_points", "10"}});
      std::vector<Replica> replicas;
      config::ParamSet q = p;
      for (int s = 0; s < lanes; ++s) {
        q.set("seed", std::int64_t{s});
        replicas.push_back(make_replica(e, 1, q));
      }
      nn::RunStats stats;
      support::train(support::problem_of(p), replicas, {}, {}, &stats);
      const double rate = static_cast<double>(stats.replica_steps) / stats.train_seconds;
      const double flops = 6 * parameters * batch + 6 * parameters;
      std::printf("%-12s %-7s %14.4g %10.2f %8.1f%%\n",
                  ("support_b" + std::to_string(batch)).c_str(), precision, rate,
                  rate * flops / 1e9, 100 * rate * flops / peak);
      std::printf("RESULT support_b%d %s %.6g %.6g %.4g\n", batch, precision, rate,
                  rate * flops / 1e9, 100 * rate * flops / peak);
    }
    // Whole tasks at the defaults (b = 8, 30 000 steps, 40 curve points): nominal_flops.
    const config::ParamSet p =
        defaults({{"precision", precision}, {"steps", quick ? "5000" : "30000"}});
    std::vector<Replica> replicas;
    config::ParamSet q = p;
    for (int s = 0; s < lanes; ++s) {
      q.set("seed", std::int64_t{s});
      replicas.push_back(make_replica(e, 1, q));
    }
    const double t0 = now();
    support::train(support::problem_of(p), replicas, {});
    const double seconds = now() - t0;
    const double tasks = lanes / seconds;
    std::printf(
        "support task, defaults, %s: %.3g tasks/s per core, cost()/time = %.3g GFLOP/s "
        "(nominal_flops)\n",
        precision, tasks, e.cost(p) * tasks / 1e9);
    std::printf("RESULT support_task %s %.6g %.6g 0\n", precision, tasks, e.cost(p) * tasks);
  }
  return 0;
}
