// splines: the model, the data, the metrics of one network and the exact theory of one task's
// data (paper_D.md §3–§5), all per replica in plain double code.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/random.hpp"
#include "nnsweep/nn/schedule.hpp"
#include "nnsweep/theory/splines.hpp"
#include "splines_model.hpp"

namespace nnsweep::experiments::splines {

namespace {

std::size_t sz(std::int64_t x) {
  return static_cast<std::size_t>(x);
}

double round_to(double x, bool single) {
  return single ? static_cast<double>(static_cast<float>(x)) : x;
}

int sign(double x) {
  return x > 0 ? 1 : (x < 0 ? -1 : 0);
}

Eigen::VectorXd vec(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

Eigen::VectorXd singular_values(const std::vector<double>& m, std::int64_t rows,
                                std::int64_t cols) {
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
      matrix(m.data(), rows, cols);
  return Eigen::JacobiSVD<Eigen::MatrixXd>(matrix).singularValues();
}

}  // namespace

const char* metric_name(Metric metric) {
  static const char* const names[] = {
      "objective", "mse", "penalty",       "path_norm", "knots",   "knots_effective", "tv",
      "tv_fit",    "rho", "penalty_ratio", "misplaced", "balance", "alignment"};
  return metric < metric_count ? names[metric] : "?";
}

nn::TrainSpec train_spec(const Problem& p) {
  nn::TrainSpec spec;
  spec.network.input = static_cast<int>(p.d);
  const bool ses = p.reg_mode == RegMode::ses, bf = p.reg_mode == RegMode::bf;
  for (std::int64_t l = 0; l + 1 < p.depth; ++l)
    spec.network.layers.push_back({static_cast<int>(p.width), true, true, true, bf});
  spec.network.layers.push_back({1, ses, true, true, false});
  spec.network.activation = nn::Activation{nn::ActivationKind::relu, 0};
  spec.network.skip = !ses;
  spec.network.skip_trainable = true;
  spec.network.decay_skip = false;
  spec.loss = nn::LossKind::mse;
  spec.optimizer.kind = p.adam ? nn::OptimizerSpec::Kind::adam : nn::OptimizerSpec::Kind::sgd;
  spec.optimizer.lr = p.lr;
  spec.optimizer.batch = p.n_points;
  return spec;
}

nn::InitRule init_rule(const Problem& p) {
  const nn::TrainSpec spec = train_spec(p);
  const double scale = p.init_scale;
  return [spec, scale](const nn::ParamGroup& group) {
    const bool output_bias =
        group.kind == nn::ParamGroup::Kind::bias && group.layer + 1 == spec.network.depth();
    if (group.kind == nn::ParamGroup::Kind::skip_weights ||
        group.kind == nn::ParamGroup::Kind::skip_bias || output_bias)
      return nn::Init::zero();
    const double bound = scale / std::sqrt(static_cast<double>(nn::fan_in(spec.network, group)));
    return nn::Init::uniform(-bound, bound);
  };
}

std::vector<std::int64_t> evaluation_steps(const Problem& problem) {
  return nn::log_schedule(problem.steps, problem.log_points);
}

Data make_data(const Problem& p, const Replica& replica) {
  const auto seed = static_cast<std::uint64_t>(replica.seed);
  nn::NormalSampler draw(replica.stream(rng::Purpose::data, seed));
  const auto n = sz(p.n_points), d = sz(p.d);
  const bool single = p.single_precision;
  Data data;
  data.t.resize(n);
  data.y.resize(n);
  data.x.resize(n * d);
  const auto unit = [&](double* u) {
    double norm2 = 0;
    for (std::size_t j = 0; j < d; ++j) norm2 += u[j] * u[j];
    for (std::size_t j = 0; j < d; ++j) u[j] /= std::sqrt(norm2);
  };
  if (p.on_a_line()) {
    const auto count = static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i)
      data.t[i] = -1 + (2 * static_cast<double>(i + 1) - 1 + (draw.uniform() - 0.5)) / count;
    for (std::size_t i = 0; i < n; ++i) {
      const double noise = 2 * draw.uniform() - 1;
      data.y[i] = round_to(p.data == DataKind::grid ? noise : 2 * data.t[i] + 0.1 * noise, single);
    }
    data.u.assign(d, 1.0);
    if (d > 1) {
      for (double& u : data.u) u = draw();
      unit(data.u.data());
    }
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j)
        data.x[i * d + j] = round_to(data.t[i] * data.u[j], single);
    if (d == 1) data.t = data.x;  // what the network sees
    return data;
  }
  // Index data: u₁, u₂ orthonormal (Gram–Schmidt on two normal vectors), x ~ N(0, I_d).
  data.u.resize(2 * d);
  for (double& u : data.u) u = draw();
  double* u1 = data.u.data();
  double* u2 = data.u.data() + d;
  unit(u1);
  double overlap = 0;
  for (std::size_t j = 0; j < d; ++j) overlap += u1[j] * u2[j];
  for (std::size_t j = 0; j < d; ++j) u2[j] -= overlap * u1[j];
  unit(u2);
  for (std::size_t i = 0; i < n; ++i) {
    double* x = data.x.data() + i * d;
    double p1 = 0, p2 = 0;
    for (std::size_t j = 0; j < d; ++j) {
      x[j] = round_to(draw(), single);
      p1 += u1[j] * x[j];
      p2 += u2[j] * x[j];
    }
    data.t[i] = p1;
    data.y[i] = round_to(std::fabs(p1) + 0.5 * p2 * p2, single);
  }
  return data;
}

double Net::operator()(const double* x) const {
  std::vector<double> h(x, x + d), next;
  const std::size_t depth = w.size();
  for (std::size_t l = 0; l + 1 < depth; ++l) {
    const std::size_t rows = b[l].size(), cols = h.size();
    next.assign(rows, 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
      double z = b[l][r];
      for (std::size_t j = 0; j < cols; ++j) z += w[l][r * cols + j] * h[j];
      next[r] = z > 0 ? z : 0;
    }
    h.swap(next);
  }
  double f = c;
  for (std::size_t j = 0; j < h.size(); ++j) f += w[depth - 1][j] * h[j];
  for (std::size_t j = 0; j < a.size(); ++j) f += a[j] * x[j];
  return f;
}

Net unpack(const Problem& p, const std::vector<double>& theta) {
  const nn::TrainSpec spec = train_spec(p);
  const nn::Layout layout(spec.network);
  NNSWEEP_CHECK(theta.size() == layout.size, "internal: ", theta.size(), " parameters for ",
                layout.size);
  Net net;
  net.d = p.d;
  net.w.resize(sz(p.depth));
  net.b.resize(sz(p.depth));
  for (const nn::ParamGroup& g : layout.groups) {
    const auto first = theta.begin() + static_cast<std::ptrdiff_t>(g.offset);
    const std::vector<double> values(first, first + static_cast<std::ptrdiff_t>(g.count));
    switch (g.kind) {
      case nn::ParamGroup::Kind::weights:
        net.w[sz(g.layer)] = values;
        break;
      case nn::ParamGroup::Kind::bias:
        if (g.layer + 1 == p.depth)
          net.c = values[0];
        else
          net.b[sz(g.layer)] = values;
        break;
      case nn::ParamGroup::Kind::skip_weights:
        net.a = values;
        break;
      case nn::ParamGroup::Kind::skip_bias:
        net.c = values[0];
        break;
    }
  }
  return net;
}

double LineNet::operator()(double t) const {
  double f = a * t + c;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const double z = w[k] * t + b[k];
    if (z > 0) f += v[k] * z;
  }
  return f;
}

LineNet on_line(const Net& net, const std::vector<double>& u) {
  NNSWEEP_CHECK(net.w.size() == 2, "internal: on_line needs one hidden layer");
  const std::size_t d = sz(net.d), k = net.b[0].size();
  LineNet line;
  line.w.resize(k);
  line.norm.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    double projection = 0, norm2 = 0;
    for (std::size_t j = 0; j < d; ++j) {
      projection += net.w[0][i * d + j] * u[j];
      norm2 += net.w[0][i * d + j] * net.w[0][i * d + j];
    }
    line.w[i] = projection;
    line.norm[i] = std::sqrt(norm2);
  }
  line.b = net.b[0];
  line.v = net.w[1];
  for (std::size_t j = 0; j < net.a.size(); ++j) line.a += net.a[j] * u[j];
  line.c = net.c;
  return line;
}

double cluster_width(const std::vector<double>& t) {
  double gap = std::numeric_limits<double>::infinity();
  for (std::size_t i = 1; i < t.size(); ++i) gap = std::min(gap, t[i] - t[i - 1]);
  const double range = t.empty() ? 0 : t.back() - t.front();
  return std::min(0.01 * range, 0.25 * gap);
}

Knots knots(const LineNet& net, const std::vector<double>& t, double delta, double tau) {
  Knots out;
  double w_max = 0;
  for (double w : net.w) w_max = std::max(w_max, std::fabs(w));
  std::vector<std::pair<double, double>> kinks;  // (position, jump)
  for (std::size_t k = 0; k < net.w.size(); ++k)
    if (std::fabs(net.w[k]) > 1e-12 * w_max)
      kinks.emplace_back(-net.b[k] / net.w[k], net.v[k] * std::fabs(net.w[k]));
  std::sort(kinks.begin(), kinks.end());
  double mass = 0;
  for (const auto& [position, jump] : kinks) {
    out.positions.push_back(position);
    out.jumps.push_back(jump);
    mass += std::fabs(jump);
  }
  for (double jump : out.jumps) out.active += std::fabs(jump) > 1e-6 * mass ? 1 : 0;
  // TV(f'): exactly coincident knots add their jumps first.
  for (std::size_t i = 0; i < kinks.size();) {
    std::size_t j = i;
    double sum = 0;
    while (j < kinks.size() && kinks[j].first == kinks[i].first) sum += kinks[j++].second;
    out.tv += std::fabs(sum);
    i = j;
  }
  // Clusters by single linkage.
  double clustered = 0;
  for (std::size_t i = 0; i < kinks.size();) {
    std::size_t j = i + 1;
    while (j < kinks.size() && kinks[j].first - kinks[j - 1].first <= delta) ++j;
    double jump = 0, weight = 0, weighted = 0, plain = 0;
    for (std::size_t q = i; q < j; ++q) {
      jump += kinks[q].second;
      weight += std::fabs(kinks[q].second);
      weighted += std::fabs(kinks[q].second) * kinks[q].first;
      plain += kinks[q].first;
    }
    const double location = weight > 0 ? weighted / weight : plain / static_cast<double>(j - i);
    out.clusters.push_back({location, jump});
    clustered += std::fabs(jump);
    i = j;
  }
  if (!t.empty() && clustered > 0)
    for (const Cluster& cl : out.clusters)
      if (std::fabs(cl.jump) >= tau * clustered && cl.location >= t.front() - delta &&
          cl.location <= t.back() + delta)
        out.effective_clusters.push_back(cl);
  out.effective = static_cast<int>(out.effective_clusters.size());
  return out;
}

double fitted_tv(const std::vector<double>& t, const std::vector<double>& f) {
  double tv = 0;
  for (std::size_t i = 2; i < t.size(); ++i) {
    const double s1 = (f[i - 1] - f[i - 2]) / (t[i - 1] - t[i - 2]);
    const double s2 = (f[i] - f[i - 1]) / (t[i] - t[i - 1]);
    tv += std::fabs(s2 - s1);
  }
  return tv;
}

double misplaced(const std::vector<double>& t, const std::vector<double>& f,
                 const std::vector<Cluster>& clusters, double delta) {
  const std::size_t n = t.size();
  if (n < 3) return 0;
  // a[i]: slope change at interior point i (1 … n−2), zero when negligible.
  std::vector<double> a(n, 0.0);
  double total = 0;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    a[i] = (f[i + 1] - f[i]) / (t[i + 1] - t[i]) - (f[i] - f[i - 1]) / (t[i] - t[i - 1]);
    total += std::fabs(a[i]);
  }
  for (std::size_t i = 1; i + 1 < n; ++i)
    if (std::fabs(a[i]) <= 1e-6 * total) a[i] = 0;
  double bad = 0, mass = 0;
  for (const Cluster& cl : clusters) {
    mass += std::fabs(cl.jump);
    bool ok = false;
    for (std::size_t i = 1; i + 1 < n && !ok; ++i)
      ok = a[i] != 0 && std::fabs(cl.location - t[i]) <= delta && sign(cl.jump) == sign(a[i]);
    for (std::size_t i = 1; i + 2 < n && !ok; ++i)
      ok = a[i] * a[i + 1] > 0 && t[i] < cl.location && cl.location < t[i + 1] &&
           sign(cl.jump) == sign(a[i]);
    if (!ok) bad += std::fabs(cl.jump);
  }
  return mass > 0 ? bad / mass : 0;
}

double stable_rank(const std::vector<double>& m, std::int64_t rows, std::int64_t cols) {
  const Eigen::VectorXd s = singular_values(m, rows, cols);
  if (s.size() == 0 || !(s[0] > 0)) return experiments::nan;
  return s.squaredNorm() / (s[0] * s[0]);
}

int numerical_rank(const std::vector<double>& m, std::int64_t rows, std::int64_t cols, double tau) {
  const Eigen::VectorXd s = singular_values(m, rows, cols);
  int rank = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i) rank += s[i] > tau * s[0] ? 1 : 0;
  return rank;
}

void measure(const Problem& p, const Data& data, double lambda, const Net& net, double* metrics,
             std::vector<double>* fitted) {
  std::fill(metrics, metrics + metric_count, experiments::nan);
  const auto n = sz(p.n_points), d = sz(p.d);
  std::vector<double> f(n);
  double sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    f[i] = net(data.x.data() + i * d);
    sq += (f[i] - data.y[i]) * (f[i] - data.y[i]);
  }
  const bool bf = p.reg_mode == RegMode::bf;
  double w2 = 0;
  for (std::size_t l = 0; l < net.w.size(); ++l) {
    for (double x : net.w[l]) w2 += x * x;
    if (bf && l + 1 < net.w.size())
      for (double x : net.b[l]) w2 += x * x;
  }
  metrics[mse] = sq / static_cast<double>(n);
  metrics[penalty] = 0.5 * w2;
  metrics[objective] = metrics[mse] + lambda * metrics[penalty];
  if (fitted != nullptr) *fitted = f;
  if (d > 1) {
    // ‖W₁U‖²_F/‖W₁‖²_F with the planted directions U (orthonormal columns).
    const std::size_t k = net.b[0].size(), r = data.u.size() / d;
    double inside = 0, all = 0;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < d; ++j) all += net.w[0][i * d + j] * net.w[0][i * d + j];
    for (std::size_t q = 0; q < r; ++q)
      for (std::size_t i = 0; i < k; ++i) {
        double projection = 0;
        for (std::size_t j = 0; j < d; ++j) projection += net.w[0][i * d + j] * data.u[q * d + j];
        inside += projection * projection;
      }
    metrics[alignment] = inside / all;
  }
  if (!p.shallow()) return;
  // One hidden layer: path norm, balance.
  const std::size_t k = net.b[0].size();
  double path = 0, worst = 0, largest = 0;
  for (std::size_t i = 0; i < k; ++i) {
    double in2 = 0;
    for (std::size_t j = 0; j < d; ++j) in2 += net.w[0][i * d + j] * net.w[0][i * d + j];
    const double v = net.w[1][i];
    path += std::fabs(v) * std::sqrt(in2);
    if (bf) in2 += net.b[0][i] * net.b[0][i];
    worst = std::max(worst, std::fabs(v * v - in2));
    largest = std::max(largest, v * v + in2);
  }
  metrics[path_norm] = path;
  metrics[penalty_ratio] = metrics[penalty] / path;
  metrics[balance] = largest > 0 ? worst / largest : 0;
  if (!p.on_a_line()) return;
  // Along the data line: knots, TV(f'), V(f), ρ, misplaced mass.
  const LineNet line = on_line(net, data.u);  // on a line u has d entries
  const double delta = cluster_width(data.t);
  const Knots kn = knots(line, data.t, delta);
  metrics[knots_raw] = kn.active;
  metrics[knots_effective] = kn.effective;
  metrics[tv] = kn.tv;
  const double v_f = fitted_tv(data.t, f);
  metrics[tv_fit] = v_f;
  double y_max = 0;
  for (double y : data.y) y_max = std::max(y_max, std::fabs(y));
  const double range = data.t.back() - data.t.front();
  metrics[rho] = v_f >= 1e-6 * y_max / range ? path / v_f : experiments::nan;
  metrics[misplaced_mass] = misplaced(data.t, f, kn.clusters, delta);
}

Theory theory_of(const Problem& p, const Data& data) {
  Theory th;
  th.lambda = p.wd;
  if (!p.on_a_line()) return th;
  namespace ts = theory::splines;
  const Eigen::VectorXd t = vec(data.t), y = vec(data.y);
  th.lambda_max = ts::lambda_max(t, y);
  if (p.wd_rel > 0) th.lambda = p.wd_rel * th.lambda_max;
  th.tv = ts::min_tv_interpolation(t, y);
  if (!p.exact_theory()) return th;
  const ts::TvRegression pn = ts::tv_regression(t, y, th.lambda);
  th.knots = ts::sparsest_knots(pn.slope_changes);
  if (p.reg_mode == RegMode::ses) {
    const ts::SesRegression ses = ts::ses_regression(t, y, th.lambda);
    th.objective = ses.objective;
    th.z.assign(ses.z.data(), ses.z.data() + ses.z.size());
  } else {
    th.objective = pn.objective;
    if (p.reg_mode == RegMode::pn) th.tv_optimum = pn.slope_changes.lpNorm<1>();
    th.z.assign(pn.z.data(), pn.z.data() + pn.z.size());
  }
  return th;
}

}  // namespace nnsweep::experiments::splines
