// Throughput of the replica-packed training engine (nn::Pack) on one core, in replica-steps per
// second and as a fraction of the FMA peak, for
//   lt      the linear-teacher default step: d = 10, 2k = 100 leaky-ReLU units, fixed ±v second
//           layer, logistic loss, SGD with batch 1 (EXPERIMENTS.md §2);
//   mlp64   a dense MLP step: d = h → h → h → 1, ReLU, biases, MSE, SGD, batch 32, h = 64;
//   mlp256  the same with h = 256;
// linear_teacher end to end at its defaults (lt_run; evaluation and training shares of the FMA
// peak: lt_eval, lt_train), and the calibration of linear_teacher's nominal_flops (cost() / wall
// time of run() on the defaults). bench/engine/torch_engine.py measures the same steps in batched
// PyTorch; bench/engine/run.sh runs both and prints the ratios.
//
// Lane width: the cases run with the default lanes (nn::default_lanes, one AVX2 register) and,
// as <case>_x2, with two registers per lane value (8 doubles, 16 floats), instantiated here from
// src/nn/pack_impl.hpp; the default should be at least as fast (nn/lanes.hpp).
//
// FLOPs per replica-step count the multiply-adds of the dense products, 2 FLOPs each:
//   lt:  forward 2k·d + output 2k + δ 2k + weight update 2k·d            → 4·2k·(d+1)
//   mlp: forward b·P, δ through layers 2 and 3 b·(h² + h), gradients b·P, update P,
//        with P = 2h² + h weights (biases not counted)                   → 2·(b(2P + h² + h) + P)
//
// Output: a table, and one machine-readable line per case:
//   RESULT <case> <precision> <replica_steps_per_s> <gflops> <percent_of_peak>
// Percentages refer to the nominal peak of shared/notes/PLATFORM.md (options override it); the
// peak measured at start-up (bench/fma_peak.cpp) is printed beside it. Times are CPU times.
// Usage: bench_engine [--quick] [--run-only] [--peak-double GFLOPS] [--peak-float GFLOPS]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "../fma_peak.hpp"
#include "nnsweep/config/param.hpp"
#include "nnsweep/experiments/linear_teacher.hpp"
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/random.hpp"
#include "pack_impl.hpp"  // src/nn: instantiates the wider packs below

using namespace nnsweep;

// The two-register packs of the lane-width comparison.
template class nnsweep::nn::Pack<double, 2 * nn::default_lanes<double>>;
template class nnsweep::nn::Pack<float, 2 * nn::default_lanes<float>>;

namespace {

double peak_double = 58e9, peak_float = 116e9;  // shared/notes/PLATFORM.md, one Zen 4 core
bool quick = false, run_only = false;           // --run-only: the linear_teacher runs alone

// CPU time of this (single-threaded) process: the machine may be shared, and CPU time counts
// only the time the benchmark actually ran.
double now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void report(const char* name, const char* precision, double replica_steps, double flops_per_step) {
  const double gflops = replica_steps * flops_per_step / 1e9;
  const double peak = std::strcmp(precision, "float") == 0 ? peak_float : peak_double;
  const double percent = 100 * replica_steps * flops_per_step / peak;
  std::printf("%-10s %-7s %14.4g %10.1f %8.0f%%\n", name, precision, replica_steps, gflops,
              percent);
  std::printf("RESULT %s %s %.6g %.6g %.4g\n", name, precision, replica_steps, gflops, percent);
}

// Fills every lane with its own data, parameters and order stream.
template <typename T, int L>
void fill(nn::Pack<T, L>& pack, double weight_scale, bool sign_targets) {
  const nn::TrainSpec& spec = pack.spec();
  for (int lane = 0; lane < L; ++lane) {
    nn::NormalSampler g(rng::Stream(1, 2, static_cast<std::uint64_t>(lane), rng::Purpose::data));
    for (std::int64_t s = 0; s < pack.n_train(); ++s) {
      double dot = 0;
      for (int j = 0; j < spec.network.input; ++j) {
        const double x = g() / std::sqrt(static_cast<double>(spec.network.input));
        pack.input(s, j, lane) = static_cast<T>(x);
        dot += j == 0 ? x : 0.5 * x;
      }
      pack.target(s, 0, lane) = static_cast<T>(sign_targets ? (dot > 0 ? 1.0 : -1.0) : g());
    }
    for (std::size_t q = 0; q < pack.layout().size; ++q)
      pack.parameter(q, lane) = static_cast<T>(weight_scale * g());
    pack.set_order_stream(
        lane, rng::Stream(1, 2, static_cast<std::uint64_t>(lane), rng::Purpose::batch_order));
  }
}

// Median replica-steps per second of `epochs` epochs, over `repeats` timed runs.
template <typename T, int L>
double time_epochs(nn::Pack<T, L>& pack, int epochs, int repeats) {
  pack.epoch();  // warm-up
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = now();
    for (int e = 0; e < epochs; ++e) pack.epoch();
    rates.push_back(static_cast<double>(epochs) * static_cast<double>(pack.steps_per_epoch()) * L /
                    (now() - t0));
  }
  return median(rates);
}

template <typename T, int L = nn::default_lanes<T>>
void linear_teacher_step(const char* name, const char* precision) {
  const int d = 10, hidden = 100;
  nn::TrainSpec spec;
  spec.network.input = d;
  spec.network.layers = {{hidden, false, true, true, false}, {1, false, false, true, false}};
  spec.network.activation = nn::Activation{nn::ActivationKind::leaky_relu, 0.1};
  spec.loss = nn::LossKind::logistic;
  spec.optimizer.lr = 0.1;
  spec.optimizer.batch = 1;
  nn::Pack<T, L> pack(spec, 200);
  fill(pack, 0.01, true);
  for (int i = 0; i < hidden; ++i)
    for (int lane = 0; lane < L; ++lane)
      pack.weight(1, 0, i, lane) = static_cast<T>(i < hidden / 2 ? 0.1 : -0.1);
  const double rate = time_epochs(pack, quick ? 20 : 100, quick ? 3 : 7);
  report(name, precision, rate, 4.0 * hidden * (d + 1));
}

template <typename T, int L = nn::default_lanes<T>>
void mlp_step(const char* name, const char* precision, int h) {
  const int b = 32;
  nn::TrainSpec spec;
  spec.network.input = h;
  spec.network.layers = {{h, true}, {h, true}, {1, true}};
  spec.network.activation = nn::Activation{nn::ActivationKind::relu, 0};
  spec.loss = nn::LossKind::mse;
  spec.optimizer.lr = 1e-3;
  spec.optimizer.batch = b;
  nn::Pack<T, L> pack(spec, 8 * b);
  fill(pack, 1 / std::sqrt(static_cast<double>(h)), false);
  const double p = 2.0 * h * h + h;
  const double rate =
      time_epochs(pack, h <= 64 ? (quick ? 4 : 20) : (quick ? 1 : 3), quick ? 3 : 5);
  report(name, precision, rate, 2 * (b * (2 * p + static_cast<double>(h) * h + h) + p));
}

// linear_teacher end to end at its defaults (d = 10, 2k = 100, n = 200, 5000 test and 5000 probe
// points, 200 epochs, 30 log points, every metric and curve), `packs` packs of replicas: tasks per
// CPU second, and from the driver's timings the evaluation phase's and the training steps' FLOP/s.
// Evaluation FLOPs (2 per multiply-add): the forward passes the driver ran (4kd + 4k per sample
// and replica), and per evaluation and replica the pattern counts (2·2k·d per training point) and
// the linear rule (2d per test and probe point); training: 4·2k·(d+1) per replica-step.
void linear_teacher_run(const char* precision, int packs) {
  const experiments::Experiment& e = experiments::linear_teacher_experiment();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : e.schema().params())
    values.push_back(config::parse_value(spec, spec.default_value));
  config::ParamSet params(e.schema(), values);
  params.set("precision", std::string(precision));
  const experiments::linear_teacher::Problem p = experiments::linear_teacher::problem_of(params);
  const std::size_t lanes = e.preferred_pack(params),
                    tasks = lanes * static_cast<std::size_t>(packs);
  std::vector<experiments::Replica> replicas;
  for (std::size_t s = 0; s < tasks; ++s) {
    params.set("seed", static_cast<std::int64_t>(s));
    replicas.push_back(experiments::make_replica(e, 1, params));
  }
  const double k = static_cast<double>(p.k), d = static_cast<double>(p.d),
               n = static_cast<double>(p.n_train), m = static_cast<double>(p.n_test);
  const double forward = 4 * k * d + 4 * k, per_evaluation = n * 4 * k * d + 2 * m * 2 * d,
               per_step = 4 * 2 * k * (d + 1);
  std::vector<double> task_rate, eval_rate, train_rate, setup_share, eval_share, train_share;
  for (int r = 0; r < (quick ? 1 : 3); ++r) {
    nn::RunStats stats;
    const double t0 = now();
    experiments::linear_teacher::train(p, replicas, {}, {}, &stats);
    const double seconds = now() - t0;
    task_rate.push_back(static_cast<double>(tasks) / seconds);
    const double eval_flops =
        static_cast<double>(stats.forward_samples) * forward +
        static_cast<double>(stats.evaluations * static_cast<std::int64_t>(lanes)) * per_evaluation;
    eval_rate.push_back(eval_flops / stats.evaluate_seconds);
    train_rate.push_back(static_cast<double>(stats.replica_steps) * per_step / stats.train_seconds);
    setup_share.push_back(stats.setup_seconds / seconds);
    eval_share.push_back(stats.evaluate_seconds / seconds);
    train_share.push_back(stats.train_seconds / seconds);
  }
  const double peak = std::strcmp(precision, "float") == 0 ? peak_float : peak_double;
  const double rate = median(task_rate), eval = median(eval_rate), train = median(train_rate);
  std::printf(
      "linear_teacher run (%s, defaults, %zu tasks): %.3g tasks/s; time: evaluation %.0f%%, "
      "training %.0f%%, data and set-up %.0f%%; evaluation %.1f GFLOP/s (%.0f%% of peak), "
      "training steps %.1f GFLOP/s (%.0f%%)\n",
      precision, tasks, rate, 100 * median(eval_share), 100 * median(train_share),
      100 * median(setup_share), eval / 1e9, 100 * eval / peak, train / 1e9, 100 * train / peak);
  std::printf("RESULT lt_run %s %.6g %.6g 0\n", precision, rate, e.cost(params) * rate / 1e9);
  std::printf("RESULT lt_eval %s 0 %.6g %.4g\n", precision, eval / 1e9, 100 * eval / peak);
  std::printf("RESULT lt_train %s 0 %.6g %.4g\n", precision, train / 1e9, 100 * train / peak);
}

// nominal_flops of linear_teacher: cost() of the defaults / wall time of run() per task.
void calibrate(const char* precision) {
  const experiments::Experiment& e = experiments::linear_teacher_experiment();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : e.schema().params())
    values.push_back(config::parse_value(spec, spec.default_value));
  config::ParamSet params(e.schema(), values);
  params.set("precision", std::string(precision));
  const std::size_t tasks = e.preferred_pack(params);
  std::vector<experiments::Replica> replicas;
  for (std::size_t s = 0; s < tasks; ++s) {
    params.set("seed", static_cast<std::int64_t>(s));
    replicas.push_back(experiments::make_replica(e, 1, params));
  }
  std::vector<double> seconds;
  for (int r = 0; r < (quick ? 1 : 3); ++r) {
    const double t0 = now();
    e.run({params, {}}, replicas, {});
    seconds.push_back((now() - t0) / static_cast<double>(tasks));
  }
  const double per_task = median(seconds), cost = e.cost(params);
  std::printf(
      "linear_teacher task (%s, defaults): %.3g FLOPs (cost model) in %.4f s per task -> %.3g "
      "FLOP/s"
      " (nominal_flops says %.3g)\n",
      precision, cost, per_task, cost / per_task, e.nominal_flops());
  std::printf("RESULT lt_task %s %.6g %.6g 0\n", precision, 1 / per_task, cost / per_task / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick")
      quick = true;
    else if (arg == "--run-only")
      run_only = true;
    else if (arg == "--peak-double" && i + 1 < argc)
      peak_double = std::atof(argv[++i]) * 1e9;
    else if (arg == "--peak-float" && i + 1 < argc)
      peak_float = std::atof(argv[++i]) * 1e9;
    else {
      std::fprintf(
          stderr,
          "usage: bench_engine [--quick] [--run-only] [--peak-double GFLOPS] [--peak-float "
          "GFLOPS]\n");
      return 2;
    }
  }
  const bench::FmaPeak measured = bench::measure_fma_peak(quick ? 0.05 : 0.2, quick ? 2 : 5);
  std::printf(
      "nn::Pack lanes: double %d, float %d; FMA peak %.0f / %.0f GFLOP/s (double / float; measured "
      "now: %.0f / %.0f)\n",
      nn::Pack<double>::lanes, nn::Pack<float>::lanes, peak_double / 1e9, peak_float / 1e9,
      measured.double_gflops, measured.float_gflops);
  std::printf("RESULT peak double %.6g %.6g 100\nRESULT peak float %.6g %.6g 100\n", 0.0,
              measured.double_gflops, 0.0, measured.float_gflops);
  if (run_only) {
    linear_teacher_run("double", 2);
    linear_teacher_run("float", 2);
    return 0;
  }
  std::printf("%-10s %-7s %14s %10s %9s\n", "case", "type", "replica-steps/s", "GFLOP/s",
              "of peak");
  constexpr int wide_double = 2 * nn::default_lanes<double>,
                wide_float = 2 * nn::default_lanes<float>;
  linear_teacher_step<double>("lt", "double");
  linear_teacher_step<float>("lt", "float");
  linear_teacher_step<double, wide_double>("lt_x2", "double");
  linear_teacher_step<float, wide_float>("lt_x2", "float");
  mlp_step<double>("mlp64", "double", 64);
  mlp_step<float>("mlp64", "float", 64);
  mlp_step<double, wide_double>("mlp64_x2", "double", 64);
  mlp_step<float, wide_float>("mlp64_x2", "float", 64);
  mlp_step<double>("mlp256", "double", 256);
  mlp_step<float>("mlp256", "float", 256);
  mlp_step<double, wide_double>("mlp256_x2", "double", 256);
  mlp_step<float, wide_float>("mlp256_x2", "float", 256);
  linear_teacher_run("double", 2);
  linear_teacher_run("float", 2);
  calibrate("double");
  calibrate("float");
  return 0;
}
