// linear_teacher: data, metrics and the packed training loop (the kernel behind run()).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/linear_teacher.hpp"
#include "nnsweep/nn/loss.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/random.hpp"
#include "nnsweep/nn/schedule.hpp"

namespace nnsweep::experiments::linear_teacher {

namespace {

std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}

double dot(const double* a, const double* b, std::int64_t n) {
  double s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += a[j] * b[j];
  return s;
}

// Points x ~ N(0, I/d), kept when |⟨w*, x⟩| >= γ (margin > 0) or always (margin <= 0).
void draw_points(nn::NormalSampler& normal, const std::vector<double>& teacher, double margin,
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
  nn::NormalSampler train(replica.stream(rng::Purpose::data, seed));
  data.teacher.resize(sz(p.d));
  for (double& t : data.teacher) t = train();
  const double norm = std::sqrt(dot(data.teacher.data(), data.teacher.data(), p.d));
  for (double& t : data.teacher) t /= norm;
  draw_points(train, data.teacher, p.gamma, p.n_train, p.d, data.x_train, &data.y_train);
  nn::NormalSampler test(replica.stream(rng::Purpose::test_data, seed));
  draw_points(test, data.teacher, p.gamma, p.n_test, p.d, data.x_test, &data.y_test);
  nn::NormalSampler probe(rng::Stream(replica.sweep_seed, replica.key(rng::Purpose::test_data) ^ 1,
                                      seed, rng::Purpose::test_data));
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
        dist2 += diff * diff;
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
  if (finite) {
    const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
        wm(w.data(), hidden, d);
    const Eigen::MatrixXd gram =
        hidden < d ? Eigen::MatrixXd(wm * wm.transpose()) : Eigen::MatrixXd(wm.transpose() * wm);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram, Eigen::EigenvaluesOnly);
    metrics[rank_ratio] = std::sqrt(solver.eigenvalues().maxCoeff() / gram.trace());
  } else {
    metrics[rank_ratio] = nan;
  }
  const double* plus = mean.data();
  const double* minus = mean.data() + d;
  metrics[antipodality] =
      -dot(plus, minus, d) / std::sqrt(dot(plus, plus, d) * dot(minus, minus, d));
}

namespace {

// Per-replica record of one run.
struct Track {
  std::vector<double> curves;  // [metric][point]
  double zero_error_epoch = std::numeric_limits<double>::quiet_NaN();
  bool dead = false;
  std::string why;
  std::vector<double> weights;  // with save_weights: w (2k × d) then v (2k), at the end
};

// Trains replicas [first, last) (at most one pack) into tracks; false when cancelled.
template <typename T>
bool train_block(const Problem& p, const std::vector<Replica>& replicas, std::size_t first,
                 std::size_t last, const RunOptions& options, const Observer& observer,
                 std::vector<Track>& tracks) {
  using Pack = nn::Pack<T>;
  constexpr int L = Pack::lanes;
  const int real = static_cast<int>(last - first);
  const int d = static_cast<int>(p.d), hidden = static_cast<int>(2 * p.k);
  const std::int64_t n = p.n_train, m = p.n_test;

  nn::TrainSpec spec;
  spec.network.input = d;
  spec.network.layers = {{hidden, false, true, true, false},
                         {1, false, p.train_second_layer, true, false}};
  spec.network.activation = nn::Activation{nn::ActivationKind::leaky_relu, p.alpha};
  spec.loss = p.loss;
  spec.optimizer.lr = p.lr;
  spec.optimizer.batch = p.batch;
  Pack pack(spec, n);

  std::vector<Data> data;
  for (int r = 0; r < real; ++r)
    data.push_back(make_data(p, replicas[first + static_cast<std::size_t>(r)]));
  nn::AlignedBuffer<T> x_test(sz(m) * sz(d) * L), x_probe(sz(m) * sz(d) * L);
  const double init_scale = p.sigma0 / std::sqrt(static_cast<double>(d));
  const double v = 1 / std::sqrt(static_cast<double>(hidden));
  for (int lane = 0; lane < L; ++lane) {
    const int r = lane < real ? lane : 0;  // dummy lanes repeat the first replica
    const Data& D = data[static_cast<std::size_t>(r)];
    const Replica& replica = replicas[first + static_cast<std::size_t>(r)];
    for (std::int64_t s = 0; s < n; ++s) {
      for (int j = 0; j < d; ++j)
        pack.input(s, j, lane) = static_cast<T>(D.x_train[sz(s) * sz(d) + sz(j)]);
      pack.target(s, 0, lane) = static_cast<T>(D.y_train[sz(s)]);
    }
    for (std::size_t q = 0; q < sz(m) * sz(d); ++q) {
      x_test[q * L + sz(lane)] = static_cast<T>(D.x_test[q]);
      x_probe[q * L + sz(lane)] = static_cast<T>(D.x_probe[q]);
    }
    nn::NormalSampler z(
        replica.stream(rng::Purpose::init, static_cast<std::uint64_t>(replica.seed)));
    for (int i = 0; i < hidden; ++i) {
      for (int j = 0; j < d; ++j) pack.weight(0, i, j, lane) = static_cast<T>(init_scale * z());
      pack.weight(1, 0, i, lane) = static_cast<T>(i < p.k ? v : -v);
    }
    pack.set_order_stream(
        lane, replica.stream(rng::Purpose::batch_order, static_cast<std::uint64_t>(replica.seed)));
  }

  const std::vector<std::int64_t> epochs = evaluation_epochs(p);
  const std::size_t points = epochs.size();
  for (int r = 0; r < real; ++r)
    tracks[first + sz(r)].curves.assign(metric_count * points,
                                        std::numeric_limits<double>::quiet_NaN());
  nn::AlignedBuffer<T> out_train(sz(n) * L), out_test(sz(m) * L), out_probe(sz(m) * L);
  std::vector<double> w(sz(hidden) * sz(d)), second(sz(hidden)), o_train(sz(n)), o_test(sz(m)),
      o_probe(sz(m));
  double metrics[metric_count];

  const auto lane_dead = [&](int lane, std::int64_t epoch) {
    Track& track = tracks[first + sz(lane)];
    if (!track.dead && pack.diverged_at(lane) >= 0) {
      track.dead = true;
      track.why = cat("the network output became NaN/inf at step ", pack.diverged_at(lane),
                      " (by epoch ", epoch, ")");
    }
    return track.dead;
  };
  const auto evaluate = [&](std::size_t point, std::int64_t epoch) {
    pack.forward(pack.inputs(), n, out_train.data());
    pack.forward(x_test.data(), m, out_test.data());
    pack.forward(x_probe.data(), m, out_probe.data());
    for (int lane = 0; lane < real; ++lane) {
      if (lane_dead(lane, epoch)) continue;
      Track& track = tracks[first + sz(lane)];
      for (std::size_t q = 0; q < w.size(); ++q)
        w[q] = static_cast<double>(pack.parameter(q, lane));
      if (observer)
        for (int i = 0; i < hidden; ++i)
          second[sz(i)] = static_cast<double>(pack.weight(1, 0, i, lane));
      for (std::size_t s = 0; s < sz(n); ++s)
        o_train[s] = static_cast<double>(out_train[s * L + sz(lane)]);
      for (std::size_t s = 0; s < sz(m); ++s) {
        o_test[s] = static_cast<double>(out_test[s * L + sz(lane)]);
        o_probe[s] = static_cast<double>(out_probe[s * L + sz(lane)]);
      }
      measure(p, data[sz(lane)], w, o_train, o_test, o_probe, metrics);
      if (!std::isfinite(metrics[train_loss])) {
        track.dead = true;
        track.why = cat("the training loss became ", metrics[train_loss], " by epoch ", epoch);
        continue;
      }
      for (std::size_t q = 0; q < metric_count; ++q) track.curves[q * points + point] = metrics[q];
      if (std::isnan(track.zero_error_epoch) && metrics[train_error] == 0)
        track.zero_error_epoch = static_cast<double>(epoch);
      if (observer) observer(Observation{first + sz(lane), epoch, w, second, metrics});
    }
  };
  // Between evaluation epochs, the training error alone, until every live replica reached 0.
  const auto check_zero_error = [&](std::int64_t epoch) {
    bool wanted = false;
    for (int lane = 0; lane < real; ++lane)
      wanted = wanted ||
               (!lane_dead(lane, epoch) && std::isnan(tracks[first + sz(lane)].zero_error_epoch));
    if (!wanted) return;
    pack.forward(pack.inputs(), n, out_train.data());
    for (int lane = 0; lane < real; ++lane) {
      Track& track = tracks[first + sz(lane)];
      if (track.dead || !std::isnan(track.zero_error_epoch)) continue;
      bool any_wrong = false;
      for (std::int64_t s = 0; s < n && !any_wrong; ++s)
        any_wrong = wrong(data[sz(lane)].y_train[sz(s)],
                          static_cast<double>(out_train[sz(s) * L + sz(lane)]));
      if (!any_wrong) track.zero_error_epoch = static_cast<double>(epoch);
    }
  };

  evaluate(0, 0);
  std::size_t next = 1;
  for (std::int64_t epoch = 1; epoch <= p.epochs; ++epoch) {
    if (options.cancel != nullptr && options.cancel->load()) return false;
    pack.epoch();
    if (next < points && epoch == epochs[next]) {
      evaluate(next, epoch);
      ++next;
    } else {
      check_zero_error(epoch);
    }
    bool all_dead = true;
    for (int lane = 0; lane < real; ++lane) all_dead = all_dead && lane_dead(lane, epoch);
    if (all_dead) break;
  }
  if (p.save_weights)
    for (int lane = 0; lane < real; ++lane) {
      std::vector<double>& out = tracks[first + sz(lane)].weights;
      for (std::size_t q = 0; q < w.size(); ++q)
        out.push_back(static_cast<double>(pack.parameter(q, lane)));
      for (int i = 0; i < hidden; ++i)
        out.push_back(static_cast<double>(pack.weight(1, 0, i, lane)));
    }
  return true;
}

template <typename T>
std::vector<TaskResult> train_typed(const Problem& p, const std::vector<Replica>& replicas,
                                    const RunOptions& options, const Observer& observer) {
  constexpr std::size_t lanes = nn::Pack<T>::lanes;
  const std::size_t group = options.pack == 0 ? lanes : options.pack;
  std::vector<Track> tracks(replicas.size());
  std::size_t done = 0;
  bool cancelled = false;
  for (std::size_t g0 = 0; g0 < replicas.size() && !cancelled; g0 += group) {
    const std::size_t g_end = std::min(replicas.size(), g0 + group);
    for (std::size_t b0 = g0; b0 < g_end && !cancelled; b0 += lanes) {
      const std::size_t b_end = std::min(g_end, b0 + lanes);
      cancelled = !train_block<T>(p, replicas, b0, b_end, options, observer, tracks);
      if (!cancelled) done = b_end;
    }
  }
  const std::vector<std::int64_t> epochs = evaluation_epochs(p);
  const std::size_t points = epochs.size();
  grid::ColumnSet columns(grid::ColumnOptions{p.save_weights});
  const Columns ids = declare(p, columns);
  std::vector<TaskResult> results(replicas.size());
  for (std::size_t r = 0; r < replicas.size(); ++r) {
    TaskResult& result = results[r];
    if (r >= done) {
      result = TaskResult::pending();
      continue;
    }
    const Track& track = tracks[r];
    result.status = track.dead ? Status::diverged : Status::done;
    result.error = track.why;
    grid::Row& row = result.row = columns.row();
    for (std::size_t q = 0; q < metric_count; ++q) {
      row.set(ids.metric[q], track.curves[q * points + points - 1]);
      std::copy_n(track.curves.begin() + static_cast<std::ptrdiff_t>(q * points), points,
                  row.curve(ids.curve[q]).begin());
    }
    row.set(ids.zero_error_epoch, track.zero_error_epoch);
    const auto epoch_curve = row.curve(ids.curve_epoch);
    for (std::size_t i = 0; i < points; ++i) epoch_curve[i] = static_cast<double>(epochs[i]);
    if (ids.weights)
      std::copy(track.weights.begin(), track.weights.end(), row.curve(ids.weights).begin());
  }
  return results;
}

}  // namespace

std::vector<TaskResult> train(const Problem& problem, const std::vector<Replica>& replicas,
                              const RunOptions& options, const Observer& observer) {
  return problem.single_precision ? train_typed<float>(problem, replicas, options, observer)
                                  : train_typed<double>(problem, replicas, options, observer);
}

}  // namespace nnsweep::experiments::linear_teacher
