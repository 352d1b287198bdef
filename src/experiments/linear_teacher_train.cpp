// linear_teacher: data, metrics and the kernel behind run() — the data and the model set-up of
// one cell handed to the replica-training driver (nn/driver.hpp), and the metrics of a whole
// pack at once (measure_lanes; `measure` is the same per replica in plain scalar code, the
// definition the tests hold it to).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/linear_teacher.hpp"
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/nn/evaluate.hpp"
#include "nnsweep/nn/loss.hpp"
#include "nnsweep/nn/random.hpp"
#include "nnsweep/nn/schedule.hpp"

namespace nnsweep::experiments::linear_teacher {

namespace {

std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}

double dot(const double* a, const double* b, std::int64_t n) {
  double s = 0;
  for (std::int64_t j = 0; j < n; ++j) s = std::fma(a[j], b[j], s);  // FMA whatever the -O level
  return s;
}

// Points x ~ N(0, I/d), kept when |⟨w*, x⟩| >= γ (margin > 0) or always (margin <= 0).
void draw_points(nn::NormalBlockSampler& normal, const std::vector<double>& teacher, double margin,
                 std::int64_t count, std::int64_t d, std::vector<double>& x,
                 std::vector<double>* y) {
  const double sd = 1 / std::sqrt(static_cast<double>(d));
  x.assign(sz(count) * sz(d), 0.0);
  if (y != nullptr) y->assign(sz(count), 0.0);
  for (std::int64_t s = 0; s < count; ++s) {
    double* p = x.data() + sz(s) * sz(d);
    double projection = 0;
    do {
      for (std::int64_t j = 0; j < d; ++j) p[j] = sd * normal();
      projection = dot(p, teacher.data(), d);
    } while (margin > 0 && std::fabs(projection) < margin);
    if (y != nullptr) (*y)[sz(s)] = projection > 0 ? 1.0 : -1.0;
  }
}

// Whether output `out` misclassifies a point of label y = ±1: y·out <= 0, and a NaN output too.
bool wrong(double y, double out) {
  return !(y * out > 0);
}

// ‖W‖₂/‖W‖_F of a row-major rows × cols matrix, from the eigenvalues of its smaller Gram matrix.
double rank_ratio_of(const double* w, std::int64_t rows, std::int64_t cols) {
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> wm(
      w, rows, cols);
  const Eigen::MatrixXd gram =
      rows < cols ? Eigen::MatrixXd(wm * wm.transpose()) : Eigen::MatrixXd(wm.transpose() * wm);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram, Eigen::EigenvaluesOnly);
  return std::sqrt(solver.eigenvalues().maxCoeff() / gram.trace());
}

}  // namespace

const char* metric_name(Metric metric) {
  static const char* const names[] = {
      "train_loss",        "train_error",  "test_error",  "align_mean", "align_min",
      "cohesion_mean",     "cohesion_min", "spread",      "agr_d",      "agr_g",
      "pattern_agreement", "rank_ratio",   "antipodality"};
  return metric < metric_count ? names[metric] : "?";
}

Data make_data(const Problem& p, const Replica& replica) {
  const auto seed = static_cast<std::uint64_t>(replica.seed);
  Data data;
  nn::NormalBlockSampler train(replica.stream(rng::Purpose::data, seed));
  data.teacher.resize(sz(p.d));
  for (double& t : data.teacher) t = train();
  const double norm = std::sqrt(dot(data.teacher.data(), data.teacher.data(), p.d));
  for (double& t : data.teacher) t /= norm;
  draw_points(train, data.teacher, p.gamma, p.n_train, p.d, data.x_train, &data.y_train);
  nn::NormalBlockSampler test(replica.stream(rng::Purpose::test_data, seed));
  draw_points(test, data.teacher, p.gamma, p.n_test, p.d, data.x_test, &data.y_test);
  nn::NormalBlockSampler probe(rng::Stream(
      replica.sweep_seed, replica.key(rng::Purpose::test_data) ^ 1, seed, rng::Purpose::test_data));
  draw_points(probe, data.teacher, 0, p.n_test, p.d, data.x_probe, nullptr);
  double max_norm2 = 0;
  for (std::int64_t s = 0; s < p.n_train; ++s) {
    const double* x = data.x_train.data() + sz(s) * sz(p.d);
    max_norm2 = std::max(max_norm2, dot(x, x, p.d));
  }
  data.scale = std::sqrt(max_norm2);
  // Rescale, then round to the run's precision: the metrics see exactly what the network sees.
  for (std::vector<double>* set : {&data.x_train, &data.x_test, &data.x_probe})
    for (double& x : *set) {
      x /= data.scale;
      if (p.single_precision) x = static_cast<double>(static_cast<float>(x));
    }
  return data;
}

std::vector<std::int64_t> evaluation_epochs(const Problem& problem) {
  return nn::log_schedule(problem.epochs, problem.log_points);
}

void measure(const Problem& p, const Data& data, const std::vector<double>& w,
             const std::vector<double>& out_train, const std::vector<double>& out_test,
             const std::vector<double>& out_probe, double* metrics) {
  const std::int64_t k = p.k, d = p.d, hidden = 2 * p.k, n = p.n_train, m = p.n_test;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Losses and errors from the network outputs.
  double loss_sum = 0, train_wrong = 0, test_wrong = 0;
  for (std::int64_t s = 0; s < n; ++s) {
    loss_sum += nn::loss::value(p.loss, out_train[sz(s)], data.y_train[sz(s)]);
    train_wrong += wrong(data.y_train[sz(s)], out_train[sz(s)]) ? 1 : 0;
  }
  for (std::int64_t s = 0; s < m; ++s)
    test_wrong += wrong(data.y_test[sz(s)], out_test[sz(s)]) ? 1 : 0;
  metrics[train_loss] = loss_sum / static_cast<double>(n);
  metrics[train_error] = train_wrong / static_cast<double>(n);
  metrics[test_error] = test_wrong / static_cast<double>(m);
  // Directions: ŵ_i, alignment with the teacher, cluster centres of the unit vectors (cohesion)
  // and of the raw vectors (spread, β, antipodality).
  std::vector<double> unit(sz(hidden) * sz(d)), mean(2 * sz(d), 0.0), centre(2 * sz(d), 0.0);
  double align_sum = 0, align_least = std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < hidden; ++i) {
    const double* wi = w.data() + sz(i) * sz(d);
    const double norm = std::sqrt(dot(wi, wi, d));
    const std::size_t g = i < k ? 0 : 1;
    for (std::int64_t j = 0; j < d; ++j) {
      unit[sz(i) * sz(d) + sz(j)] = wi[j] / norm;
      centre[g * sz(d) + sz(j)] += wi[j] / norm;
      mean[g * sz(d) + sz(j)] += wi[j] / static_cast<double>(k);
    }
    const double a = (i < k ? 1 : -1) * dot(unit.data() + sz(i) * sz(d), data.teacher.data(), d);
    align_sum += a;
    align_least = std::min(align_least, a);  // NaN-safe below: a NaN weight makes the sum NaN
  }
  metrics[align_mean] = align_sum / static_cast<double>(hidden);
  metrics[align_min] = std::isfinite(align_sum) ? align_least : nan;
  double cohesion_sum = 0, cohesion_least = std::numeric_limits<double>::infinity(),
         spread_most = 0;
  for (std::size_t g = 0; g < 2; ++g) {
    const double* c = centre.data() + g * sz(d);
    const double c_norm = std::sqrt(dot(c, c, d));
    const double* mu = mean.data() + g * sz(d);
    const double mu_norm = std::sqrt(dot(mu, mu, d));
    for (std::int64_t i = static_cast<std::int64_t>(g) * k;
         i < static_cast<std::int64_t>(g + 1) * k; ++i) {
      const double coh = dot(unit.data() + sz(i) * sz(d), c, d) / c_norm;
      cohesion_sum += coh;
      cohesion_least = std::min(cohesion_least, coh);
      double dist2 = 0;
      for (std::int64_t j = 0; j < d; ++j) {
        const double diff = w[sz(i) * sz(d) + sz(j)] - mu[j];
        dist2 = std::fma(diff, diff, dist2);  // as the lanes: explicit FMA
      }
      spread_most = std::max(spread_most, std::sqrt(dist2) / mu_norm);
    }
  }
  const bool finite = std::isfinite(cohesion_sum);
  metrics[cohesion_mean] = cohesion_sum / static_cast<double>(hidden);
  metrics[cohesion_min] = finite ? cohesion_least : nan;
  metrics[spread] = finite ? spread_most : nan;
  // Linearity: does sign N(x) agree with the linear rule sign⟨w̄₊ − w̄₋, x⟩?
  std::vector<double> beta(sz(d));
  for (std::int64_t j = 0; j < d; ++j) beta[sz(j)] = mean[sz(j)] - mean[sz(d) + sz(j)];
  const auto agreement = [&](const std::vector<double>& x, const std::vector<double>& out) {
    double agree = 0;
    for (std::int64_t s = 0; s < m; ++s)
      agree += (out[sz(s)] > 0) == (dot(beta.data(), x.data() + sz(s) * sz(d), d) > 0) ? 1 : 0;
    return agree / static_cast<double>(m);
  };
  metrics[agr_d] = finite ? agreement(data.x_test, out_test) : nan;
  metrics[agr_g] = finite ? agreement(data.x_probe, out_probe) : nan;
  // Pattern agreement: training points on which a whole group shares its activation sign.
  double shared[2] = {0, 0};
  for (std::int64_t s = 0; s < n; ++s) {
    const double* x = data.x_train.data() + sz(s) * sz(d);
    for (std::size_t g = 0; g < 2; ++g) {
      const std::int64_t first = static_cast<std::int64_t>(g) * k;
      const bool sign = dot(w.data() + sz(first) * sz(d), x, d) > 0;
      bool all = true;
      for (std::int64_t i = first + 1; i < first + k && all; ++i)
        all = (dot(w.data() + sz(i) * sz(d), x, d) > 0) == sign;
      shared[g] += all ? 1 : 0;
    }
  }
  metrics[pattern_agreement] =
      finite ? std::min(shared[0], shared[1]) / static_cast<double>(n) : nan;
  // ‖W‖₂/‖W‖_F from the smaller Gram matrix.
  metrics[rank_ratio] = finite ? rank_ratio_of(w.data(), hidden, d) : nan;
  const double* plus = mean.data();
  const double* minus = mean.data() + d;
  metrics[antipodality] =
      -dot(plus, minus, d) / std::sqrt(dot(plus, plus, d) * dot(minus, minus, d));
}

namespace {

nn::TrainSpec train_spec(const Problem& p) {
  nn::TrainSpec spec;
  spec.network.input = static_cast<int>(p.d);
  spec.network.layers = {{static_cast<int>(2 * p.k), false, true, true, false},
                         {1, false, p.train_second_layer, true, false}};
  spec.network.activation = nn::Activation{nn::ActivationKind::leaky_relu, p.alpha};
  spec.loss = p.loss;
  spec.optimizer.lr = p.lr;
  spec.optimizer.batch = p.batch;
  return spec;
}

// w_i = σ₀/√d · z_i (the standard normals z shared by every σ₀: the pairing of V-A4), and the
// second layer at +v for the first k units, −v for the others, v = 1/√(2k).
nn::InitRule init_rule(const Problem& p) {
  const double scale = p.sigma0 / std::sqrt(static_cast<double>(p.d));
  const double v = 1 / std::sqrt(static_cast<double>(2 * p.k));
  std::vector<double> second(sz(2 * p.k));
  for (std::int64_t i = 0; i < 2 * p.k; ++i) second[sz(i)] = i < p.k ? v : -v;
  return [scale, second](const nn::ParamGroup& group) {
    return group.layer == 0 ? nn::Init::normal(scale) : nn::Init::given(second);
  };
}

// The pack's data as the metrics read it: the real replicas' Data, the teachers [j][lane], and
// double scratch (first-layer weights, their unit vectors, inputs for the pattern counts).
template <int L>
struct PackData {
  std::vector<Data> data;
  nn::AlignedBuffer<double> teacher, beta, w, unit, x_train, positive;
};

// The metrics of `measure` for every lane of a pack at once: the same double operations per lane
// in the same order (FMA chains where `measure` has them: its inner products and squared
// distances), so the same bits; NaN lanes and non-finite groups handled by selects.
template <typename T, int L>
void measure_lanes(const Problem& p, PackData<L>& pd, nn::Evaluation<T, L>& e) {
  using D = nn::Vec<double, L>;
  using nn::select_finite;
  using nn::select_less;
  const std::int64_t k = p.k, hidden = 2 * p.k, n = p.n_train, m = p.n_test;
  const int d = static_cast<int>(p.d);
  const std::size_t lanes = L;
  const auto at = [&](std::int64_t row, std::int64_t col) {
    return (sz(row) * sz(d) + sz(col)) * lanes;
  };
  const auto store = [&](Metric q, const D& value) { value.store(e.metric(q)); };
  const auto metric = [&](Metric q) { return D::load(e.metric(q)); };
  const D zero = D::zero(), nan_v = D::broadcast(experiments::nan),
          infinity = D::broadcast(std::numeric_limits<double>::infinity());
  nn::Pack<T, L>& pack = e.pack();
  // Losses and errors from the network outputs.
  const T* out_train = e.train_outputs();
  nn::eval::loss_sum<T, L>(p.loss, out_train, pack.targets(), n, 1, e.metric(train_loss));
  nn::eval::count_misclassified<T, L>(out_train, pack.targets(), n, e.metric(train_error));
  const D n_d = D::broadcast(static_cast<double>(n)), m_d = D::broadcast(static_cast<double>(m));
  store(train_loss, metric(train_loss) / n_d);
  store(train_error, metric(train_error) / n_d);
  // First-layer weights in double.
  const T* w_pack = pack.parameters() + pack.layout().weights[0] * lanes;
  const double* w;
  if constexpr (std::is_same_v<T, double>) {
    w = w_pack;
  } else {
    nn::eval::widen(w_pack, sz(hidden) * sz(d) * lanes, pd.w.data());
    w = pd.w.data();
  }
  // Directions: ŵ_i, alignment with the teacher, cluster centres of the unit vectors (cohesion)
  // and of the raw vectors (spread, β, antipodality).
  double* unit = pd.unit.data();
  std::vector<D> centre(2 * sz(d), zero), mean(2 * sz(d), zero);
  const D k_d = D::broadcast(static_cast<double>(k));
  D align_sum = zero, align_least = infinity;
  for (std::int64_t i = 0; i < hidden; ++i) {
    const std::size_t g = i < k ? 0 : 1;
    D norm2 = zero;
    for (int j = 0; j < d; ++j) {
      const D x = D::load(w + at(i, j));
      norm2 = fma(x, x, norm2);
    }
    const D norm = sqrt(norm2);
    D a = zero;
    for (int j = 0; j < d; ++j) {
      const D x = D::load(w + at(i, j));
      const D u = x / norm;
      u.store(unit + at(i, j));
      centre[g * sz(d) + sz(j)] = centre[g * sz(d) + sz(j)] + u;
      mean[g * sz(d) + sz(j)] = mean[g * sz(d) + sz(j)] + x / k_d;
      a = fma(u, D::load(pd.teacher.data() + sz(j) * lanes), a);
    }
    if (i >= k) a = -a;
    align_sum = align_sum + a;
    align_least = select_less(a, align_least, a, align_least);
  }
  const D hidden_d = D::broadcast(static_cast<double>(hidden));
  store(align_mean, align_sum / hidden_d);
  store(align_min, select_finite(align_sum, align_least, nan_v));
  D cohesion_sum = zero, cohesion_least = infinity, spread_most = zero;
  for (std::size_t g = 0; g < 2; ++g) {
    const D* c = centre.data() + g * sz(d);
    const D* mu = mean.data() + g * sz(d);
    D c2 = zero, mu2 = zero;
    for (int j = 0; j < d; ++j) c2 = fma(c[j], c[j], c2);
    for (int j = 0; j < d; ++j) mu2 = fma(mu[j], mu[j], mu2);
    const D c_norm = sqrt(c2), mu_norm = sqrt(mu2);
    for (std::int64_t i = static_cast<std::int64_t>(g) * k;
         i < static_cast<std::int64_t>(g + 1) * k; ++i) {
      D dot = zero, dist2 = zero;
      for (int j = 0; j < d; ++j) dot = fma(D::load(unit + at(i, j)), c[j], dot);
      const D coh = dot / c_norm;
      cohesion_sum = cohesion_sum + coh;
      cohesion_least = select_less(coh, cohesion_least, coh, cohesion_least);
      for (int j = 0; j < d; ++j) {
        const D diff = D::load(w + at(i, j)) - mu[j];
        dist2 = fma(diff, diff, dist2);
      }
      const D spread_i = sqrt(dist2) / mu_norm;
      spread_most = select_less(spread_most, spread_i, spread_i, spread_most);
    }
  }
  store(cohesion_mean, cohesion_sum / hidden_d);
  store(cohesion_min, select_finite(cohesion_sum, cohesion_least, nan_v));
  store(spread, select_finite(cohesion_sum, spread_most, nan_v));
  // Linearity: does sign N(x) agree with the linear rule sign⟨w̄₊ − w̄₋, x⟩?
  for (int j = 0; j < d; ++j)
    (mean[sz(j)] - mean[sz(d) + sz(j)]).store(pd.beta.data() + sz(j) * lanes);
  const double* beta = pd.beta.data();
  // The test and probe sets stream through the network once, block by block: errors and
  // agreement counts (exact integers, in any order) read each block right after its forward pass.
  D wrong_test = zero, agree[2] = {zero, zero};
  alignas(64) double counted[L];
  const T* y_test = e.targets(0);
  for (std::size_t set = 0; set < 2; ++set)
    e.blocks(set, [&](std::int64_t s0, std::int64_t count, const T* x, const T* out) {
      if (set == 0) {
        nn::eval::count_misclassified<T, L>(out, y_test + sz(s0) * lanes, count, counted);
        wrong_test = wrong_test + D::load(counted);
      }
      nn::eval::count_sign_agreement<T, L>(out, x, beta, count, d, counted);
      agree[set] = agree[set] + D::load(counted);
    });
  store(test_error, wrong_test / m_d);
  store(agr_d, agree[0]);
  store(agr_g, agree[1]);
  store(agr_d, select_finite(cohesion_sum, metric(agr_d) / m_d, nan_v));
  store(agr_g, select_finite(cohesion_sum, metric(agr_g) / m_d, nan_v));
  // Pattern agreement: training points on which a whole group shares its activation sign, i.e.
  // on which the count of positive units of the group is 0 or k.
  const double* x_train;
  if constexpr (std::is_same_v<T, double>) {
    x_train = pack.inputs();
  } else {
    nn::eval::widen(pack.inputs(), sz(n) * sz(d) * lanes, pd.x_train.data());
    x_train = pd.x_train.data();
  }
  D shared[2] = {zero, zero};
  const D one = D::broadcast(1);
  for (std::size_t g = 0; g < 2; ++g) {
    nn::eval::count_positive<L>(w, x_train, d, static_cast<int>(g * sz(k)),
                                static_cast<int>((g + 1) * sz(k)), n, pd.positive.data());
    for (std::int64_t s = 0; s < n; ++s) {
      const D count = D::load(pd.positive.data() + sz(s) * lanes);
      shared[g] =
          shared[g] + nn::select_equal(count, zero, one, nn::select_equal(count, k_d, one, zero));
    }
  }
  store(pattern_agreement,
        select_finite(cohesion_sum, select_less(shared[1], shared[0], shared[1], shared[0]) / n_d,
                      nan_v));
  // Antipodality: cos(m₊, −m₋).
  D pm = zero, pp = zero, mm = zero;
  for (int j = 0; j < d; ++j) {
    const D plus = mean[sz(j)], minus = mean[sz(d) + sz(j)];
    pm = fma(plus, minus, pm);
    pp = fma(plus, plus, pp);
    mm = fma(minus, minus, mm);
  }
  store(antipodality, -pm / sqrt(pp * mm));
  // ‖W‖₂/‖W‖_F from the smaller Gram matrix, per live lane (Eigen, as `measure`).
  alignas(64) double finite_sum[L];
  cohesion_sum.store(finite_sum);
  std::vector<double> w_lane(sz(hidden) * sz(d));
  for (int lane = 0; lane < L; ++lane) {
    double& ratio = e.metric(rank_ratio)[lane];
    if (!e.live(lane) || !std::isfinite(finite_sum[lane])) continue;
    for (std::size_t q = 0; q < w_lane.size(); ++q) w_lane[q] = w[q * lanes + sz(lane)];
    ratio = rank_ratio_of(w_lane.data(), hidden, d);
  }
}

// One replica's row (declare()'s columns): the metrics after the last point, zero_error_epoch,
// the curves, curve_epoch and, with save_weights, the final weights.
TaskResult to_task_result(const nn::ReplicaRun& run, double zero_error_epoch,
                          const grid::ColumnSet& columns, const Columns& ids,
                          const std::vector<double>& weights) {
  if (run.status == nn::ReplicaRun::Status::pending) return TaskResult::pending();
  TaskResult result;
  result.status = run.status == nn::ReplicaRun::Status::diverged ? Status::diverged : Status::done;
  result.error = run.reason;
  grid::Row& row = result.row = columns.row();
  const std::size_t points = run.points.size();
  for (std::size_t q = 0; q < metric_count; ++q) {
    row.set(ids.metric[q], run.final[q]);
    std::copy_n(run.curves.begin() + static_cast<std::ptrdiff_t>(q * points), points,
                row.curve(ids.curve[q]).begin());
  }
  row.set(ids.zero_error_epoch, zero_error_epoch);
  const auto epoch_curve = row.curve(ids.curve_epoch);
  for (std::size_t i = 0; i < points; ++i) epoch_curve[i] = static_cast<double>(run.points[i]);
  if (ids.weights) std::copy(weights.begin(), weights.end(), row.curve(ids.weights).begin());
  return result;
}

template <typename T>
std::vector<TaskResult> train_typed(const Problem& p, const std::vector<Replica>& replicas,
                                    const RunOptions& options, const Observer& observer,
                                    nn::RunStats* stats) {
  constexpr int L = nn::default_lanes<T>;
  constexpr std::size_t lanes = L;
  const std::int64_t hidden = 2 * p.k, n = p.n_train, m = p.n_test, d = p.d;
  nn::Plan plan;
  plan.train = train_spec(p);
  plan.n_train = n;
  plan.schedule = {nn::Schedule::Unit::epochs, p.epochs, p.log_points, nn::Schedule::Spacing::log};
  plan.init = init_rule(p);
  plan.metrics = metric_count;
  plan.eval_sets = {{m, true}, {m, false}};  // 0: test set, 1: Gaussian probes
  const auto seed_of = [&](std::size_t r) { return static_cast<std::uint64_t>(replicas[r].seed); };

  PackData<L> pd;
  pd.teacher.resize(sz(d) * lanes);
  pd.beta.resize(sz(d) * lanes);
  pd.unit.resize(sz(hidden) * sz(d) * lanes);
  pd.positive.resize(sz(n) * lanes);
  if constexpr (!std::is_same_v<T, double>) {
    pd.w.resize(sz(hidden) * sz(d) * lanes);
    pd.x_train.resize(sz(n) * sz(d) * lanes);
  }
  std::vector<double> zero_error(replicas.size(), experiments::nan);
  std::size_t first = 0;

  nn::Hooks<T> hooks;
  hooks.streams = [&](std::size_t r) {
    const Replica& replica = replicas[r];
    return nn::ReplicaStreams{replica.stream(rng::Purpose::init, seed_of(r)),
                              replica.stream(rng::Purpose::batch_order, seed_of(r))};
  };
  hooks.begin_pack = [&](std::size_t pack_first, int count) {
    first = pack_first;
    pd.data.clear();
    for (int r = 0; r < count; ++r) pd.data.push_back(make_data(p, replicas[first + sz(r)]));
  };
  hooks.setup = [&](nn::LaneSetup<T>& lane) {
    const Data& data = pd.data[lane.replica() - first];
    for (std::int64_t s = 0; s < n; ++s) {
      for (int j = 0; j < d; ++j)
        lane.input(s, j) = static_cast<T>(data.x_train[sz(s) * sz(d) + sz(j)]);
      lane.target(s, 0) = static_cast<T>(data.y_train[sz(s)]);
    }
    for (std::int64_t s = 0; s < m; ++s) {
      for (int j = 0; j < d; ++j) {
        lane.eval_input(0, s, j) = static_cast<T>(data.x_test[sz(s) * sz(d) + sz(j)]);
        lane.eval_input(1, s, j) = static_cast<T>(data.x_probe[sz(s) * sz(d) + sz(j)]);
      }
      lane.eval_target(0, s, 0) = static_cast<T>(data.y_test[sz(s)]);
    }
    for (int j = 0; j < d; ++j) pd.teacher[sz(j) * lanes + sz(lane.lane())] = data.teacher[sz(j)];
  };
  // The observer's per-replica view (tests only).
  std::vector<double> w(sz(hidden) * sz(d)), v(sz(hidden)), o_train(sz(n)), o_test(sz(m)),
      o_probe(sz(m));
  double metrics[metric_count];
  const auto observe = [&](nn::Evaluation<T>& e, int lane) {
    const nn::Pack<T>& pack = e.pack();
    const auto lane_of = [&](const T* array, std::vector<double>& out) {
      for (std::size_t q = 0; q < out.size(); ++q)
        out[q] = static_cast<double>(array[q * lanes + sz(lane)]);
    };
    lane_of(pack.parameters() + pack.layout().weights[0] * lanes, w);
    lane_of(pack.parameters() + pack.layout().weights[1] * lanes, v);
    lane_of(e.train_outputs(), o_train);
    lane_of(e.outputs(0), o_test);
    lane_of(e.outputs(1), o_probe);
    for (std::size_t q = 0; q < metric_count; ++q) metrics[q] = e.metric(q)[lane];
    observer(Observation{e.replica(lane), e.position(), w, v, metrics, o_train, o_test, o_probe});
  };
  // With save_weights, each lane's w then v at its latest measurement (the last is the end).
  std::vector<std::vector<double>> weights(p.save_weights ? replicas.size() : 0);
  const auto keep_weights = [&](nn::Evaluation<T>& e) {
    const nn::Pack<T>& pack = e.pack();
    const std::size_t w0 = pack.layout().weights[0], v0 = pack.layout().weights[1],
                      count_w = sz(hidden) * sz(d);
    for (int lane = 0; lane < e.real(); ++lane) {
      std::vector<double>& out = weights[e.replica(lane)];
      out.resize(count_w + sz(hidden));
      for (std::size_t q = 0; q < count_w; ++q)
        out[q] = static_cast<double>(pack.parameter(w0 + q, lane));
      for (std::size_t q = 0; q < sz(hidden); ++q)
        out[count_w + q] = static_cast<double>(pack.parameter(v0 + q, lane));
    }
  };
  hooks.measure = [&](nn::Evaluation<T>& e) {
    if (p.save_weights) keep_weights(e);
    measure_lanes<T, L>(p, pd, e);
    for (int lane = 0; lane < e.real(); ++lane) {
      if (!e.live(lane)) continue;
      const double loss = e.metric(train_loss)[lane];
      if (!std::isfinite(loss)) {
        e.diverge(lane, cat("the training loss became ", loss, " by epoch ", e.position()));
        continue;
      }
      double& zero = zero_error[e.replica(lane)];
      if (std::isnan(zero) && e.metric(train_error)[lane] == 0)
        zero = static_cast<double>(e.position());
      if (observer) observe(e, lane);
    }
  };
  // Between evaluation epochs, the training error alone, until every live replica reached 0.
  hooks.every_epoch = [&](nn::Evaluation<T>& e) {
    bool wanted = false;
    for (int lane = 0; lane < e.real(); ++lane)
      wanted = wanted || (e.live(lane) && std::isnan(zero_error[e.replica(lane)]));
    if (!wanted) return;
    alignas(64) double wrong_count[L];
    nn::eval::count_misclassified<T, L>(e.train_outputs(), e.pack().targets(), n, wrong_count);
    for (int lane = 0; lane < e.real(); ++lane) {
      double& zero = zero_error[e.replica(lane)];
      if (e.live(lane) && std::isnan(zero) && wrong_count[lane] == 0)
        zero = static_cast<double>(e.position());
    }
  };

  const std::vector<double> none;
  const std::vector<nn::ReplicaRun> runs =
      nn::train_replicas<T>(plan, hooks, replicas.size(), {options.pack, options.cancel, stats});
  grid::ColumnSet columns(grid::ColumnOptions{p.save_weights});
  const Columns ids = declare(p, columns);
  std::vector<TaskResult> results;
  results.reserve(runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r)
    results.push_back(
        to_task_result(runs[r], zero_error[r], columns, ids, p.save_weights ? weights[r] : none));
  return results;
}

}  // namespace

std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, const Observer& observer,
                              nn::RunStats* stats) {
  return problem.single_precision
             ? train_typed<float>(problem, replicas, options, observer, stats)
             : train_typed<double>(problem, replicas, options, observer, stats);
}

}  // namespace nnsweep::experiments::linear_teacher
