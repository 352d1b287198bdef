// support: data, metrics and the kernels behind run() — the mlp handed to the replica-training
// driver (nn/driver.hpp), the toy f = a·b·x in plain double code with its exact law checked at
// every step.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/support.hpp"
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/nn/evaluate.hpp"
#include "nnsweep/nn/random.hpp"
#include "nnsweep/nn/schedule.hpp"

namespace nnsweep::experiments::support {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}

std::uint64_t seed_of(const Replica& replica) {
  return static_cast<std::uint64_t>(replica.seed);
}

double target_of(Target target, const double* x, std::int64_t relevant) {
  double s = 0;
  switch (target) {
    case Target::linear:
      for (std::int64_t j = 0; j < relevant; ++j) s += x[j];
      return s;
    case Target::sine:
      for (std::int64_t j = 0; j < relevant; ++j) s += x[j];
      return std::sin(s);
    case Target::staircase:
      for (std::int64_t j = 0; j < relevant; ++j) {
        double power = 1;
        for (std::int64_t k = 0; k <= j; ++k) power *= x[j];
        s += power;
      }
      return s;
  }
  return s;
}

}  // namespace

const char* metric_name(Metric metric) {
  static const char* const names[] = {"irrelevant_norm", "relevant_norm", "support_ratio", "mse"};
  return metric < metric_count ? names[metric] : "?";
}

Data make_data(const Problem& p, const Replica& replica) {
  Data data;
  nn::NormalBlockSampler normal(replica.stream(rng::Purpose::data, seed_of(replica)));
  const std::size_t n = sz(p.n_train), d = sz(p.d);
  data.x.resize(n * d);
  for (double& x : data.x) x = normal();
  data.eps.resize(n);
  for (double& e : data.eps) e = p.label_noise * normal();
  // Centre the irrelevant coordinates by their sample mean (the authors' notebooks).
  for (std::size_t j = sz(p.relevant); j < d; ++j) {
    double mean = 0;
    for (std::size_t i = 0; i < n; ++i) mean += data.x[i * d + j];
    mean /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) data.x[i * d + j] -= mean;
  }
  if (p.single_precision)  // the metrics and labels see what the network sees
    for (double& x : data.x) x = static_cast<double>(static_cast<float>(x));
  data.f.resize(n);
  for (std::size_t i = 0; i < n; ++i) data.f[i] = target_of(p.target, &data.x[i * d], p.relevant);
  return data;
}

ToyData make_toy_data(const Problem& p, const Replica& replica) {
  ToyData data;
  nn::NormalBlockSampler normal(replica.stream(rng::Purpose::data, seed_of(replica)));
  const std::size_t n = sz(p.n_train);
  data.x.resize(n);
  for (int attempt = 0;; ++attempt) {
    NNSWEEP_CHECK(attempt < 10000, "internal: the toy's data never had |mean x| >= ", toy_min_mean);
    for (double& x : data.x) x = normal();
    double square = 0;
    for (const double x : data.x) square += x * x;
    const double scale = std::sqrt(static_cast<double>(n) / square);
    double mean = 0;
    for (double& x : data.x) {
      x *= scale;
      mean += x;
    }
    mean /= static_cast<double>(n);
    if (std::fabs(mean) >= toy_min_mean) {
      data.y = 1 / mean;
      return data;
    }
  }
}

FirstLayer first_layer(const double* w1, std::int64_t width, std::int64_t d,
                       std::int64_t relevant) {
  FirstLayer out;
  double irrelevant2 = 0, relevant2 = 0, most = 0;
  double least = std::numeric_limits<double>::infinity();
  for (std::int64_t j = 0; j < d; ++j) {
    double column2 = 0;
    for (std::int64_t i = 0; i < width; ++i) {
      const double w = w1[sz(i) * sz(d) + sz(j)];
      column2 = std::fma(w, w, column2);
    }
    if (j < relevant) {
      relevant2 += column2;
      least = std::min(least, column2);
    } else {
      irrelevant2 += column2;
      most = std::max(most, column2);
    }
  }
  out.irrelevant = std::sqrt(irrelevant2);
  out.relevant = std::sqrt(relevant2);
  out.support_ratio = relevant > 0 && relevant < d && std::isfinite(irrelevant2 + relevant2)
                          ? std::sqrt(most / least)
                          : nan;
  return out;
}

double stable_rank(const double* w, std::int64_t rows, std::int64_t cols) {
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> wm(
      w, rows, cols);
  if (!wm.allFinite()) return nan;
  const Eigen::MatrixXd gram =
      rows < cols ? Eigen::MatrixXd(wm * wm.transpose()) : Eigen::MatrixXd(wm.transpose() * wm);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram, Eigen::EigenvaluesOnly);
  return gram.trace() / solver.eigenvalues().maxCoeff();
}

double toy_theory_rate(const Problem& p, const ToyData& data) {
  const std::int64_t n = p.n_train, b = p.effective_batch();
  if (b >= n) return 0;
  double mean = 0, square = 0;
  for (const double x : data.x) mean += (x - data.y) * x;
  mean /= static_cast<double>(n);
  for (const double x : data.x) {
    const double z = (x - data.y) * x - mean;
    square += z * z;
  }
  const double variance = square / static_cast<double>(n);
  return 4 * p.lr * p.lr * variance * static_cast<double>(n - b) /
         (static_cast<double>(b) * static_cast<double>(n - 1));
}

ToyRun run_toy(const Problem& p, const ToyData& data, const Replica& replica) {
  const std::int64_t n = p.n_train, b = p.effective_batch();
  std::vector<std::int32_t> order(sz(n));
  rng::Stream stream = replica.stream(rng::Purpose::batch_order, seed_of(replica));
  ToyRun run;
  run.gap.assign(sz(p.steps) + 1, nan);
  double a = p.toy_a, c = p.toy_b;  // c is the toy's b (b is the batch here)
  run.gap[0] = a * a - c * c;
  const double decay = 1 - p.lr * p.wd;
  std::int64_t position = 0;  // into the epoch's order
  for (std::int64_t t = 0; t < p.steps; ++t) {
    if (position == 0) {
      std::iota(order.begin(), order.end(), 0);
      if (b < n) nn::shuffle(order.data(), n, stream);
    }
    const std::int64_t count = std::min(b, n - position);
    const double ab = a * c;
    double sum = 0;
    for (std::int64_t s = position; s < position + count; ++s) {
      const double x = data.x[sz(order[sz(s)])];
      sum += (ab * x - data.y) * x;
    }
    const double m = sum / static_cast<double>(count);
    position = position + count == n ? 0 : position + count;
    // Gradient of the batch mean of (abx − y)²: (2cm, 2am); clipped globally, then coupled decay.
    double ga = 2 * c * m, gb = 2 * a * m, factor = 1;
    if (p.clip > 0) {
      const double norm = std::sqrt(ga * ga + gb * gb);
      factor = std::min(1.0, p.clip / (norm + 1e-6));
      ga *= factor;
      gb *= factor;
    }
    const double gap = a * a - c * c;
    const double a_next = a - p.lr * (ga + p.wd * a), c_next = c - p.lr * (gb + p.wd * c);
    a = a_next;
    c = c_next;
    const double next = a * a - c * c;
    run.gap[sz(t) + 1] = next;
    if (std::fabs(gap) >= 0.01) {
      const double law = gap * (decay * decay - 4 * p.lr * p.lr * factor * factor * m * m);
      run.law_error = std::max(run.law_error, std::fabs(next - law) / std::fabs(gap));
    }
    if (!std::isfinite(next)) {
      run.law_error = nan;
      break;
    }
  }
  run.a = a;
  run.b = c;
  return run;
}

namespace {

// The driver's view of an mlp problem.
nn::TrainSpec train_spec(const Problem& p) {
  nn::TrainSpec spec;
  spec.network.input = static_cast<int>(p.d);
  for (std::int64_t l = 0; l < p.depth; ++l)
    spec.network.layers.push_back({static_cast<int>(p.width), false, true, true, false});
  spec.network.layers.push_back({1, false, true, true, false});
  spec.network.activation = nn::Activation{p.activation, 0};
  spec.loss = nn::LossKind::mse;
  spec.optimizer.kind = nn::OptimizerSpec::Kind::sgd;
  spec.optimizer.lr = p.lr;
  spec.optimizer.batch = p.effective_batch();
  spec.optimizer.clip = p.clip;
  spec.optimizer.weight_decay = p.wd;
  return spec;
}

// What a task keeps from its last measurement besides the driver's metrics.
struct Final {
  double initial_irrelevant = nan;
  std::vector<double> gram, stable_ranks, weights;
};

template <typename T>
std::vector<TaskResult> train_mlp(const Problem& p, const std::vector<Replica>& replicas,
                                  const RunOptions& options, const Observer& observer,
                                  nn::RunStats* stats) {
  constexpr int pack_lanes = nn::default_lanes<T>;
  constexpr auto lanes = static_cast<std::size_t>(pack_lanes);
  const std::int64_t n = p.n_train, points = p.points(), d = p.d, width = p.width;
  nn::Plan plan;
  plan.train = train_spec(p);
  plan.n_train = points;
  plan.schedule = {nn::Schedule::Unit::steps, p.steps, p.log_points, nn::Schedule::Spacing::log};
  plan.init = [](const nn::ParamGroup&) { return nn::Init::he_normal(1); };
  plan.metrics = metric_count;
  const nn::Layout layout(plan.train.network);
  const std::size_t n_points = sz(plan.schedule.length());

  std::vector<Data> data;
  std::size_t first = 0;
  std::vector<Final> finals(replicas.size());
  nn::Hooks<T> hooks;
  hooks.streams = [&](std::size_t r) {
    return nn::ReplicaStreams{replicas[r].stream(rng::Purpose::init, seed_of(replicas[r])),
                              replicas[r].stream(rng::Purpose::batch_order, seed_of(replicas[r]))};
  };
  hooks.begin_pack = [&](std::size_t pack_first, int count) {
    first = pack_first;
    data.clear();
    for (int r = 0; r < count; ++r) data.push_back(make_data(p, replicas[first + sz(r)]));
  };
  hooks.setup = [&](nn::LaneSetup<T>& lane) {
    const Data& lane_data = data[lane.replica() - first];
    for (std::int64_t s = 0; s < points; ++s) {
      const std::int64_t i = s < n ? s : s - n;
      for (int j = 0; j < d; ++j)
        lane.input(s, j) = static_cast<T>(lane_data.x[sz(i) * sz(d) + sz(j)]);
      lane.target(s, 0) = static_cast<T>(lane_data.label(s, n));
    }
  };
  std::vector<double> theta(layout.size);
  hooks.measure = [&](nn::Evaluation<T>& e) {
    nn::Pack<T>& pack = e.pack();
    alignas(64) double loss[pack_lanes];
    nn::eval::loss_sum<T, pack_lanes>(nn::LossKind::mse, e.train_outputs(), pack.targets(), points,
                                      1, loss);
    const bool last = e.point() + 1 == n_points;
    for (int lane = 0; lane < e.real(); ++lane) {
      if (!e.live(lane)) continue;
      const double mse_value = loss[lane] / static_cast<double>(points);
      if (!std::isfinite(mse_value)) {
        e.diverge(lane, cat("the training MSE became ", mse_value, " by step ", e.position()));
        continue;
      }
      for (std::size_t q = 0; q < layout.size; ++q)
        theta[q] = static_cast<double>(pack.parameters()[q * lanes + sz(lane)]);
      const double* w1 = theta.data() + layout.weights[0];
      const FirstLayer f = first_layer(w1, width, d, p.relevant);
      e.metric(irrelevant_norm)[lane] = f.irrelevant;
      e.metric(relevant_norm)[lane] = f.relevant;
      e.metric(support_ratio)[lane] = f.support_ratio;
      e.metric(mse)[lane] = mse_value;
      Final& keep = finals[e.replica(lane)];
      if (e.point() == 0) keep.initial_irrelevant = f.irrelevant;
      if (last) {
        keep.gram.assign(sz(d) * sz(d), 0.0);
        for (std::int64_t j = 0; j < d; ++j)
          for (std::int64_t k = 0; k < d; ++k) {
            double s = 0;
            for (std::int64_t i = 0; i < width; ++i)
              s = std::fma(w1[sz(i) * sz(d) + sz(j)], w1[sz(i) * sz(d) + sz(k)], s);
            keep.gram[sz(j) * sz(d) + sz(k)] = std::fabs(s);
          }
        keep.stable_ranks.clear();
        for (std::int64_t l = 0; l <= p.depth; ++l)
          keep.stable_ranks.push_back(stable_rank(theta.data() + layout.weights[sz(l)],
                                                  l == p.depth ? 1 : width, l == 0 ? d : width));
        if (p.save_weights) keep.weights = theta;
      }
      if (observer) {
        double values[metric_count];
        for (std::size_t q = 0; q < metric_count; ++q) values[q] = e.metric(q)[lane];
        observer(Observation{e.replica(lane), e.position(), theta, values});
      }
    }
  };

  const std::vector<nn::ReplicaRun> runs =
      nn::train_replicas<T>(plan, hooks, replicas.size(), {options.pack, options.cancel, stats});
  grid::ColumnSet columns(grid::ColumnOptions{p.save_weights});
  const Columns ids = declare(p, columns);
  std::vector<TaskResult> results;
  results.reserve(runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const nn::ReplicaRun& run = runs[r];
    if (run.status == nn::ReplicaRun::Status::pending) {
      results.push_back(TaskResult::pending());
      continue;
    }
    TaskResult result;
    result.status =
        run.status == nn::ReplicaRun::Status::diverged ? Status::diverged : Status::done;
    result.error = run.reason;
    grid::Row& row = result.row = columns.row();
    const std::size_t count = run.points.size();
    for (std::size_t q = 0; q < metric_count; ++q) {
      row.set(ids.metric[q], run.final[q]);
      std::copy_n(run.curves.begin() + static_cast<std::ptrdiff_t>(q * count), count,
                  row.curve(ids.curve[q]).begin());
    }
    row.set(ids.rho, run.final[irrelevant_norm] / finals[r].initial_irrelevant);
    const auto steps = row.curve(ids.curve_step);
    for (std::size_t i = 0; i < count; ++i) steps[i] = static_cast<double>(run.points[i]);
    row.set(ids.lr_over_batch, p.lr / static_cast<double>(p.effective_batch()));
    if (result.status == Status::done) {
      std::copy(finals[r].gram.begin(), finals[r].gram.end(), row.array(ids.gram).data());
      std::copy(finals[r].stable_ranks.begin(), finals[r].stable_ranks.end(),
                row.curve(ids.stable_rank).begin());
      if (ids.weights)
        std::copy(finals[r].weights.begin(), finals[r].weights.end(),
                  row.curve(ids.weights).begin());
    }
    results.push_back(std::move(result));
  }
  return results;
}

std::vector<TaskResult> train_toy(const Problem& p, const std::vector<Replica>& replicas,
                                  const RunOptions& options) {
  grid::ColumnSet columns(grid::ColumnOptions{p.save_weights});
  const Columns ids = declare(p, columns);
  const std::vector<std::int64_t> schedule = nn::log_schedule(p.steps, p.log_points);
  std::vector<TaskResult> results;
  for (const Replica& replica : replicas) {
    if (options.cancel != nullptr && options.cancel->load()) {
      results.push_back(TaskResult::pending());
      continue;
    }
    const ToyData data = make_toy_data(p, replica);
    const ToyRun run = run_toy(p, data, replica);
    TaskResult result;
    grid::Row& row = result.row = columns.row();
    const auto mse_of = [&](double a, double b) {
      double s = 0;
      for (const double x : data.x) s += (a * b * x - data.y) * (a * b * x - data.y);
      return s / static_cast<double>(p.n_train);
    };
    const double gap = run.gap.back();
    row.set(ids.toy_gap, gap);
    row.set(ids.toy_law_error, run.law_error);
    row.set(ids.metric[mse], mse_of(run.a, run.b));
    const std::int64_t half = p.steps / 2;
    const double earlier = run.gap[sz(p.steps - half)];
    row.set(ids.decay_rate, half > 0 && gap / earlier > 0
                                ? -std::log(gap / earlier) / static_cast<double>(half)
                                : nan);
    row.set_theory(ids.theory_decay_rate, toy_theory_rate(p, data), grid::TheoryKind::lo);
    row.set(ids.lr_over_batch, p.lr / static_cast<double>(p.effective_batch()));
    const auto steps = row.curve(ids.curve_step);
    const auto gaps = row.curve(ids.curve_toy_gap);
    for (std::size_t i = 0; i < schedule.size(); ++i) {
      steps[i] = static_cast<double>(schedule[i]);
      gaps[i] = run.gap[sz(schedule[i])];
    }
    if (ids.weights) {
      row.curve(ids.weights)[0] = run.a;
      row.curve(ids.weights)[1] = run.b;
    }
    if (!std::isfinite(gap)) {
      result.status = Status::diverged;
      result.error = "the toy's parameters became NaN/inf";
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace

std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, const Observer& observer,
                              nn::RunStats* stats) {
  if (problem.model == Model::toy) return train_toy(problem, replicas, options);
  return problem.single_precision ? train_mlp<float>(problem, replicas, options, observer, stats)
                                  : train_mlp<double>(problem, replicas, options, observer, stats);
}

}  // namespace nnsweep::experiments::support
