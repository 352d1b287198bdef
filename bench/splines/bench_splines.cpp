// splines: replica-steps per CPU second of the experiment's own training path (splines::train on
// the training driver, per-lane weight decay), float and double, in two cases:
//   gd    full-batch GD with weight decay, pn mode, K = 256, N = 16 (lr 5e-2, λ 1e-2), 2 points;
//   adam  the default run: K = 100, N = 8, Adam 1e-3, λ 1e-2, 20000 steps, 30 evaluation points
//         (every metric at each), end to end: also tasks per CPU second;
// FLOPs per replica-step: the step's arithmetic, 12·N·K (per unit and sample: forward FMA, ReLU,
// output FMA = 5; backward: the FMA again, ∂v FMA, mask, ∂b add, ∂w FMA = 7) plus the update,
// (12 Adam | 4 GD)·P with P = 3K + 2 parameters (decay included); % of the FMA peak of that.
// (The cost model, 6·N·P + …, counts the general backward pass: 1.7x more at these shapes.)
// And the calibration of nominal_flops: cost() of the defaults / CPU time per task.
//   bench_splines [--quick]   (lines "RESULT <case> <precision> <rs/s> <GFLOP/s> <% peak>")
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../fma_peak.hpp"
#include "nnsweep/experiments/splines.hpp"
#include "nnsweep/nn/driver.hpp"

using namespace nnsweep;
namespace sp = nnsweep::experiments::splines;

namespace {

bool quick = false;
double peak_double = 58e9, peak_float = 116e9;  // shared/notes/PLATFORM.md, one Zen 4 core

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

config::ParamSet defaults() {
  const experiments::Experiment& e = experiments::splines_experiment();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : e.schema().params())
    values.push_back(config::parse_value(spec, spec.default_value));
  config::ParamSet params(e.schema(), values);
  return params;
}

void run_case(const char* name, const char* precision, config::ParamSet params, int packs) {
  const experiments::Experiment& e = experiments::splines_experiment();
  params.set("precision", std::string(precision));
  e.resolve(params);
  const sp::Problem p = sp::problem_of(params);
  const std::size_t tasks = e.preferred_pack(params) * static_cast<std::size_t>(packs);
  std::vector<experiments::Replica> replicas;
  for (std::size_t s = 0; s < tasks; ++s) {
    params.set("seed", static_cast<std::int64_t>(s));
    replicas.push_back(experiments::make_replica(e, 1, params));
  }
  const double n = static_cast<double>(p.n_points), k = static_cast<double>(p.width),
               count = static_cast<double>(sp::parameter_count(p));
  const double per_step = 12 * n * k + (p.adam ? 12 : 4) * count;
  std::vector<double> step_rate, task_rate;
  for (int r = 0; r < (quick ? 1 : 3); ++r) {
    nn::RunStats stats;
    const double t0 = bench::thread_cpu_seconds();
    sp::train(p, replicas, {}, &stats);
    const double seconds = bench::thread_cpu_seconds() - t0;
    step_rate.push_back(static_cast<double>(stats.replica_steps) / stats.train_seconds);
    task_rate.push_back(static_cast<double>(tasks) / seconds);
  }
  const double peak = std::strcmp(precision, "float") == 0 ? peak_float : peak_double;
  const double rate = median(step_rate), flops = rate * per_step;
  std::printf(
      "%-5s %-7s K = %3lld, N = %2lld, %s: %.4g replica-steps/s, %.2f GFLOP/s (%.1f%% of "
      "peak); whole run %.4g tasks/s (cost %.3g FLOPs -> %.3g FLOP/s)\n",
      name, precision, static_cast<long long>(p.width), static_cast<long long>(p.n_points),
      p.adam ? "adam" : "gd", rate, flops / 1e9, 100 * flops / peak, median(task_rate),
      e.cost(params), e.cost(params) * median(task_rate));
  std::printf("RESULT %s %s %.6g %.6g %.4g\n", name, precision, rate, flops / 1e9,
              100 * flops / peak);
  std::printf("RESULT %s_run %s %.6g %.6g 0\n", name, precision, median(task_rate),
              e.cost(params) * median(task_rate) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--quick") {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: bench_splines [--quick]\n");
      return 2;
    }
  }
  const bench::FmaPeak measured = bench::measure_fma_peak(quick ? 0.05 : 0.2, quick ? 2 : 5);
  std::printf("FMA peak %.0f / %.0f GFLOP/s (double / float; measured now: %.0f / %.0f)\n",
              peak_double / 1e9, peak_float / 1e9, measured.double_gflops, measured.float_gflops);
  config::ParamSet gd = defaults();
  gd.set("width", std::int64_t{256});
  gd.set("n_points", std::int64_t{16});
  gd.set("optimizer", std::string("gd"));
  gd.set("steps", std::int64_t{quick ? 1000 : 5000});
  gd.set("log_points", std::int64_t{2});
  for (const char* precision : {"double", "float"}) run_case("gd", precision, gd, 2);
  config::ParamSet adam = defaults();
  if (quick) adam.set("steps", std::int64_t{4000});
  for (const char* precision : {"double", "float"}) run_case("adam", precision, adam, 2);
  return 0;
}
