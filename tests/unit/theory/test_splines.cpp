// The exact 1-D spline theory of the `splines` experiment (theory/splines.hpp) against brute force
// over knot sets (every sign pattern of the slope changes, solved in a spline basis: a second,
// primal method), closed forms and limits (λ → 0, λ >= λ_max), and lower-bound checks.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "nnsweep/core/error.hpp"
#include "nnsweep/rng/stream.hpp"
#include "nnsweep/theory/splines.hpp"

using namespace nnsweep;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
namespace sp = theory::splines;

namespace {

struct Data {
  VectorXd x, y;
};

// paper_D.md §7: x_i = −1 + (2i − 1 + U(−½, ½))/N, y ~ U(−1, 1); or x sorted U(−1, 1).
Data spline_data(int n, std::uint64_t seed, bool jittered = true) {
  rng::Stream stream(3, seed, static_cast<std::uint64_t>(n), rng::Purpose::data);
  Data d{VectorXd(n), VectorXd(n)};
  for (int i = 0; i < n; ++i)
    d.x[i] =
        jittered ? -1 + (2 * (i + 1) - 1 + stream.uniform() - 0.5) / n : 2 * stream.uniform() - 1;
  std::sort(d.x.data(), d.x.data() + n);
  for (int i = 0; i < n; ++i) d.y[i] = 2 * stream.uniform() - 1;
  return d;
}

// Data whose slope changes have the given signs (0: collinear, a tie of consecutive slopes).
Data data_with_signs(const std::vector<int>& signs, std::uint64_t seed) {
  const int n = static_cast<int>(signs.size()) + 2;
  rng::Stream stream(4, seed, 0, rng::Purpose::data);
  Data d{VectorXd(n), VectorXd(n)};
  for (int i = 0; i < n; ++i) d.x[i] = i + 0.3 * stream.uniform();
  double slope = 2 * stream.uniform() - 1;
  d.y[0] = 0;
  for (int i = 0; i + 1 < n; ++i) {
    if (i > 0) slope += signs[static_cast<std::size_t>(i - 1)] * (0.2 + stream.uniform());
    d.y[i + 1] = d.y[i] + slope * (d.x[i + 1] - d.x[i]);
  }
  return d;
}

// The face {z : z is a linear spline with knots at the points of S} in the basis 1, x,
// relu(x − x_p) (p ∈ S); minimise (1/N)‖z − y‖² + λ·gᵀz = (1/N)‖z − (y − (Nλ/2)g)‖² + const by
// least squares (QR), with an optional equality kᵀz = 0 through a null-space basis.
VectorXd face_minimiser(const Data& d, const std::vector<Index>& knots, double lambda,
                        const VectorXd& g, const VectorXd* k) {
  const Index n = d.x.size(), p = 2 + static_cast<Index>(knots.size());
  MatrixXd b(n, p);
  b.col(0).setOnes();
  b.col(1) = d.x;
  for (std::size_t q = 0; q < knots.size(); ++q)
    b.col(2 + static_cast<Index>(q)) = (d.x.array() - d.x[knots[q]]).max(0.0);
  const VectorXd target = d.y - (static_cast<double>(n) * lambda / 2) * g;
  if (k != nullptr) {  // β = Nγ with N spanning the null space of kᵀB
    const Eigen::HouseholderQR<MatrixXd> qr(b.transpose() * *k);
    const MatrixXd null = MatrixXd(qr.householderQ()).rightCols(p - 1);
    b = b * null;
  }
  return b * b.colPivHouseholderQr().solve(target);
}

// Calls fn(σ, knots) for every σ ∈ {−1, 0, 1}^(N−2); knots = points of the non-zero entries.
void for_each_pattern(Index changes,
                      const std::function<void(const VectorXd&, const std::vector<Index>&)>& fn) {
  std::vector<int> digits(static_cast<std::size_t>(changes), 0);
  while (true) {
    VectorXd sigma(changes);
    std::vector<Index> knots;
    for (Index j = 0; j < changes; ++j) {
      sigma[j] = digits[static_cast<std::size_t>(j)] - 1;
      if (sigma[j] != 0) knots.push_back(j + 1);
    }
    fn(sigma, knots);
    Index j = 0;
    while (j < changes && digits[static_cast<std::size_t>(j)] == 2)
      digits[static_cast<std::size_t>(j++)] = 0;
    if (j == changes) break;
    ++digits[static_cast<std::size_t>(j)];
  }
}

// J* by brute force: min over sign patterns σ of J(z_σ), z_σ the minimiser of the surrogate
// (1/N)‖z − y‖² + λσᵀDz on the face of σ. Every J(z_σ) >= J*, and the pattern of z* gives z*.
double brute_force_tv(const Data& d, double lambda, VectorXd* best_z = nullptr) {
  const MatrixXd dm = sp::second_difference(d.x);
  double best = std::numeric_limits<double>::infinity();
  for_each_pattern(dm.rows(), [&](const VectorXd& sigma, const std::vector<Index>& knots) {
    const VectorXd z = face_minimiser(d, knots, lambda, dm.transpose() * sigma, nullptr);
    const double j = sp::tv_objective(d.x, d.y, lambda, z);
    if (j < best) {
      best = j;
      if (best_z != nullptr) *best_z = z;
    }
  });
  return best;
}

// J*_SES by brute force: the max of R = max(a, (a + |b|)/2), a = ‖Dz‖₁, b = eᵀz, is linear on
// each piece: a (σᵀDz), (a ± b)/2, or the tie a = ±b as a constraint.
double brute_force_ses(const Data& d, double lambda) {
  const Index n = d.x.size();
  const MatrixXd dm = n >= 3 ? sp::second_difference(d.x) : MatrixXd(0, n);
  VectorXd e = VectorXd::Zero(n);
  e[0] -= 1 / (d.x[1] - d.x[0]);
  e[1] += 1 / (d.x[1] - d.x[0]);
  e[n - 2] -= 1 / (d.x[n - 1] - d.x[n - 2]);
  e[n - 1] += 1 / (d.x[n - 1] - d.x[n - 2]);
  double best = std::numeric_limits<double>::infinity();
  for_each_pattern(dm.rows(), [&](const VectorXd& sigma, const std::vector<Index>& knots) {
    const VectorXd a = dm.transpose() * sigma;
    const VectorXd plus = (a + e) / 2, minus = (a - e) / 2, tie_plus = e - a, tie_minus = -e - a;
    const VectorXd candidates[] = {
        face_minimiser(d, knots, lambda, a, nullptr),
        face_minimiser(d, knots, lambda, plus, nullptr),
        face_minimiser(d, knots, lambda, minus, nullptr),
        face_minimiser(d, knots, lambda, a, &tie_plus),
        face_minimiser(d, knots, lambda, a, &tie_minus),
    };
    for (const VectorXd& z : candidates)
      best = std::min(best, sp::ses_objective(d.x, d.y, lambda, z));
  });
  return best;
}

VectorXd least_squares_line(const Data& d) {
  MatrixXd b(d.x.size(), 2);
  b.col(0).setOnes();
  b.col(1) = d.x;
  return b * b.colPivHouseholderQr().solve(d.y);
}

}  // namespace

TEST_CASE("V(y), the SES closed form and slopes on hand-computed data", "[theory][splines]") {
  VectorXd x(4), y(4);
  x << 0, 1, 2, 3;
  y << 0, 2, 4.1, 6;  // paper_D.md §4.2: nearly linear, the max term binds → 2.1
  CHECK(sp::min_tv_interpolation(x, y) == Approx(0.3).epsilon(1e-14));
  CHECK(sp::ses_min_tv_interpolation(x, y) == Approx(2.1).epsilon(1e-14));
  CHECK(sp::sparsest_knots(x, y) == 2);  // changes +0.1, −0.2: two runs of one
  VectorXd x3(3), y3(3);
  x3 << -1, 0.5, 1;
  y3 << 1, -0.5, 2;  // slopes −1, 5: one knot of jump 6
  CHECK(sp::min_tv_interpolation(x3, y3) == Approx(6).epsilon(1e-15));
  CHECK(sp::ses_min_tv_interpolation(x3, y3) ==
        Approx(std::max(6.0, (6 + 4) / 2.0)).epsilon(1e-15));
  VectorXd bad(3);
  bad << 0, 0, 1;
  CHECK_THROWS_WITH(sp::min_tv_interpolation(bad, y3), Catch::Contains("sort x"));
}

TEST_CASE(
    "the sparsest knot count: runs of one sign, ⌈run/2⌉ each, and an interpolant with that many",
    "[theory][splines]") {
  struct Case {
    std::vector<int> signs;
    int knots;
  };
  // The first two are paper_D.md's MILP-checked examples (§4.1, appendix A).
  const std::vector<Case> cases = {{{-1, -1, 1, 1, -1}, 3},
                                   {{1, -1, 1, 1, -1}, 4},
                                   {{1, 1, 1}, 2},
                                   {{1, 1, 1, 1}, 2},
                                   {{1, 0, 1}, 2},
                                   {{1, 1, 0, 1, 1, 1}, 3},
                                   {{0, 0, 0}, 0},
                                   {{-1}, 1},
                                   {{1, -1, 1, -1, 1, -1}, 6},
                                   {{1, 1, 1, 1, 1, 1, 1}, 4}};
  int seed = 0;
  for (const Case& c : cases) {
    const Data d = data_with_signs(c.signs, static_cast<std::uint64_t>(++seed));
    INFO("case " << seed);
    CHECK(sp::sparsest_knots(d.x, d.y) == c.knots);
    const sp::LinearSpline f = sp::sparsest_interpolant(d.x, d.y);
    CHECK(static_cast<int>(f.positions.size()) == c.knots);
    for (Index i = 0; i < d.x.size(); ++i)
      CHECK(std::fabs(f(d.x[i]) - d.y[i]) <= 1e-12 * (1 + std::fabs(d.y[i])));
    CHECK(f.total_variation() ==
          Approx(sp::min_tv_interpolation(d.x, d.y)).epsilon(1e-12).margin(1e-14));
    for (double t : f.positions) CHECK((t >= d.x[0] && t <= d.x[d.x.size() - 1]));
    CHECK(sp::sparsest_knots(sp::slope_changes(d.x, d.y)) >= c.knots);  // exact zeros only
  }
}

TEST_CASE("J* equals brute force over knot sets on random problems, N = 3..9, ties included",
          "[theory][splines]") {
  int problems = 0;
  double worst = 0, worst_gap = 0;
  int max_iterations = 0;
  std::vector<Data> data;
  for (int n = 3; n <= 9; ++n)
    for (std::uint64_t seed = 0; seed < 3; ++seed) data.push_back(spline_data(n, seed, seed != 2));
  for (const auto& signs : {std::vector<int>{1, 0, 1, 1, 0}, std::vector<int>{0, 0, -1, -1, 0},
                            std::vector<int>{0, 0, 0, 0}, std::vector<int>{1, -1, 0}})
    data.push_back(data_with_signs(signs, 9));
  {  // exact ties: equal consecutive slope changes and a flat stretch on a uniform grid
    Data d{VectorXd(7), VectorXd(7)};
    d.x << 0, 1, 2, 3, 4, 5, 6;
    d.y << 0, 1, 1, 1, 0, -1, 0;
    data.push_back(d);
  }
  for (const Data& d : data) {
    const double lmax = sp::lambda_max(d.x, d.y);
    const double y2 = d.y.squaredNorm() / static_cast<double>(d.y.size());
    for (double rel : {1e-4, 1e-2, 0.1, 0.3, 0.7, 0.99, 1.5}) {
      if (lmax <= 1e-12) {  // collinear data: z* = y, J* = 0 up to rounding at any λ
        const sp::TvRegression r = sp::tv_regression(d.x, d.y, rel);
        CHECK(r.objective <= 1e-14 * y2);
        CHECK((r.z - d.y).lpNorm<Eigen::Infinity>() <= 1e-14 * d.y.lpNorm<Eigen::Infinity>());
        continue;
      }
      const double lambda = rel * lmax;
      const sp::TvRegression r = sp::tv_regression(d.x, d.y, lambda);
      VectorXd z_bf;
      const double bf = brute_force_tv(d, lambda, &z_bf);
      INFO("N = " << d.x.size() << ", λ = " << lambda << " (" << rel << " λ_max): J* "
                  << r.objective << ", brute force " << bf);
      const double err = std::fabs(r.objective - bf) / bf;
      worst = std::max(worst, err);
      CHECK(err <= 1e-10);
      CHECK((r.z - z_bf).lpNorm<Eigen::Infinity>() <= 1e-8 * (1 + d.y.lpNorm<Eigen::Infinity>()));
      // Weak duality certifies J*: J(z) >= J* >= dual value, all three within 1e-12.
      const double gap = std::fabs(r.objective - r.dual_value) / r.objective;
      CHECK(gap <= 1e-12);
      CHECK(r.primal >= r.objective * (1 - 1e-12));
      CHECK(r.primal <= r.objective * (1 + 1e-12));
      CHECK(r.dual.lpNorm<Eigen::Infinity>() <= 1);
      worst_gap = std::max(worst_gap, gap);
      max_iterations = std::max(max_iterations, r.iterations);
      ++problems;
    }
  }
  WARN("J* vs brute force on " << problems << " problems: worst relative difference " << worst
                               << ", worst relative |J* − dual| " << worst_gap
                               << ", most active-set iterations " << max_iterations);
}

TEST_CASE("λ → 0: J* = λV − (Nλ²/4)‖Dᵀsign(Dy)‖² while the signs hold; λ >= λ_max: the line",
          "[theory][splines]") {
  for (int n : {3, 5, 8, 16, 40}) {
    const Data d = spline_data(n, 11);
    const MatrixXd dm = sp::second_difference(d.x);
    const VectorXd sigma = (dm * d.y).array().sign();
    const double v = sp::min_tv_interpolation(d.x, d.y);
    INFO("N = " << n);
    for (double lambda : {1e-9, 1e-7}) {
      const double exact =
          lambda * v - n * lambda * lambda / 4 * (dm.transpose() * sigma).squaredNorm();
      CHECK(sp::tv_regression(d.x, d.y, lambda).objective == Approx(exact).epsilon(1e-12));
    }
    CHECK(sp::tv_regression(d.x, d.y, 0).objective == 0);
    // Above λ_max the optimum is the least-squares line, exactly; just below it is not.
    const double lmax = sp::lambda_max(d.x, d.y);
    const VectorXd line = least_squares_line(d);
    const double line_value = (line - d.y).squaredNorm() / n;
    for (double rel : {1.0, 1.0 + 1e-9, 2.0, 100.0}) {
      const sp::TvRegression r = sp::tv_regression(d.x, d.y, rel * lmax);
      CHECK(r.objective == Approx(line_value).epsilon(1e-12));
      CHECK((r.z - line).lpNorm<Eigen::Infinity>() <= 1e-12);
      CHECK(r.slope_changes.lpNorm<Eigen::Infinity>() <=
            1e-12 * (1 + sp::slopes(d.x, d.y).lpNorm<Eigen::Infinity>()));
    }
    const sp::TvRegression below = sp::tv_regression(d.x, d.y, 0.999 * lmax);
    CHECK(below.objective < line_value);
    CHECK(below.slope_changes.lpNorm<1>() > 0);
  }
}

TEST_CASE("J(z) >= J* for random and perturbed fitted values, and for PN networks of any width",
          "[theory][splines]") {
  for (int n : {3, 6, 8, 20, 64}) {
    const Data d = spline_data(n, 21);
    rng::Stream stream(5, static_cast<std::uint64_t>(n), 0, rng::Purpose::init);
    for (double lambda : {1e-3, 1e-2, 1e-1}) {
      const sp::TvRegression r = sp::tv_regression(d.x, d.y, lambda);
      INFO("N = " << n << ", λ = " << lambda);
      CHECK(std::fabs(r.objective - r.dual_value) <= 1e-12 * r.objective);
      for (int trial = 0; trial < 200; ++trial) {
        VectorXd z(n);
        const double size = trial < 100 ? 1.0 : std::pow(10.0, -2 - trial % 8);
        for (int i = 0; i < n; ++i)
          z[i] = (trial < 100 ? 0 : r.z[i]) + size * (2 * stream.uniform() - 1);
        CHECK(sp::tv_objective(d.x, d.y, lambda, z) >= r.objective * (1 - 1e-15));
      }
      // A PN net: f(x) = Σ v_k relu(w_k x + b_k) + a x + c with J(θ) = MSE + (λ/2)Σ(v² + w²).
      const auto net_objective = [&](const VectorXd& v, const VectorXd& w, const VectorXd& b,
                                     double a, double c) {
        double mse = 0;
        for (int i = 0; i < n; ++i) {
          const double f =
              (v.array() * (w.array() * d.x[i] + b.array()).max(0.0)).sum() + a * d.x[i] + c;
          mse += (f - d.y[i]) * (f - d.y[i]);
        }
        return mse / n + lambda / 2 * (v.squaredNorm() + w.squaredNorm());
      };
      for (int trial = 0; trial < 50; ++trial) {
        const int width = 1 + trial % 12;
        VectorXd v(width), w(width), b(width);
        for (int k = 0; k < width; ++k) {
          v[k] = 2 * stream.uniform() - 1;
          w[k] = 2 * stream.uniform() - 1;
          b[k] = 2 * stream.uniform() - 1;
        }
        CHECK(net_objective(v, w, b, 2 * stream.uniform() - 1, 0.3 * stream.uniform()) >=
              r.objective);
      }
      // The balanced net of the connect-the-dots interpolant of z* (a knot per slope change,
      // v = sign(a)√|a|, w = √|a|, so (v² + w²)/2 = |a|) attains J*.
      const VectorXd a = sp::slope_changes(d.x, r.z);
      VectorXd v(n - 2), w(n - 2), b(n - 2);
      for (int k = 0; k < n - 2; ++k) {
        w[k] = std::sqrt(std::fabs(a[k]));
        v[k] = a[k] < 0 ? -w[k] : w[k];
        b[k] = -w[k] * d.x[k + 1];
      }
      const double s1 = (r.z[1] - r.z[0]) / (d.x[1] - d.x[0]);
      CHECK(net_objective(v, w, b, s1, r.z[0] - s1 * d.x[0]) == Approx(r.objective).epsilon(1e-12));
    }
  }
}

TEST_CASE("J*_SES equals brute force over knot sets and branches, N = 2..8", "[theory][splines]") {
  double worst = 0;
  int problems = 0, interior = 0, boundary = 0;
  std::vector<Data> data;
  for (int n = 2; n <= 8; ++n)
    for (std::uint64_t seed = 0; seed < 2; ++seed) data.push_back(spline_data(n, 40 + seed));
  for (int n : {4, 6, 8}) {  // nearly linear data: the |s₁ + s_{N−1}| term binds (paper_D.md VC5)
    Data d = spline_data(n, 50);
    d.y = 2 * d.x + 0.1 * d.y;
    data.push_back(d);
  }
  for (const Data& d : data)
    for (double lambda : {1e-3, 1e-2, 0.1, 1.0}) {
      const sp::SesRegression r = sp::ses_regression(d.x, d.y, lambda);
      const double bf = brute_force_ses(d, lambda);
      INFO("N = " << d.x.size() << ", λ = " << lambda << ": J*_SES " << r.objective << " (upper "
                  << r.upper << ", s " << r.s << "), brute force " << bf);
      const double err = std::fabs(r.objective - bf) / bf;
      worst = std::max(worst, err);
      CHECK(err <= 1e-10);
      CHECK(r.upper >= r.objective * (1 - 1e-15));
      CHECK(r.upper <= r.objective * (1 + 1e-6));
      CHECK(r.objective >= sp::tv_regression(d.x, d.y, lambda).objective * (1 - 1e-15));
      ++problems;
      // s at 0: the ‖Dz‖₁ branch; at ±½: the (‖Dz‖₁ + |eᵀz|)/2 branch; inside: the tie.
      interior += std::fabs(r.s) > 1e-9 && std::fabs(r.s) < 0.5 - 1e-9;
      boundary += std::fabs(r.s) >= 0.5 - 1e-9;
    }
  CHECK(interior > 0);
  CHECK(boundary > 0);
  WARN("J*_SES vs brute force on "
       << problems << " problems (" << interior << " at a tie, " << boundary
       << " on the end-slope branch): worst relative difference " << worst);
}

TEST_CASE("J*_SES: λ → 0 gives λ times the SES min-TV closed form; large λ gives the mean",
          "[theory][splines]") {
  for (int n : {3, 5, 8, 16}) {
    for (bool nearly_linear : {false, true}) {
      Data d = spline_data(n, 60);
      if (nearly_linear) d.y = 2 * d.x + 0.1 * d.y;
      const double closed = sp::ses_min_tv_interpolation(d.x, d.y);
      INFO("N = " << n << (nearly_linear ? ", nearly linear" : ""));
      // J*_SES = λ·closed − O(λ²): at λ = 1e-11 the O(λ) relative term is below 1e-7.
      const double lambda = 1e-11;
      CHECK(sp::ses_regression(d.x, d.y, lambda).objective / lambda ==
            Approx(closed).epsilon(1e-7));
      // R(z) = 0 only for constant z: for λ large the fit is the mean.
      const double variance = (d.y.array() - d.y.mean()).square().mean();
      CHECK(sp::ses_regression(d.x, d.y, 1e6).objective == Approx(variance).epsilon(1e-12));
      VectorXd z(n);
      rng::Stream stream(6, static_cast<std::uint64_t>(n), 0, rng::Purpose::init);
      const sp::SesRegression r = sp::ses_regression(d.x, d.y, 0.05);
      for (int trial = 0; trial < 100; ++trial) {
        for (int i = 0; i < n; ++i)
          z[i] = r.z[i] + std::pow(10.0, -1 - trial % 6) * (2 * stream.uniform() - 1);
        CHECK(sp::ses_objective(d.x, d.y, 0.05, z) >= r.objective * (1 - 1e-15));
      }
    }
  }
}
