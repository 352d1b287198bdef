// splines: the kernel behind run() — one cell's data and model handed to the replica-training
// driver (nn/driver.hpp), with weight decay per lane (λ = wd_rel·λ_max differs between the seeds
// of a cell), the metrics of each replica at every evaluation step (splines_measure.cpp) and the
// theory of its data.
#include <algorithm>
#include <cmath>
#include <memory>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/nn/schedule.hpp"
#include "splines_model.hpp"

namespace nnsweep::experiments::splines {

namespace {

std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}

// One replica's row (declare()'s columns).
TaskResult to_task_result(const Problem& p, const nn::ReplicaRun& run, const Data& data,
                          const Theory& th, const std::vector<double>& theta,
                          const grid::ColumnSet& columns, const Columns& ids) {
  if (run.status == nn::ReplicaRun::Status::pending) return TaskResult::pending();
  TaskResult result;
  result.status = run.status == nn::ReplicaRun::Status::diverged ? Status::diverged : Status::done;
  result.error = run.reason;
  grid::Row& row = result.row = columns.row();
  const std::size_t points = run.points.size();
  for (std::size_t q = 0; q < metric_count; ++q) row.set(ids.metric[q], run.final[q]);
  for (std::size_t c = 0; c < curve_metrics.size(); ++c)
    std::copy_n(run.curves.begin() + static_cast<std::ptrdiff_t>(curve_metrics[c] * points), points,
                row.curve(ids.curve[c]).begin());
  const auto steps = row.curve(ids.curve_step);
  for (std::size_t i = 0; i < points; ++i) steps[i] = static_cast<double>(run.points[i]);
  row.set(ids.lambda, th.lambda);
  // Theory of the task's data.
  const bool pn = p.reg_mode == RegMode::pn;
  if (!std::isnan(th.objective))
    row.set_theory(
        ids.theory_objective, th.objective,
        pn ? grid::TheoryKind::exact
           : (p.reg_mode == RegMode::bf ? grid::TheoryKind::bound : grid::TheoryKind::numerical));
  if (!std::isnan(th.tv)) row.set_theory(ids.theory_tv, th.tv, grid::TheoryKind::exact);
  if (!std::isnan(th.tv_optimum))
    row.set_theory(ids.theory_tv_optimum, th.tv_optimum, grid::TheoryKind::exact);
  if (!std::isnan(th.knots)) row.set_theory(ids.theory_knots, th.knots, grid::TheoryKind::exact);
  if (!std::isnan(th.lambda_max))
    row.set_theory(ids.lambda_max, th.lambda_max, grid::TheoryKind::exact);
  const double j = run.final[objective];
  if (th.objective > 0) row.set(ids.objective_ratio, j / th.objective);
  std::copy(data.t.begin(), data.t.end(), row.curve(ids.data_x).begin());
  std::copy(data.y.begin(), data.y.end(), row.curve(ids.data_y).begin());
  const std::vector<double> grid_t = function_grid(p);
  std::copy(grid_t.begin(), grid_t.end(), row.curve(ids.function_x).begin());
  if (theta.empty()) return result;  // lost before the first measurement
  const Net net = unpack(p, theta);
  // Learned function along the line, distance to the optimum's fitted values, layer ranks.
  if (p.on_a_line()) {
    const auto fn = row.curve(ids.function);
    std::vector<double> x(sz(p.d));
    for (std::size_t i = 0; i < grid_t.size(); ++i) {
      for (std::size_t q = 0; q < x.size(); ++q) x[q] = grid_t[i] * data.u[q];
      fn[i] = net(x.data());
    }
    if (p.shallow()) {
      const Knots kn = knots(on_line(net, data.u), data.t, cluster_width(data.t));
      const auto location = row.curve(ids.knot_location), jump = row.curve(ids.knot_jump);
      for (std::size_t q = 0; q < kn.effective_clusters.size() && q < location.size(); ++q) {
        location[q] = kn.effective_clusters[q].location;
        jump[q] = kn.effective_clusters[q].jump;
      }
    }
    if (!th.z.empty()) {
      double gap = 0;
      for (std::size_t i = 0; i < th.z.size(); ++i)
        gap = std::max(gap, std::fabs(net(data.x.data() + i * sz(p.d)) - th.z[i]));
      row.set(ids.fit_gap, gap);
    }
  }
  const auto sr = row.curve(ids.stable_rank), nr = row.curve(ids.numerical_rank);
  for (std::size_t l = 0; l < net.w.size(); ++l) {
    const std::int64_t rows = l + 1 == net.w.size() ? 1 : p.width;
    const auto cols = static_cast<std::int64_t>(net.w[l].size()) / rows;
    sr[l] = stable_rank(net.w[l], rows, cols);
    nr[l] = numerical_rank(net.w[l], rows, cols);
  }
  if (ids.weights) std::copy(theta.begin(), theta.end(), row.curve(ids.weights).begin());
  return result;
}

template <typename T, int L = nn::default_lanes<T>>
std::vector<TaskResult> train_typed(const Problem& p, const std::vector<Replica>& replicas,
                                    const RunOptions& options, nn::RunStats* stats) {
  const std::int64_t n = p.n_points, d = p.d;
  nn::Plan plan;
  plan.train = train_spec(p);
  plan.n_train = n;
  plan.schedule = {nn::Schedule::Unit::steps, p.steps, p.log_points, nn::Schedule::Spacing::log};
  plan.init = init_rule(p);
  plan.metrics = metric_count;
  const std::size_t count = replicas.size();
  const auto seed_of = [&](std::size_t r) { return static_cast<std::uint64_t>(replicas[r].seed); };

  // Data and theory of every replica (cheap next to training), the latest parameters of each.
  std::vector<Data> data(count);
  std::vector<Theory> theory(count);
  for (std::size_t r = 0; r < count; ++r) {
    data[r] = make_data(p, replicas[r]);
    theory[r] = theory_of(p, data[r]);
  }
  std::vector<std::vector<double>> theta(count);
  const std::size_t size = nn::Layout(plan.train.network).size;

  nn::Hooks<T, L> hooks;
  hooks.streams = [&](std::size_t r) {
    const Replica& replica = replicas[r];
    return nn::ReplicaStreams{replica.stream(rng::Purpose::init, seed_of(r)),
                              replica.stream(rng::Purpose::batch_order, seed_of(r))};
  };
  LaneDecay<T, L>* decay = nullptr;
  hooks.setup = [&](nn::LaneSetup<T, L>& lane) {
    if (lane.lane() == 0) {
      std::unique_ptr<nn::Optimizer<T, L>> inner;
      if (p.adam)
        inner = std::make_unique<nn::Adam<T, L>>(p.lr);
      else
        inner = std::make_unique<nn::Sgd<T, L>>(p.lr);
      auto optimizer = std::make_unique<LaneDecay<T, L>>(std::move(inner));
      decay = optimizer.get();
      lane.pack().set_optimizer(std::move(optimizer));
    }
    const std::size_t r = lane.replica();
    const Data& dr = data[r];
    for (std::int64_t s = 0; s < n; ++s) {
      for (int j = 0; j < d; ++j) lane.input(s, j) = static_cast<T>(dr.x[sz(s) * sz(d) + sz(j)]);
      lane.target(s, 0) = static_cast<T>(dr.y[sz(s)]);
    }
    decay->set_lambda(lane.lane(), theory[r].lambda);
  };
  std::vector<double> lane_theta(size);
  double metrics[metric_count];
  hooks.measure = [&](nn::Evaluation<T, L>& e) {
    const nn::Pack<T, L>& pack = e.pack();
    for (int lane = 0; lane < e.real(); ++lane) {
      if (!e.live(lane)) continue;
      const std::size_t r = e.replica(lane);
      for (std::size_t q = 0; q < size; ++q)
        lane_theta[q] = static_cast<double>(pack.parameter(q, lane));
      measure(p, data[r], theory[r].lambda, unpack(p, lane_theta), metrics);
      if (!std::isfinite(metrics[objective])) {
        e.diverge(lane,
                  cat("the objective became ", metrics[objective], " by step ", e.position()));
        continue;
      }
      for (std::size_t q = 0; q < metric_count; ++q) e.metric(q)[lane] = metrics[q];
      theta[r] = lane_theta;
    }
  };

  const std::vector<nn::ReplicaRun> runs =
      nn::train_replicas<T, L>(plan, hooks, count, {options.pack, options.cancel, stats});
  grid::ColumnSet columns(grid::ColumnOptions{p.save_weights});
  const Columns ids = declare(p, columns);
  std::vector<TaskResult> results;
  results.reserve(count);
  for (std::size_t r = 0; r < count; ++r)
    results.push_back(to_task_result(p, runs[r], data[r], theory[r], theta[r], columns, ids));
  return results;
}

}  // namespace

std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, nn::RunStats* stats) {
  return problem.single_precision ? train_typed<float>(problem, replicas, options, stats)
                                  : train_typed<double>(problem, replicas, options, stats);
}

}  // namespace nnsweep::experiments::splines
