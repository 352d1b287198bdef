// symmetry: teacher, data, classification and the kernel behind run() — first-order training on
// the replica-training driver (nn/driver.hpp), a second-order polish in double (nn/polish.hpp)
// through the driver's Polisher hook, then per replica the end point's loss, gradient, exact
// Hessian spectrum (nn/reference.hpp) and classification (papers_CE.md §C.6).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/symmetry.hpp"
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/nn/evaluate.hpp"

namespace nnsweep::experiments::symmetry {

namespace {

std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}

double norm_of(const double* a, std::int64_t n) {
  double s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += a[j] * a[j];
  return std::sqrt(s);
}

double distance_of(const double* a, const double* b, std::int64_t n) {
  double s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return std::sqrt(s);
}

double cosine_of(const double* a, const double* b, std::int64_t n) {
  double s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += a[j] * b[j];
  return s / (norm_of(a, n) * norm_of(b, n));
}

}  // namespace

Teacher make_teacher(std::int64_t r, std::int64_t d, nn::NormalSampler& normal) {
  if (r < 1 || d < 1) throw config_error(cat("teacher: r = ", r, ", d = ", d, ": need r, d >= 1"));
  Teacher t;
  t.r = r;
  t.d = d;
  t.w.resize(sz(r) * sz(d));
  t.a.resize(sz(r));
  const double sd = 1 / std::sqrt(static_cast<double>(d));
  for (int attempt = 0; attempt < 100000; ++attempt) {
    for (double& x : t.w) x = sd * normal();
    for (double& x : t.a) x = normal();
    bool ok = true;
    for (std::int64_t i = 0; i < r && ok; ++i) {
      ok = std::fabs(t.a[sz(i)]) > 0.1;
      for (std::int64_t k = 0; k < i && ok; ++k)
        ok = 1 - cosine_of(t.w.data() + sz(i) * sz(d), t.w.data() + sz(k) * sz(d), d) > 0.05;
    }
    if (ok) return t;
    ++t.redraws;
  }
  throw config_error(cat("teacher_width = ", r, " with d = ", d,
                         ": no well-separated teacher (pairwise 1 - cos > 0.05) in 100000 draws "
                         "— raise d or lower teacher_width"));
}

nn::NetworkSpec student_network(std::int64_t m, std::int64_t d, const nn::Activation& activation) {
  nn::NetworkSpec network;
  network.input = static_cast<int>(d);
  network.layers = {{static_cast<int>(m), false, true, true, false}, {1, false, true, true, false}};
  network.activation = activation;
  return network;
}

Eigen::VectorXd parameters(const std::vector<double>& w, const std::vector<double>& a) {
  Eigen::VectorXd theta(static_cast<Eigen::Index>(w.size() + a.size()));
  std::copy(w.begin(), w.end(), theta.data());
  std::copy(a.begin(), a.end(), theta.data() + w.size());
  return theta;
}

Data make_data(const Teacher& teacher, std::int64_t n, const nn::Activation& activation,
               nn::NormalSampler& normal, bool single) {
  Data data;
  data.teacher = teacher;
  const std::int64_t d = teacher.d;
  data.samples.x.resize(n, d);
  data.samples.y.resize(n, 1);
  for (std::int64_t s = 0; s < n; ++s)
    for (std::int64_t j = 0; j < d; ++j) {
      double x = normal();
      if (single) x = static_cast<double>(static_cast<float>(x));
      data.samples.x(s, j) = x;
    }
  const nn::ReferenceModel model(student_network(teacher.r, d, activation), nn::LossKind::mse);
  const Eigen::MatrixXd y = model.outputs(parameters(teacher.w, teacher.a), data.samples.x);
  double mean = 0;
  for (std::int64_t s = 0; s < n; ++s) {
    double v = y(s, 0);
    if (single) v = static_cast<double>(static_cast<float>(v));
    data.samples.y(s, 0) = v;
    mean += v;
  }
  mean /= static_cast<double>(n);
  double var = 0;
  for (std::int64_t s = 0; s < n; ++s)
    var += (data.samples.y(s, 0) - mean) * (data.samples.y(s, 0) - mean);
  data.variance = var / static_cast<double>(n);
  return data;
}

Data make_data(const Problem& p, const Replica& replica) {
  nn::NormalSampler normal(
      replica.stream(rng::Purpose::data, static_cast<std::uint64_t>(p.teacher_seed)));
  const Teacher teacher = make_teacher(p.r, p.d, normal);
  return make_data(teacher, p.n_train, p.activation, normal, p.single_precision);
}

std::string Classification::subspace() const {
  std::string out;
  for (std::size_t j = 0; j < map.size(); ++j) {
    if (j > 0) out += ',';
    out += map[j] < 0 ? std::string("-") : std::to_string(map[j]);
  }
  return out;
}

Classification classify(const Teacher& teacher, const Eigen::VectorXd& theta, std::int64_t m) {
  const std::int64_t d = teacher.d, r = teacher.r;
  if (theta.size() != m * (d + 1))
    throw config_error(
        cat("classify: ", theta.size(), " parameters for width ", m, " and d = ", d));
  const double* w = theta.data();
  const double* a = theta.data() + m * d;
  double a_star_max = 0, a_star_sum = 0;
  for (const double x : teacher.a) {
    a_star_max = std::max(a_star_max, std::fabs(x));
    a_star_sum += std::fabs(x);
  }
  (void)a_star_sum;
  // Merge neurons with (nearly) equal w: union-find over pairs within merge_tolerance.
  std::vector<std::int64_t> parent(sz(m));
  std::iota(parent.begin(), parent.end(), 0);
  const auto root = [&](std::int64_t j) {
    while (parent[sz(j)] != j) j = parent[sz(j)] = parent[sz(parent[sz(j)])];
    return j;
  };
  for (std::int64_t j = 0; j < m; ++j)
    for (std::int64_t k = 0; k < j; ++k) {
      const double* wj = w + j * d;
      const double* wk = w + k * d;
      const double scale = std::max(norm_of(wj, d), norm_of(wk, d));
      if (distance_of(wj, wk, d) <= merge_tolerance * scale) parent[sz(root(j))] = root(k);
    }
  Classification c;
  c.map.assign(sz(m), -1);
  std::vector<bool> covered(sz(r), false);
  std::vector<double> sum_a(sz(r), 0.0);
  std::vector<int> group_size(sz(r), 0);
  double distance2 = 0;
  for (std::int64_t g = 0; g < m; ++g) {
    if (root(g) != g) continue;
    // The merged neuron: mean w, summed a.
    std::vector<double> centre(sz(d), 0.0);
    double a_sum = 0;
    int members = 0;
    for (std::int64_t j = 0; j < m; ++j)
      if (root(j) == g) {
        for (std::int64_t q = 0; q < d; ++q) centre[sz(q)] += w[j * d + q];
        a_sum += a[j];
        ++members;
      }
    for (double& x : centre) x /= members;
    int label = -1;
    for (std::int64_t i = 0; i < r && label < 0; ++i) {
      const double* wi = teacher.w.data() + sz(i) * sz(d);
      if (distance_of(centre.data(), wi, d) < replica_tolerance * norm_of(wi, d))
        label = static_cast<int>(i) + 1;
    }
    if (label < 0 && std::fabs(a_sum) < zero_tolerance * a_star_max) label = 0;
    for (std::int64_t j = 0; j < m; ++j)
      if (root(j) == g) c.map[sz(j)] = label;
    if (label == 0) {
      c.zero_type += members;
      for (std::int64_t j = 0; j < m; ++j)
        if (root(j) == g) distance2 += a[j] * a[j];
    } else {
      ++c.r_hat;
      c.reduced_w.insert(c.reduced_w.end(), centre.begin(), centre.end());
      c.reduced_a.push_back(a_sum);
    }
    if (label > 0) {
      const auto i = sz(label - 1);
      covered[i] = true;
      sum_a[i] += a_sum;
      group_size[i] += members;
      for (std::int64_t j = 0; j < m; ++j)
        if (root(j) == g) {
          const double dist = distance_of(w + j * d, teacher.w.data() + i * sz(d), d);
          distance2 += dist * dist;
        }
    }
  }
  bool onto = true, outputs_match = true, others = false;
  for (std::int64_t i = 0; i < r; ++i) {
    onto = onto && covered[sz(i)];
    if (!covered[sz(i)]) continue;
    const double mismatch = sum_a[sz(i)] - teacher.a[sz(i)];
    outputs_match =
        outputs_match && std::fabs(mismatch) < output_tolerance * std::fabs(teacher.a[sz(i)]);
    distance2 += mismatch * mismatch / group_size[sz(i)];
  }
  for (const int f : c.map) others = others || f < 0;
  c.on_manifold = onto && outputs_match && !others;
  // D: the others count as zero-type (their squared outputs), when the map is onto.
  if (onto) {
    for (std::int64_t j = 0; j < m; ++j)
      if (c.map[sz(j)] < 0) distance2 += a[j] * a[j];
    c.distance = std::sqrt(distance2);
  } else {
    c.distance = nan;
  }
  return c;
}

Spectrum spectrum(const Eigen::MatrixXd& hessian) {
  Spectrum s;
  if (hessian.size() == 0) return s;
  const Eigen::MatrixXd sym = 0.5 * (hessian + hessian.transpose());
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(sym, Eigen::EigenvaluesOnly);
  const Eigen::VectorXd& l = solver.eigenvalues();
  s.min = l.minCoeff();
  s.max = l.maxCoeff();
  const double tol = hessian_zero * l.cwiseAbs().maxCoeff();
  for (Eigen::Index i = 0; i < l.size(); ++i) {
    if (l[i] < -tol) ++s.negative;
    if (std::fabs(l[i]) <= tol) ++s.zero;
  }
  return s;
}

namespace {

nn::TrainSpec train_spec(const Problem& p) {
  nn::TrainSpec spec;
  spec.network = student_network(p.m, p.d, p.activation);
  spec.loss = nn::LossKind::mse;
  spec.optimizer.kind = p.adam ? nn::OptimizerSpec::Kind::adam : nn::OptimizerSpec::Kind::sgd;
  spec.optimizer.lr = p.lr;
  spec.optimizer.batch = p.n_train;
  return spec;
}

// The polish of one replica in double on the reference model (the cell's data, shared by its
// replicas); keeps the polished θ in double (a float pack stores it rounded).
class Polish final : public nn::Polisher {
 public:
  Polish(const nn::ReferenceModel& model, const nn::Samples& samples, nn::PolishOptions options,
         std::size_t replicas)
      : model_(model), samples_(samples), options_(options), theta_(replicas) {}
  nn::PolishResult polish(std::size_t replica, std::vector<double>& theta) override {
    const nn::NetworkObjective objective(
        model_, samples_,
        Eigen::Map<const Eigen::VectorXd>(theta.data(), static_cast<Eigen::Index>(theta.size())));
    Eigen::VectorXd u = objective.start();
    const nn::PolishResult result = nn::polish(objective, u, options_);
    const Eigen::VectorXd full = objective.full(u);
    std::copy(full.data(), full.data() + full.size(), theta.begin());
    theta_[replica] = full;
    return result;
  }
  const std::optional<Eigen::VectorXd>& theta(std::size_t replica) const { return theta_[replica]; }

 private:
  const nn::ReferenceModel& model_;
  const nn::Samples& samples_;
  nn::PolishOptions options_;
  std::vector<std::optional<Eigen::VectorXd>> theta_;
};

// Whether a non-converged end point is on a channel to infinity: two w's merging in cosine while
// one of their output weights is large.
bool on_channel(const Teacher& teacher, const Eigen::VectorXd& theta, std::int64_t m) {
  const std::int64_t d = teacher.d;
  double scale = 0;
  for (const double x : teacher.a) scale += std::fabs(x);
  const double* w = theta.data();
  const double* a = theta.data() + m * d;
  for (std::int64_t j = 0; j < m; ++j)
    for (std::int64_t k = 0; k < j; ++k)
      if (std::max(std::fabs(a[j]), std::fabs(a[k])) > channel_output * scale &&
          cosine_of(w + j * d, w + k * d, d) > 1 - channel_cosine)
        return true;
  return false;
}

template <typename T>
std::vector<TaskResult> train_typed(const Problem& p, const std::vector<Replica>& replicas,
                                    const RunOptions& options, nn::RunStats* stats) {
  constexpr int L = nn::default_lanes<T>;
  const std::int64_t n = p.n_train, d = p.d, m = p.m;
  if (replicas.empty()) return {};
  const Data data = make_data(p, replicas.front());
  nn::Plan plan;
  plan.train = train_spec(p);
  plan.n_train = n;
  plan.schedule = {nn::Schedule::Unit::steps, p.steps, 2, nn::Schedule::Spacing::log};
  plan.init = [](const nn::ParamGroup&) { return nn::Init::glorot_normal(); };
  plan.metrics = 1;  // the loss

  const nn::ReferenceModel model(plan.train.network, nn::LossKind::mse);
  nn::PolishOptions polish_options;
  if (p.polish) polish_options.method = *p.polish;
  polish_options.max_steps = static_cast<int>(p.polish_steps);
  Polish polisher(model, data.samples, polish_options, replicas.size());

  std::vector<Eigen::VectorXd> end(replicas.size());
  std::vector<double> before(replicas.size(), nan);
  nn::Hooks<T> hooks;
  hooks.streams = [&](std::size_t r) {
    const auto seed = static_cast<std::uint64_t>(replicas[r].seed);
    return nn::ReplicaStreams{replicas[r].stream(rng::Purpose::init, seed),
                              replicas[r].stream(rng::Purpose::batch_order, seed)};
  };
  hooks.setup = [&](nn::LaneSetup<T>& lane) {
    for (std::int64_t s = 0; s < n; ++s) {
      for (int j = 0; j < d; ++j) lane.input(s, j) = static_cast<T>(data.samples.x(s, j));
      lane.target(s, 0) = static_cast<T>(data.samples.y(s, 0));
    }
  };
  hooks.measure = [&](nn::Evaluation<T>& e) {
    nn::eval::loss_sum<T, L>(nn::LossKind::mse, e.train_outputs(), e.pack().targets(), n, 1,
                             e.metric(0));
    const nn::Pack<T>& pack = e.pack();
    for (int lane = 0; lane < e.real(); ++lane) {
      if (!e.live(lane)) continue;
      double& value = e.metric(0)[lane];
      value /= static_cast<double>(n);
      if (!std::isfinite(value)) {
        e.diverge(lane, cat("the loss became ", value, " by step ", e.position()));
        continue;
      }
      Eigen::VectorXd& theta = end[e.replica(lane)];
      theta.resize(static_cast<Eigen::Index>(pack.layout().size));
      for (Eigen::Index q = 0; q < theta.size(); ++q)
        theta[q] = static_cast<double>(pack.parameter(static_cast<std::size_t>(q), lane));
      if (e.kind() == nn::Evaluation<T>::Kind::point) before[e.replica(lane)] = value;
    }
  };
  if (p.polish) hooks.polish = &polisher;

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
    const auto set = [&](Metric q, double value) { row.set(ids.metric[q], value); };
    set(target_variance, data.variance);
    set(train_loss, before[r]);
    if (run.status == nn::ReplicaRun::Status::done && end[r].size() > 0) {
      const Eigen::VectorXd theta = polisher.theta(r) ? *polisher.theta(r) : end[r];
      const auto evaluation = model.evaluate(theta, data.samples, nn::Curvature::hessian);
      set(loss, evaluation.value);
      set(grad_norm, evaluation.gradient.lpNorm<Eigen::Infinity>());
      set(zero_loss_flag, evaluation.value <= zero_loss * data.variance ? 1 : 0);
      const Spectrum s = spectrum(evaluation.curvature);
      set(hessian_min, s.min);
      set(hessian_max, s.max);
      set(hessian_negative, s.negative);
      set(hessian_zero_count, s.zero);
      const Classification c = classify(data.teacher, theta, m);
      set(on_manifold, c.on_manifold ? 1 : 0);
      set(zero_type, c.zero_type);
      set(r_hat, c.r_hat);
      set(manifold_distance, c.distance);
      row.set_text(ids.subspace, c.subspace());
      double reduced = 0;
      if (c.r_hat > 0) {
        const nn::ReferenceModel small(student_network(c.r_hat, d, p.activation),
                                       nn::LossKind::mse);
        reduced = small.gradient(parameters(c.reduced_w, c.reduced_a), data.samples)
                      .lpNorm<Eigen::Infinity>();
      }
      set(reduced_grad_norm, reduced);
      set(reduced_critical, reduced < critical_tolerance ? 1 : 0);
      if (c.on_manifold)
        row.set_theory(ids.theory_hessian_zero,
                       static_cast<double>((m - p.r) * (d + 1) - c.zero_type),
                       grid::TheoryKind::exact);
      if (run.polish) {
        nn::PolishOutcome outcome = run.polish->outcome;
        if (outcome != nn::PolishOutcome::converged && on_channel(data.teacher, theta, m))
          outcome = nn::PolishOutcome::channel;
        set(polish_outcome, static_cast<double>(outcome));
        set(polish_steps_used, run.polish->steps);
      }
      if (ids.weights)
        std::copy(theta.data(), theta.data() + theta.size(), row.curve(ids.weights).begin());
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace

std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, nn::RunStats* stats) {
  return problem.single_precision ? train_typed<float>(problem, replicas, options, stats)
                                  : train_typed<double>(problem, replicas, options, stats);
}

}  // namespace nnsweep::experiments::symmetry
