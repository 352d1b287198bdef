// symmetry: the checks of EXPERIMENTS.md §5 and papers_CE.md §C.7 (criteria 2–4; criterion 1,
// the exact counts, is tests/unit/theory/test_symmetry_counts.cpp), the classification on
// hand-made end points, gradient and Hessian against finite differences of an independent
// gradient, and the teacher–student protocol on the default teacher: every polish outcome
// accounted for, converged end points critical when recomputed from the saved weights, and more
// students at zero loss and on the manifold at h = 2r* than at h = 0 (one-sided two-proportion
// test, Wilson intervals).
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "nnsweep/experiments/symmetry.hpp"
#include "nnsweep/nn/activation.hpp"
#include "nnsweep/nn/polish.hpp"
#include "nnsweep/theory/symmetry_counts.hpp"

using namespace nnsweep;
using namespace nnsweep::experiments;
namespace sy = nnsweep::experiments::symmetry;

namespace {

const nn::Activation g_act{nn::ActivationKind::g, 0};

config::ParamSet defaults() {
  const Experiment& e = symmetry_experiment();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : e.schema().params())
    values.push_back(config::parse_value(spec, spec.default_value));
  return config::ParamSet(e.schema(), values);
}

std::vector<Replica> seeds(config::ParamSet params, std::int64_t first, std::int64_t count) {
  std::vector<Replica> out;
  for (std::int64_t s = first; s < first + count; ++s) {
    params.set("seed", s);
    out.push_back(make_replica(symmetry_experiment(), 2021, params));
  }
  return out;
}

// A teacher drawn from a fixed stream (r rows in dimension d).
sy::Teacher teacher_of(std::int64_t r, std::int64_t d, std::uint64_t index = 0) {
  nn::NormalSampler normal(rng::Stream(7, 11, index, rng::Purpose::data));
  return sy::make_teacher(r, d, normal);
}

sy::Data data_of(const sy::Teacher& t, std::int64_t n, std::uint64_t index = 0) {
  nn::NormalSampler normal(rng::Stream(7, 12, index, rng::Purpose::data));
  return sy::make_data(t, n, g_act, normal);
}

// The loss and its gradient written out directly (not the reference model): f = Σ a_j g(w_j·x),
// L = (1/N) Σ (f − y)², ∂L/∂a_j = (2/N) Σ r g(z_j), ∂L/∂w_j = (2/N) Σ r a_j g'(z_j) x.
double direct_loss(const Eigen::VectorXd& theta, const nn::Samples& s, std::int64_t m,
                   Eigen::VectorXd* gradient = nullptr) {
  const std::int64_t d = s.x.cols(), n = s.x.rows();
  if (gradient != nullptr) gradient->setZero(theta.size());
  double sum = 0;
  std::vector<double> z(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < n; ++i) {
    double f = 0;
    for (std::int64_t j = 0; j < m; ++j) {
      z[static_cast<std::size_t>(j)] = theta.segment(j * d, d).dot(s.x.row(i).transpose());
      f += theta[m * d + j] * nn::value(g_act, z[static_cast<std::size_t>(j)]);
    }
    const double r = f - s.y(i, 0);
    sum += r * r;
    if (gradient == nullptr) continue;
    for (std::int64_t j = 0; j < m; ++j) {
      const double zj = z[static_cast<std::size_t>(j)];
      (*gradient)[m * d + j] += 2 * r * nn::value(g_act, zj) / static_cast<double>(n);
      gradient->segment(j * d, d) +=
          (2 * r * theta[m * d + j] * nn::derivative(g_act, zj) / static_cast<double>(n)) *
          s.x.row(i).transpose();
    }
  }
  return sum / static_cast<double>(n);
}

// A random point of the T-subspace of map f (values 0..r): replicas w_j = w*_f(j) with the a*'s
// split at random, zero-type neurons with a random w and a = 0.
Eigen::VectorXd point_of(const sy::Teacher& t, const std::vector<int>& f, rng::Stream& stream) {
  const std::int64_t d = t.d, m = static_cast<std::int64_t>(f.size());
  nn::NormalSampler normal(stream);
  std::vector<double> w(static_cast<std::size_t>(m * d)), a(static_cast<std::size_t>(m), 0.0);
  std::vector<double> remaining = t.a;
  std::vector<int> left(static_cast<std::size_t>(t.r), 0);
  for (const int i : f)
    if (i > 0) ++left[static_cast<std::size_t>(i - 1)];
  for (std::int64_t j = 0; j < m; ++j) {
    const int i = f[static_cast<std::size_t>(j)];
    for (std::int64_t q = 0; q < d; ++q)
      w[static_cast<std::size_t>(j * d + q)] =
          i > 0 ? t.w[static_cast<std::size_t>((i - 1) * d + q)] : normal() / std::sqrt(double(d));
    if (i == 0) continue;
    const auto k = static_cast<std::size_t>(i - 1);
    if (--left[k] == 0) {
      a[static_cast<std::size_t>(j)] = remaining[k];  // the last of the group takes the rest
    } else {
      a[static_cast<std::size_t>(j)] = normal();
      remaining[k] -= a[static_cast<std::size_t>(j)];
    }
  }
  return sy::parameters(w, a);
}

// Every map [m] → {0..r} onto {1..r} (T of them).
std::vector<std::vector<int>> t_maps(int r, int m) {
  std::vector<std::vector<int>> out;
  std::vector<int> f(static_cast<std::size_t>(m), 0);
  std::function<void(int)> rec = [&](int j) {
    if (j == m) {
      for (int i = 1; i <= r; ++i)
        if (std::find(f.begin(), f.end(), i) == f.end()) return;
      out.push_back(f);
      return;
    }
    for (int v = 0; v <= r; ++v) {
      f[static_cast<std::size_t>(j)] = v;
      rec(j + 1);
    }
  };
  rec(0);
  return out;
}

int rank_of(const Eigen::MatrixXd& a, double relative) {
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(a);
  const Eigen::VectorXd& s = svd.singularValues();
  int rank = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i) rank += s[i] > relative * s[0] ? 1 : 0;
  return rank;
}

// Wilson score interval of k successes in n at z = 1.96.
std::pair<double, double> wilson(int k, int n) {
  const double z = 1.96, p = double(k) / n, z2n = z * z / n;
  const double centre = (p + z2n / 2) / (1 + z2n);
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / (1 + z2n);
  return {centre - half, centre + half};
}

// One-sided p-value of H1: p2 > p1 (pooled two-proportion z test).
double two_proportion_p(int k1, int n1, int k2, int n2) {
  const double p1 = double(k1) / n1, p2 = double(k2) / n2, pool = double(k1 + k2) / (n1 + n2);
  const double se = std::sqrt(pool * (1 - pool) * (1.0 / n1 + 1.0 / n2));
  if (se == 0) return p2 > p1 ? 0 : 1;
  return 0.5 * std::erfc((p2 - p1) / se / std::sqrt(2.0));
}

}  // namespace

TEST_CASE("teachers are well separated; data is the teacher's output", "[symmetry]") {
  for (std::uint64_t index = 0; index < 20; ++index) {
    const sy::Teacher t = teacher_of(4, 4, index);
    for (std::int64_t i = 0; i < 4; ++i) {
      CHECK(std::fabs(t.a[static_cast<std::size_t>(i)]) > 0.1);
      for (std::int64_t k = 0; k < i; ++k) {
        const Eigen::Map<const Eigen::VectorXd> wi(t.w.data() + i * 4, 4),
            wk(t.w.data() + k * 4, 4);
        CHECK(1 - wi.dot(wk) / (wi.norm() * wk.norm()) > 0.05);
      }
    }
  }
  const sy::Teacher t = teacher_of(3, 2);
  const sy::Data data = data_of(t, 50);
  CHECK(direct_loss(sy::parameters(t.w, t.a), data.samples, 3) == 0);
}

TEST_CASE(
    "criterion 3: zero loss and gradient on a random point of every T-subspace; Jacobian "
    "rank r*(d+1) + k0; Hessian null space (m - r*)(d+1) - k0",
    "[symmetry][criteria]") {
  const int d = 3;
  for (const auto& [r, m] : std::vector<std::pair<int, int>>{{2, 3}, {2, 4}, {3, 4}, {3, 5}}) {
    const sy::Teacher t = teacher_of(r, d, static_cast<std::uint64_t>(r));
    const sy::Data data = data_of(t, 10 * m * (d + 1) + 40);
    const nn::ReferenceModel model(sy::student_network(m, d, g_act), nn::LossKind::mse);
    const nn::ReferenceModel teacher_model(sy::student_network(r, d, g_act), nn::LossKind::mse);
    const Eigen::MatrixXd y = teacher_model.outputs(sy::parameters(t.w, t.a), data.samples.x);
    const auto maps = t_maps(r, m);
    REQUIRE(theory::BigInt(maps.size()) == theory::global_minima_subspaces(r, m));
    rng::Stream stream(3, 5, static_cast<std::uint64_t>(m), rng::Purpose::init);
    for (const auto& f : maps) {
      const Eigen::VectorXd theta = point_of(t, f, stream);
      const Eigen::MatrixXd out = model.outputs(theta, data.samples.x);
      CHECK((out - y).cwiseAbs().maxCoeff() <= 1e-12 * y.cwiseAbs().maxCoeff());
      const int k0 = static_cast<int>(std::count(f.begin(), f.end(), 0));
      Eigen::MatrixXd jac(data.samples.size(), model.free_size());
      for (Eigen::Index s = 0; s < data.samples.size(); ++s)
        jac.row(s) = model.jacobian(theta, data.samples.x.row(s).transpose());
      CHECK(rank_of(jac, 1e-8) == r * (d + 1) + k0);
      const auto e = model.evaluate(theta, data.samples, nn::Curvature::hessian);
      CHECK(e.gradient.lpNorm<Eigen::Infinity>() < 1e-12);
      CHECK(sy::spectrum(e.curvature).zero == (m - r) * (d + 1) - k0);
      CHECK(sy::spectrum(e.curvature).negative == 0);
      const sy::Classification c = sy::classify(t, theta, m);
      CHECK(c.on_manifold);
      CHECK(c.zero_type == k0);
      CHECK(c.r_hat == r);
      CHECK(c.distance < 1e-12);
      std::vector<int> expected = f;
      CHECK(c.map == expected);
    }
  }
}

TEST_CASE(
    "criterion 2: the T-subspaces' intersection graph has r! components at m = r and one "
    "for m > r",
    "[symmetry][criteria]") {
  // f and g intersect iff they agree wherever both are non-zero and share a neuron for every
  // teacher (papers_CE.md §C.2); checked here on points: the common point built from the rule
  // lies on both subspaces.
  const auto components = [](int r, int m) {
    const auto maps = t_maps(r, m);
    const auto n = maps.size();
    std::vector<std::size_t> parent(n);
    for (std::size_t i = 0; i < n; ++i) parent[i] = i;
    const std::function<std::size_t(std::size_t)> root = [&](std::size_t i) {
      return parent[i] == i ? i : parent[i] = root(parent[i]);
    };
    for (std::size_t u = 0; u < n; ++u)
      for (std::size_t v = 0; v < u; ++v) {
        bool meet = true;
        for (int j = 0; j < m && meet; ++j) {
          const int a = maps[u][static_cast<std::size_t>(j)],
                    b = maps[v][static_cast<std::size_t>(j)];
          meet = a == 0 || b == 0 || a == b;
        }
        for (int i = 1; i <= r && meet; ++i) {
          bool shared = false;
          for (int j = 0; j < m; ++j)
            shared = shared || (maps[u][static_cast<std::size_t>(j)] == i &&
                                maps[v][static_cast<std::size_t>(j)] == i);
          meet = shared;
        }
        if (meet) parent[root(u)] = root(v);
      }
    int count = 0;
    for (std::size_t i = 0; i < n; ++i) count += root(i) == i ? 1 : 0;
    return count;
  };
  CHECK(components(3, 3) == 6);
  CHECK(components(3, 4) == 1);
  CHECK(components(3, 5) == 1);
  CHECK(components(2, 2) == 2);
  CHECK(components(2, 3) == 1);
}

TEST_CASE("the gradient and the Hessian agree with finite differences (activation g)",
          "[symmetry]") {
  const sy::Teacher t = teacher_of(3, 3);
  const sy::Data data = data_of(t, 200);
  const std::int64_t m = 5, d = 3;
  const nn::ReferenceModel model(sy::student_network(m, d, g_act), nn::LossKind::mse);
  nn::NormalSampler normal(rng::Stream(1, 2, 3, rng::Purpose::init));
  Eigen::VectorXd theta(m * (d + 1));
  for (Eigen::Index q = 0; q < theta.size(); ++q) theta[q] = 0.7 * normal();
  const auto e = model.evaluate(theta, data.samples, nn::Curvature::hessian);
  Eigen::VectorXd direct;
  CHECK(std::fabs(direct_loss(theta, data.samples, m, &direct) - e.value) <= 1e-13 * e.value);
  CHECK((direct - e.gradient).lpNorm<Eigen::Infinity>() <=
        1e-12 * e.gradient.lpNorm<Eigen::Infinity>());
  const double h = 1e-5;
  double worst_g = 0, worst_h = 0;
  for (Eigen::Index q = 0; q < theta.size(); ++q) {
    Eigen::VectorXd up = theta, down = theta, g_up, g_down;
    up[q] += h;
    down[q] -= h;
    const double fd =
        (direct_loss(up, data.samples, m, &g_up) - direct_loss(down, data.samples, m, &g_down)) /
        (2 * h);
    worst_g = std::max(worst_g, std::fabs(fd - e.gradient[q]));
    worst_h = std::max(worst_h,
                       ((g_up - g_down) / (2 * h) - e.curvature.col(q)).lpNorm<Eigen::Infinity>());
  }
  // Central differences: error O(h²·|f'''|) + rounding O(eps·|f|/h) ≈ 1e-9.
  CHECK(worst_g <= 1e-8 * (1 + e.gradient.lpNorm<Eigen::Infinity>()));
  CHECK(worst_h <= 1e-6 * e.curvature.cwiseAbs().maxCoeff());
}

TEST_CASE("criterion 4: a replicated critical point stays critical; a zero-type neuron breaks it",
          "[symmetry][criteria]") {
  // A width-2 student of a width-3 teacher, polished by Newton/LM to a critical point.
  const std::int64_t d = 3, r = 2;
  const sy::Teacher t = teacher_of(3, d);
  const sy::Data data = data_of(t, 1000);
  const nn::ReferenceModel model(sy::student_network(r, d, g_act), nn::LossKind::mse);
  Eigen::VectorXd theta;
  nn::PolishResult result;
  for (std::uint64_t attempt = 0; attempt < 10; ++attempt) {
    nn::NormalSampler normal(rng::Stream(4, 4, attempt, rng::Purpose::init));
    theta.resize(r * (d + 1));
    for (Eigen::Index q = 0; q < theta.size(); ++q) theta[q] = 0.5 * normal();
    const nn::NetworkObjective objective(model, data.samples, theta);
    Eigen::VectorXd u = objective.start();
    nn::PolishOptions options;
    options.max_steps = 500;
    result = nn::polish(objective, u, options);
    theta = objective.full(u);
    if (result.outcome == nn::PolishOutcome::converged) break;
  }
  REQUIRE(result.outcome == nn::PolishOutcome::converged);
  const auto base = model.evaluate(theta, data.samples);
  REQUIRE(base.gradient.lpNorm<Eigen::Infinity>() < 1e-10);
  REQUIRE(base.value > 1e-6 * data.variance);  // not global: width 2 < 3
  // Replicate neuron 0 three times (m = 4) with a random split of its output weight.
  const std::int64_t m = 4;
  std::vector<double> w, a;
  const double a0 = theta[r * d], split1 = 0.37 * a0 + 0.9, split2 = -0.55 * a0 - 0.4;
  for (const int j : {0, 0, 0, 1})
    for (std::int64_t q = 0; q < d; ++q) w.push_back(theta[j * d + q]);
  a = {split1, split2, a0 - split1 - split2, theta[r * d + 1]};
  const nn::ReferenceModel wide(sy::student_network(m, d, g_act), nn::LossKind::mse);
  const auto replicated = wide.evaluate(sy::parameters(w, a), data.samples);
  CHECK(replicated.gradient.lpNorm<Eigen::Infinity>() < 1e-9);
  CHECK(std::fabs(replicated.value - base.value) <= 1e-14 * base.value * 10);
  // Classification: every neuron kept, the replicas merged: r̂ = 2, off the manifold, critical.
  const sy::Classification c = sy::classify(t, sy::parameters(w, a), m);
  CHECK_FALSE(c.on_manifold);
  CHECK(c.r_hat == 2);
  CHECK(c.zero_type == 0);
  // A zero-type neuron with a random w instead: not critical.
  std::vector<double> w0(theta.data(), theta.data() + r * d);
  for (const double x : {0.3, -0.8, 0.5}) w0.push_back(x);
  const std::vector<double> a_zero = {theta[r * d], theta[r * d + 1], 0.0};
  const nn::ReferenceModel three(sy::student_network(3, d, g_act), nn::LossKind::mse);
  const auto with_zero = three.evaluate(sy::parameters(w0, a_zero), data.samples);
  CHECK(with_zero.gradient.lpNorm<Eigen::Infinity>() > 1e-6);
  CHECK(with_zero.value == Approx(base.value).epsilon(1e-14));
}

TEST_CASE("classification of hand-made end points", "[symmetry]") {
  const sy::Teacher t = teacher_of(3, 3);
  const std::int64_t d = 3;
  const auto row = [&](int i) {
    return std::vector<double>(t.w.begin() + i * d, t.w.begin() + (i + 1) * d);
  };
  const auto build = [&](const std::vector<std::vector<double>>& ws,
                         const std::vector<double>& as) {
    std::vector<double> w;
    for (const auto& x : ws) w.insert(w.end(), x.begin(), x.end());
    return sy::parameters(w, as);
  };
  const std::vector<double> other = {0.9, -0.2, 0.4};
  SECTION("permuted replicas with split outputs and a zero-type neuron: on the manifold") {
    const auto theta =
        build({row(2), row(0), row(1), row(0), other}, {t.a[2], 0.25, t.a[1], t.a[0] - 0.25, 0.0});
    const auto c = sy::classify(t, theta, 5);
    CHECK(c.on_manifold);
    CHECK(c.subspace() == "3,1,2,1,0");
    CHECK(c.zero_type == 1);
    CHECK(c.r_hat == 3);
  }
  SECTION("a cancelling pair of equal w's is zero-type") {
    const auto theta =
        build({row(0), row(1), row(2), other, other}, {t.a[0], t.a[1], t.a[2], 2.5, -2.5});
    const auto c = sy::classify(t, theta, 5);
    CHECK(c.on_manifold);
    CHECK(c.zero_type == 2);
    CHECK(c.subspace() == "1,2,3,0,0");
  }
  SECTION("an unassigned neuron, a missing teacher neuron, a wrong output sum") {
    auto c = sy::classify(t, build({row(0), row(1), other}, {t.a[0], t.a[1], 1.0}), 3);
    CHECK_FALSE(c.on_manifold);
    CHECK(c.subspace() == "1,2,-");
    CHECK(c.r_hat == 3);
    CHECK(std::isnan(c.distance));
    c = sy::classify(t, build({row(0), row(1), row(2)}, {t.a[0], t.a[1], t.a[2] * 1.01}), 3);
    CHECK_FALSE(c.on_manifold);
    CHECK(c.distance == Approx(std::fabs(0.01 * t.a[2])).epsilon(1e-9));
    // A replica group of two neurons merged: r̂ counts it once.
    c = sy::classify(t, build({row(0), row(0), row(1)}, {0.5, 0.5, t.a[1]}), 3);
    CHECK(c.r_hat == 2);
    CHECK(c.reduced_a.size() == 2);
    CHECK(c.reduced_a[0] == Approx(1.0));
  }
}

TEST_CASE("Hessian spectrum counts", "[symmetry]") {
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(4, 4);
  h.diagonal() << 2.0, -1.0, 1e-12, 0.0;
  const sy::Spectrum s = sy::spectrum(h);
  CHECK(s.min == -1.0);
  CHECK(s.max == 2.0);
  CHECK(s.negative == 1);
  CHECK(s.zero == 2);
}

TEST_CASE(
    "the default teacher: polish outcomes, converged end points critical from the saved "
    "weights, more global minima at h = 2r* than at h = 0",
    "[symmetry][slow]") {
#if defined(__OPTIMIZE__)
  const std::int64_t count = 20, n = 500, steps = 3000;
#else
  const std::int64_t count = 4, n = 200, steps = 500;
#endif
  config::ParamSet params = defaults();
  params.set("n_train", n);
  params.set("steps", steps);
  int zero[2] = {0, 0}, manifold[2] = {0, 0}, converged = 0, total = 0;
  for (int which = 0; which < 2; ++which) {
    const std::int64_t m = which == 0 ? 4 : 12;  // h = 0 and h = 2r*
    params.set("width", m);
    sy::Problem p = sy::problem_of(params);
    p.save_weights = true;
    const auto replicas = seeds(params, 0, count);
    const std::vector<TaskResult> results = sy::train(p, replicas, {});
    const sy::Data data = sy::make_data(p, replicas.front());
    for (const TaskResult& result : results) {
      REQUIRE(result.status == Status::done);
      const double outcome = result.row.number("polish_outcome");
      CHECK((outcome == 0 || outcome == 1 || outcome == 3));
      ++total;
      if (outcome == 0) {
        ++converged;
        Eigen::VectorXd theta(m * (p.d + 1)), gradient;
        for (Eigen::Index q = 0; q < theta.size(); ++q)
          theta[q] = result.row.number("weights", static_cast<std::size_t>(q));
        const double value = direct_loss(theta, data.samples, m, &gradient);
        CHECK(gradient.lpNorm<Eigen::Infinity>() < 1e-10);
        CHECK(value == Approx(result.row.number("loss")).epsilon(1e-9).margin(1e-20));
      }
      zero[which] += result.row.number("zero_loss") == 1 ? 1 : 0;
      manifold[which] += result.row.number("on_manifold") == 1 ? 1 : 0;
      if (result.row.number("on_manifold") == 1) CHECK(result.row.number("zero_loss") == 1);
    }
  }
  const int c = static_cast<int>(count);
  const auto w0 = wilson(zero[0], c), w1 = wilson(zero[1], c);
  std::printf(
      "symmetry: zero loss %d/%d [%.2f, %.2f] at h = 0, %d/%d [%.2f, %.2f] at h = 2r*; on the "
      "manifold %d and %d; converged polish %d/%d; p = %.2g (zero loss), %.2g (manifold)\n",
      zero[0], c, w0.first, w0.second, zero[1], c, w1.first, w1.second, manifold[0], manifold[1],
      converged, total, two_proportion_p(zero[0], c, zero[1], c),
      two_proportion_p(manifold[0], c, manifold[1], c));
#if defined(__OPTIMIZE__)
  CHECK(two_proportion_p(zero[0], c, zero[1], c) < 0.01);
  CHECK(two_proportion_p(manifold[0], c, manifold[1], c) < 0.01);
#endif
}

TEST_CASE("run() is pure: the same bits for every pack size and precision path", "[symmetry]") {
  config::ParamSet params = defaults();
  params.set("n_train", std::int64_t{100});
  params.set("steps", std::int64_t{200});
  params.set("width", std::int64_t{6});
  for (const char* precision : {"double", "float"}) {
    params.set("precision", std::string(precision));
    const sy::Problem p = sy::problem_of(params);
    const auto replicas = seeds(params, 0, 5);
    const auto all = sy::train(p, replicas, {});
    const auto single = sy::train(p, replicas, {1, nullptr});
    REQUIRE(all.size() == single.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto &x = all[i].row.data().numbers, &y = single[i].row.data().numbers;
      REQUIRE(x.size() == y.size());
      CHECK(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
      CHECK(all[i].row.data().texts == single[i].row.data().texts);
    }
  }
}
