// splines: metric definitions against closed forms, brute force and a second implementation
// (hand-made ReLU networks, the linear-spline interpolant built two ways, the engine's forward
// pass), J >= J* on arbitrary networks, run() pure (same bits for every pack size and replica
// order), data and parameters.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/splines.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/schedule.hpp"
#include "nnsweep/rng/stream.hpp"
#include "nnsweep/theory/splines.hpp"
#include "splines_model.hpp"
#include "splines_test_support.hpp"

using namespace nnsweep;
using namespace nnsweep::experiments;
using namespace nnsweep::splines_test;
namespace sp = nnsweep::experiments::splines;
namespace ts = nnsweep::theory::splines;

namespace {

// f(t) = a t + c + Σ v_k relu(w_k t + b_k) as a one-hidden-layer pn Net (d = 1).
sp::Net net_of(const std::vector<double>& w, const std::vector<double>& b,
               const std::vector<double>& v, double a, double c) {
  sp::Net net;
  net.w = {w, v};
  net.b = {b, {}};
  net.a = {a};
  net.c = c;
  return net;
}

// A ReLU net equal to a linear spline: one balanced unit per knot (|v| = |w| = √|jump|).
sp::Net net_of(const ts::LinearSpline& s) {
  std::vector<double> w, b, v;
  for (std::size_t k = 0; k < s.positions.size(); ++k) {
    const double r = std::sqrt(std::fabs(s.jumps[k]));
    w.push_back(r);
    b.push_back(-r * s.positions[k]);
    v.push_back(s.jumps[k] > 0 ? r : -r);
  }
  return net_of(w, b, v, s.slope, s.intercept);
}

// The jumps of f' found numerically: f'(t + h) − f'(t − h) at every kink, brute force over a fine
// grid of one-sided difference quotients (a second implementation of TV(f')).
double brute_force_tv(const sp::LineNet& f, double lo, double hi, int n = 20000) {
  const double h = (hi - lo) / n;
  double tv = 0, previous = (f(lo + h) - f(lo)) / h;
  for (int i = 1; i < n; ++i) {
    const double t = lo + h * i;
    const double slope = (f(t + h) - f(t)) / h;
    tv += std::fabs(slope - previous);
    previous = slope;
  }
  return tv;
}

Eigen::VectorXd vec(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

}  // namespace

TEST_CASE("TV(f'), path norm and knots of hand-made ReLU networks equal their closed forms",
          "[splines]") {
  // Knots at 0.3 (jump 2·1) and 0.2 (jump −1·2), and a unit with w = 0 (no knot).
  const sp::Net net = net_of({1, -2, 0}, {-0.3, 0.4, 0.7}, {2, -1, 5}, 0.5, -0.1);
  const sp::LineNet line = sp::on_line(net, {1.0});
  const sp::Knots k = sp::knots(line, {-1, -0.5, 0, 0.5, 1}, 0.01);
  REQUIRE(k.positions.size() == 2);
  CHECK(k.positions[0] == Approx(0.2));
  CHECK(k.jumps[0] == Approx(-2));
  CHECK(k.positions[1] == Approx(0.3));
  CHECK(k.jumps[1] == Approx(2));
  CHECK(k.tv == Approx(4));
  CHECK(k.active == 2);
  CHECK(k.effective == 2);
  CHECK(brute_force_tv(line, -1, 1) == Approx(4).epsilon(1e-6));
  // Two coincident units of opposite jumps cancel: TV 0 although the path norm is 2.
  const sp::LineNet cancel = sp::on_line(net_of({1, 1}, {-0.1, -0.1}, {1, -1}, 0, 0), {1.0});
  const sp::Knots kc = sp::knots(cancel, {-1, 0, 1}, 0.01);
  CHECK(kc.tv == 0);
  CHECK(kc.effective == 0);
  CHECK(brute_force_tv(cancel, -1, 1) == Approx(0).margin(1e-9));
  // Two knots closer than δ merge into one cluster at the |c|-weighted mean.
  const sp::LineNet near = sp::on_line(net_of({1, 1}, {-0.100, -0.104}, {1, 3}, 0, 0), {1.0});
  const sp::Knots kn = sp::knots(near, {-1, 0, 1}, 0.01);
  REQUIRE(kn.clusters.size() == 1);
  CHECK(kn.clusters[0].jump == Approx(4));
  CHECK(kn.clusters[0].location == Approx((0.1 * 1 + 0.104 * 3) / 4));
  CHECK(kn.effective == 1);
  CHECK(kn.active == 2);
  // Random nets: TV(f') = the brute-force sum of slope jumps, V(f) <= TV(f') <= P.
  rng::Stream stream(1, 2, 3, rng::Purpose::monte_carlo);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> w(6), b(6), v(6);
    for (int q = 0; q < 6; ++q) {
      w[q] = 2 * stream.uniform() - 1;
      b[q] = 2 * stream.uniform() - 1;
      v[q] = 2 * stream.uniform() - 1;
    }
    const sp::Net rn = net_of(w, b, v, 0.3, 0.2);
    const sp::LineNet rl = sp::on_line(rn, {1.0});
    const sp::Knots rk = sp::knots(rl, {-1, 1}, 1e-3);
    double path = 0;
    for (int q = 0; q < 6; ++q) path += std::fabs(v[q] * w[q]);
    CHECK(rk.tv == Approx(path).epsilon(1e-12));  // distinct knots
    // Every knot of these nets lies in (−∞, ∞); the brute force sees those in [−L, L].
    double inside = 0;
    for (std::size_t q = 0; q < rk.positions.size(); ++q)
      if (std::fabs(rk.positions[q]) < 50) inside += std::fabs(rk.jumps[q]);
    CHECK(brute_force_tv(rl, -50, 50, 200000) == Approx(inside).epsilon(1e-4));
    const std::vector<double> t = {-0.9, -0.4, 0.1, 0.35, 0.8};
    std::vector<double> f;
    for (double ti : t) f.push_back(rl(ti));
    CHECK(sp::fitted_tv(t, f) <= rk.tv * (1 + 1e-12));
  }
}

TEST_CASE("the min-TV linear-spline interpolant, built two ways, is what the metrics expect",
          "[splines]") {
  rng::Stream stream(4, 5, 6, rng::Purpose::monte_carlo);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 3 + trial % 8;
    std::vector<double> t(n), y(n);
    for (int i = 0; i < n; ++i) {
      t[i] = -1 + (2 * (i + 1) - 1 + (stream.uniform() - 0.5)) / n;
      y[i] = 2 * stream.uniform() - 1;
    }
    if (trial % 5 == 4) y[2] = y[1] + (y[1] - y[0]) / (t[1] - t[0]) * (t[2] - t[1]);  // a tie
    const Eigen::VectorXd x = vec(t), yv = vec(y);
    // Way 1: connect the dots — a knot at each interior point with the slope change as jump.
    ts::LinearSpline dots;
    const Eigen::VectorXd s = ts::slopes(x, yv);
    dots.slope = s[0];
    dots.intercept = y[0] - s[0] * t[0];
    for (int i = 1; i + 1 < n; ++i) {
      dots.positions.push_back(t[i]);
      dots.jumps.push_back(s[i] - s[i - 1]);
    }
    // Way 2: the sparsest interpolant (same-sign knot pairs merged).
    const ts::LinearSpline sparse = ts::sparsest_interpolant(x, yv);
    const ts::LinearSpline* both[] = {&dots, &sparse};
    const double v_y = ts::min_tv_interpolation(x, yv);
    INFO("trial " << trial << ", N = " << n);
    for (int i = 0; i < n; ++i) {
      CHECK(dots(t[i]) == Approx(y[i]).margin(1e-12));
      CHECK(sparse(t[i]) == Approx(y[i]).margin(1e-12));
    }
    CHECK(dots.total_variation() == Approx(v_y).epsilon(1e-12));
    CHECK(sparse.total_variation() == Approx(v_y).epsilon(1e-10));
    // As balanced ReLU nets, trained on (t, y) with λ = 0: fitted values y, W = P = TV(f') =
    // V(y) = V(f), ρ = 1, nothing misplaced, the sparsest count of effective knots.
    sp::Problem p;
    p.n_points = n;
    p.wd = 0;
    sp::Data data;
    data.t = t;
    data.x = t;
    data.y = y;
    data.u = {1.0};
    for (const ts::LinearSpline* spline : both) {
      const sp::Net net = net_of(*spline);
      p.width = static_cast<std::int64_t>(spline->positions.size());
      if (p.width == 0) continue;
      double m[sp::metric_count];
      sp::measure(p, data, 0.0, net, m);
      CHECK(m[sp::mse] == Approx(0).margin(1e-24));
      CHECK(m[sp::penalty] == Approx(v_y).epsilon(1e-10));
      CHECK(m[sp::path_norm] == Approx(v_y).epsilon(1e-10));
      CHECK(m[sp::tv] == Approx(v_y).epsilon(1e-10));
      CHECK(m[sp::tv_fit] == Approx(v_y).epsilon(1e-10));
      CHECK(m[sp::penalty_ratio] == Approx(1).epsilon(1e-12));
      CHECK(m[sp::balance] == Approx(0).margin(1e-12));
      if (v_y > 1e-9) CHECK(m[sp::rho] == Approx(1).epsilon(1e-10));
      CHECK(m[sp::misplaced_mass] == Approx(0).margin(1e-12));
    }
    // Effective knots: the sparse interpolant's knots, which are > δ apart, but for those
    // below 1% of the TV; with none below, the sparsest count.
    double m[sp::metric_count];
    p.width = static_cast<std::int64_t>(sparse.positions.size());
    if (p.width > 0) {
      sp::measure(p, data, 0.0, net_of(sparse), m);
      int large = 0;
      for (double jump : sparse.jumps) large += std::fabs(jump) >= 0.01 * v_y ? 1 : 0;
      CHECK(m[sp::knots_effective] == large);
      if (large == static_cast<int>(sparse.jumps.size()))
        CHECK(m[sp::knots_effective] == ts::sparsest_knots(x, yv));
    }
  }
}

TEST_CASE("J >= J* for every network, and J = J* for the min-TV interpolant of z*", "[splines]") {
  rng::Stream stream(7, 8, 9, rng::Purpose::monte_carlo);
  for (int trial = 0; trial < 10; ++trial) {
    const int n = 3 + trial % 6;
    sp::Data data;
    for (int i = 0; i < n; ++i) {
      data.t.push_back(-1 + (2 * (i + 1) - 1 + (stream.uniform() - 0.5)) / n);
      data.y.push_back(2 * stream.uniform() - 1);
    }
    data.x = data.t;
    data.u = {1.0};
    const double lambda = 1e-2 * (1 + trial);
    const ts::TvRegression reg = ts::tv_regression(vec(data.t), vec(data.y), lambda);
    sp::Problem p;
    p.n_points = n;
    // The optimum as a network: the sparsest interpolant of z*, units balanced.
    const ts::LinearSpline star = ts::sparsest_interpolant(vec(data.t), reg.z, 1e-9);
    double m[sp::metric_count];
    if (!star.positions.empty()) {
      p.width = static_cast<std::int64_t>(star.positions.size());
      sp::measure(p, data, lambda, net_of(star), m);
      CHECK(m[sp::objective] == Approx(reg.objective).epsilon(1e-9));
    }
    // Random networks and perturbations of the optimum: never below J*.
    for (int r = 0; r < 20; ++r) {
      const int k = 1 + r % 7;
      std::vector<double> w(k), b(k), v(k);
      for (int q = 0; q < k; ++q) {
        w[q] = 2 * stream.uniform() - 1;
        b[q] = 2 * stream.uniform() - 1;
        v[q] = 2 * stream.uniform() - 1;
      }
      p.width = k;
      sp::measure(p, data, lambda, net_of(w, b, v, stream.uniform() - 0.5, stream.uniform() - 0.5),
                  m);
      CHECK(m[sp::objective] >= reg.objective);
    }
    if (!star.positions.empty()) {
      sp::Net perturbed = net_of(star);
      for (double& x : perturbed.w[1]) x *= 1 + 1e-3 * (stream.uniform() - 0.5);
      p.width = static_cast<std::int64_t>(star.positions.size());
      sp::measure(p, data, lambda, perturbed, m);
      CHECK(m[sp::objective] >= reg.objective * (1 - 1e-12));
    }
  }
}

TEST_CASE("misplaced knot mass, stable and numerical rank, alignment", "[splines]") {
  // Fitted values of a V shape: the only allowed knot is at t = 0 with a positive jump.
  const std::vector<double> t = {-1, -0.5, 0, 0.5, 1}, f = {1, 0.5, 0, 0.5, 1};
  CHECK(sp::misplaced(t, f, {{0.0, 2.0}}, 0.01) == 0);
  CHECK(sp::misplaced(t, f, {{0.0, 1.5}, {0.25, 0.5}}, 0.01) == Approx(0.25));
  CHECK(sp::misplaced(t, f, {{0.0, -2.0}}, 0.01) == 1);  // wrong sign
  // A convex run (two same-sign changes at 0 and 0.5): the open interval between is allowed.
  const std::vector<double> g = {0, 0, 0, 0.5, 2};
  CHECK(sp::misplaced(t, g, {{0.25, 1.0}, {0.5, 1.0}}, 0.01) == 0);
  CHECK(sp::misplaced(t, g, {{-0.25, 1.0}}, 0.01) == 1);
  // Ranks.
  const std::vector<double> rank_one = {1, 2, 3, 2, 4, 6};  // 2 × 3
  CHECK(sp::stable_rank(rank_one, 2, 3) == Approx(1).epsilon(1e-12));
  CHECK(sp::numerical_rank(rank_one, 2, 3) == 1);
  std::vector<double> identity(16, 0.0);
  for (int i = 0; i < 4; ++i) identity[i * 5] = 1;
  CHECK(sp::stable_rank(identity, 4, 4) == Approx(4).epsilon(1e-12));
  CHECK(sp::numerical_rank(identity, 4, 4) == 4);
  const std::vector<double> diag = {1, 0, 0, 0.5};  // σ = 1, 0.5: sr = 1.25
  CHECK(sp::stable_rank(diag, 2, 2) == Approx(1.25).epsilon(1e-12));
  CHECK(sp::numerical_rank(diag, 2, 2, 0.6) == 1);
  // Alignment: first-layer rows in span(u) give 1, rows ⊥ u give 0.
  sp::Problem p;
  p.d = 2;
  p.n_points = 3;
  p.width = 2;
  sp::Data data;
  data.t = {-1, 0, 1};
  data.u = {0.6, 0.8};
  for (double ti : data.t) {
    data.x.push_back(ti * 0.6);
    data.x.push_back(ti * 0.8);
  }
  data.y = {1, 0, 1};
  sp::Net net;
  net.d = 2;
  net.w = {{0.6, 0.8, -1.2, -1.6}, {1, 0.5}};
  net.b = {{0, 0}, {}};
  net.a = {0, 0};
  double m[sp::metric_count];
  sp::measure(p, data, 0.0, net, m);
  CHECK(m[sp::alignment] == Approx(1).epsilon(1e-12));
  CHECK(m[sp::mse] == Approx(0).margin(1e-24));  // f(t u) = |t|
  net.w[0] = {0.8, -0.6, -0.8, 0.6};
  sp::measure(p, data, 0.0, net, m);
  CHECK(m[sp::alignment] == Approx(0).margin(1e-15));
}

TEST_CASE("the metrics' forward pass is the engine's (unpack and the Layout agree)", "[splines]") {
  for (const char* mode : {"pn", "ses", "bf"})
    for (std::int64_t depth : {std::int64_t{2}, std::int64_t{3}}) {
      config::ParamSet params = defaults();
      params.set("reg_mode", std::string(mode));
      params.set("depth", depth);
      params.set("d", std::int64_t{3});
      params.set("width", std::int64_t{5});
      params.set("data", std::string("index"));
      splines_experiment().resolve(params);
      const sp::Problem p = sp::problem_of(params);
      const sp::Data data = sp::make_data(p, replicas(params, 0, 1)[0]);
      nn::TrainSpec spec;
      {
        // The experiment's network, through the engine: random parameters on lane 0.
        rng::Stream stream(1, 1, 1, rng::Purpose::monte_carlo);
        const std::size_t size = sp::parameter_count(p);
        std::vector<double> theta(size);
        for (double& x : theta) x = 2 * stream.uniform() - 1;
        const sp::Net net = sp::unpack(p, theta);
        // Rebuild the same network in an nn::Pack (the kernel's TrainSpec).
        nn::NetworkSpec ns;
        ns.input = 3;
        const bool ses = std::string(mode) == "ses";
        for (std::int64_t l = 0; l + 1 < depth; ++l)
          ns.layers.push_back({5, true, true, true, false});
        ns.layers.push_back({1, ses, true, true, false});
        ns.activation = nn::Activation{nn::ActivationKind::relu, 0};
        ns.skip = !ses;
        spec.network = ns;
        nn::Pack<double> pack(spec, p.n_points);
        REQUIRE(pack.layout().size == size);
        for (std::size_t q = 0; q < size; ++q)
          for (int lane = 0; lane < nn::Pack<double>::lanes; ++lane)
            pack.parameter(q, lane) = theta[q];
        const int lanes = nn::Pack<double>::lanes;
        std::vector<double> x(static_cast<std::size_t>(p.n_points) * 3 * lanes),
            out(static_cast<std::size_t>(p.n_points) * lanes);
        for (std::int64_t s = 0; s < p.n_points; ++s)
          for (int j = 0; j < 3; ++j)
            for (int lane = 0; lane < lanes; ++lane)
              x[(static_cast<std::size_t>(s) * 3 + j) * lanes + lane] = data.x[s * 3 + j];
        pack.forward(x.data(), p.n_points, out.data());
        for (std::int64_t s = 0; s < p.n_points; ++s)
          CHECK(net(data.x.data() + s * 3) ==
                Approx(out[static_cast<std::size_t>(s) * lanes]).epsilon(1e-12));
      }
    }
}

TEST_CASE("data: jittered grid, collinear embedding, index data, pairing across training knobs",
          "[splines]") {
  config::ParamSet params = defaults();
  splines_experiment().resolve(params);
  sp::Problem p = sp::problem_of(params);
  const sp::Data a = sp::make_data(p, replicas(params, 3, 1)[0]);
  REQUIRE(a.t.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    const double centre = -1 + (2.0 * (i + 1) - 1) / 8;
    CHECK(std::fabs(a.t[i] - centre) <= 0.5 / 8);
    CHECK(std::fabs(a.y[i]) < 1);
    CHECK(a.x[i] == a.t[i]);
  }
  // λ, mode, optimizer, lr, steps do not change the data key; n_points does.
  config::ParamSet other = params;
  other.set("wd", 0.3);
  other.set("reg_mode", std::string("bf"));
  other.set("optimizer", std::string("gd"));
  other.set("steps", std::int64_t{7});
  const Replica ra = replicas(params, 3, 1)[0], rb = replicas(other, 3, 1)[0];
  CHECK(ra.key(rng::Purpose::data) == rb.key(rng::Purpose::data));
  CHECK(ra.key(rng::Purpose::init) == rb.key(rng::Purpose::init));
  other.set("n_points", std::int64_t{9});
  CHECK(ra.key(rng::Purpose::data) != replicas(other, 3, 1)[0].key(rng::Purpose::data));
  // Collinear: x_i = t_i u with |u| = 1.
  params.set("d", std::int64_t{4});
  p = sp::problem_of(params);
  const sp::Data c = sp::make_data(p, replicas(params, 3, 1)[0]);
  double norm2 = 0;
  for (double u : c.u) norm2 += u * u;
  CHECK(norm2 == Approx(1).epsilon(1e-14));
  for (std::size_t i = 0; i < 8; ++i)
    for (std::size_t j = 0; j < 4; ++j) CHECK(c.x[i * 4 + j] == c.t[i] * c.u[j]);
  // Index data: u₁ ⊥ u₂, y = |u₁·x| + ½(u₂·x)².
  params.set("data", std::string("index"));
  params.set("n_points", std::int64_t{16});
  p = sp::problem_of(params);
  const sp::Data ix = sp::make_data(p, replicas(params, 3, 1)[0]);
  double dot = 0;
  for (std::size_t j = 0; j < 4; ++j) dot += ix.u[j] * ix.u[4 + j];
  CHECK(dot == Approx(0).margin(1e-15));
  for (std::size_t i = 0; i < 16; ++i) {
    double p1 = 0, p2 = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      p1 += ix.u[j] * ix.x[i * 4 + j];
      p2 += ix.u[4 + j] * ix.x[i * 4 + j];
    }
    CHECK(ix.y[i] == Approx(std::fabs(p1) + 0.5 * p2 * p2).epsilon(1e-14));
  }
}

TEST_CASE("run() gives the same bits for every pack size, replica order and repetition",
          "[splines]") {
  for (const char* precision : {"double", "float"})
    for (const char* mode : {"pn", "ses", "bf"}) {
      config::ParamSet params = defaults();
      params.set("width", std::int64_t{6});
      params.set("steps", std::int64_t{300});
      params.set("log_points", std::int64_t{6});
      params.set("grid_points", std::int64_t{11});
      params.set("precision", std::string(precision));
      params.set("reg_mode", std::string(mode));
      if (std::string(mode) == "bf") {
        params.set("wd_rel", 0.2);  // λ differs between the seeds of the cell
        params.set("optimizer", std::string("gd"));
      }
      const Experiment& e = splines_experiment();
      e.resolve(params);
      const std::vector<Replica> reps = replicas(params, 2, 9);
      const auto reference = e.run({params, {}}, reps, {});
      INFO(precision << " " << mode);
      for (std::size_t pack : {1, 3, 4, 8, 16}) {
        RunOptions options;
        options.pack = pack;
        CHECK(same_bits(reference, e.run({params, {}}, reps, options)));
      }
      std::vector<Replica> reversed(reps.rbegin(), reps.rend());
      auto back = e.run({params, {}}, reversed, {});
      std::reverse(back.begin(), back.end());
      CHECK(same_bits(reference, back));
      CHECK(same_bits({reference[4]}, e.run({params, {}}, {reps[4]}, {})));
      CHECK(reference[0].row.number("objective") != reference[1].row.number("objective"));
    }
}

TEST_CASE("columns, curves and theory of a run", "[splines]") {
  config::ParamSet params = defaults();
  params.set("steps", std::int64_t{2000});
  params.set("log_points", std::int64_t{8});
  const Experiment& e = splines_experiment();
  e.resolve(params);
  grid::ColumnSet columns;
  e.columns(params, columns);
  const auto results = e.run({params, {}}, replicas(params, 0, 3), {});
  const std::vector<std::int64_t> steps = nn::log_schedule(2000, 8);
  for (const TaskResult& r : results) {
    REQUIRE(r.status == Status::done);
    REQUIRE(r.row.columns().same_layout(columns));
    for (std::size_t i = 0; i < 8; ++i)
      CHECK(r.row.number("curve_step", i) == static_cast<double>(steps[i]));
    const double last = r.row.number("curve_objective", 7), j = r.row.number("objective");
    CHECK(std::memcmp(&last, &j, sizeof j) == 0);
    CHECK(r.row.number("curve_objective", 0) > r.row.number("curve_objective", 7));
    // The theory of the task's own data.
    std::vector<double> t(8), y(8);
    for (std::size_t i = 0; i < 8; ++i) {
      t[i] = r.row.number("data_x", i);
      y[i] = r.row.number("data_y", i);
    }
    const ts::TvRegression reg = ts::tv_regression(vec(t), vec(y), 1e-2);
    CHECK(r.row.number("theory_objective") == reg.objective);
    CHECK(r.row.number("theory_tv") == ts::min_tv_interpolation(vec(t), vec(y)));
    CHECK(r.row.number("lambda_max") == ts::lambda_max(vec(t), vec(y)));
    CHECK(r.row.number("theory_knots") == ts::sparsest_knots(reg.slope_changes));
    CHECK(r.row.number("objective_ratio") == j / reg.objective);
    CHECK(j >= reg.objective);
    CHECK(r.row.number("lambda") == 1e-2);
    // The function curve is the net along the line; at the data it is near the fitted values.
    CHECK(r.row.number("function_x", 0) == -1.2);
    CHECK(r.row.number("function_x", 100) == Approx(1.2));
    CHECK(std::isfinite(r.row.number("function", 50)));
    CHECK(r.row.number("stable_rank", 1) == Approx(1).epsilon(1e-12));  // 1 × K output row
    CHECK(std::isnan(r.row.number("alignment")));
    // The effective knots' locations: as many as knots_effective, increasing, then NaN.
    int located = 0;
    for (std::size_t q = 0; q < 100; ++q)
      if (!std::isnan(r.row.number("knot_location", q))) {
        ++located;
        if (q > 0) CHECK(r.row.number("knot_location", q) > r.row.number("knot_location", q - 1));
      }
    CHECK(located == r.row.number("knots_effective"));
  }
  // wd_rel: λ = wd_rel·λ_max per task.
  config::ParamSet rel = defaults();
  rel.set("wd_rel", 0.5);
  rel.set("steps", std::int64_t{10});
  e.resolve(rel);
  const auto rr = e.run({rel, {}}, replicas(rel, 0, 2), {});
  for (const TaskResult& r : rr) CHECK(r.row.number("lambda") == 0.5 * r.row.number("lambda_max"));
}

TEST_CASE("parameters: defaults, constraints and cost", "[splines]") {
  const Experiment& e = splines_experiment();
  config::ParamSet params = defaults();
  CHECK_NOTHROW(e.resolve(params));
  sp::Problem p = sp::problem_of(params);
  CHECK(p.width == 100);
  CHECK(p.wd == 1e-2);
  CHECK(p.wd_rel == 0);
  CHECK(p.lr == 1e-3);
  CHECK(p.adam);
  CHECK(p.reg_mode == sp::RegMode::pn);
  config::ParamSet gd = defaults();
  gd.set("optimizer", std::string("gd"));
  e.resolve(gd);
  CHECK(sp::problem_of(gd).lr == 5e-2);
  config::ParamSet both = defaults();
  both.set("wd", 0.1);
  both.set("wd_rel", 0.1);
  CHECK_THROWS_WITH(e.resolve(both), Catch::Contains("give one of the two"));
  config::ParamSet index = defaults();
  index.set("data", std::string("index"));
  CHECK_THROWS_WITH(e.resolve(index), Catch::Contains("d >= 2"));
  // Cost: 3K + 2 = 302 parameters (w, b, v, a, c), per step 6·8·302 + 3·8·101 + 12·302 =
  // 20544 FLOPs; 20000 steps dominate (the 30 evaluations, SVDs and the solver are ~3%).
  CHECK(sp::parameter_count(p) == 302);
  const double base = e.cost(params);
  CHECK(base == Approx(20000 * 20544.0).epsilon(0.05));
  params.set("steps", std::int64_t{40000});
  CHECK(e.cost(params) - base == Approx(20000 * 20544.0).epsilon(1e-9));
  CHECK(e.preferred_pack(params) == 4);
}

TEST_CASE("cancellation returns pending results", "[splines]") {
  config::ParamSet params = defaults();
  splines_experiment().resolve(params);
  std::atomic<bool> cancel{true};
  RunOptions options;
  options.cancel = &cancel;
  const auto results = splines_experiment().run({params, {}}, replicas(params, 0, 3), options);
  for (const TaskResult& r : results) CHECK(r.status == Status::pending);
}

TEST_CASE("per-lane weight decay is bitwise nn::Sgd and nn::Adam with weight_decay", "[splines]") {
  for (const bool adam : {false, true}) {
    sp::Problem p;
    p.width = 9;
    p.n_points = 6;
    p.adam = adam;
    p.lr = adam ? 1e-3 : 5e-2;
    nn::TrainSpec spec = sp::train_spec(p);
    spec.optimizer.weight_decay = 0.03;  // the reference: the platform's own decay
    constexpr int L = nn::Pack<double>::lanes;
    nn::Pack<double> reference(spec, 6), ours(spec, 6);
    std::unique_ptr<nn::Optimizer<double, L>> inner;
    if (adam)
      inner = std::make_unique<nn::Adam<double, L>>(p.lr);
    else
      inner = std::make_unique<nn::Sgd<double, L>>(p.lr);
    auto lane_decay = std::make_unique<sp::LaneDecay<double, L>>(std::move(inner));
    for (int lane = 0; lane < L; ++lane) lane_decay->set_lambda(lane, 0.03);
    ours.set_optimizer(std::move(lane_decay));
    rng::Stream stream(3, 3, 3, rng::Purpose::monte_carlo);
    const std::size_t size = reference.layout().size;
    for (int lane = 0; lane < L; ++lane) {
      for (std::int64_t s = 0; s < 6; ++s) {
        reference.input(s, 0, lane) = ours.input(s, 0, lane) = 2 * stream.uniform() - 1;
        reference.target(s, 0, lane) = ours.target(s, 0, lane) = 2 * stream.uniform() - 1;
      }
      for (std::size_t q = 0; q < size; ++q)
        reference.parameter(q, lane) = ours.parameter(q, lane) = 2 * stream.uniform() - 1;
    }
    reference.advance(100);
    ours.advance(100);
    INFO("adam " << adam);
    CHECK(std::memcmp(reference.parameters(), ours.parameters(), size * L * sizeof(double)) == 0);
    CHECK(reference.parameters()[0] != 0);
  }
}
