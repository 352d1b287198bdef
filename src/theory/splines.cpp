#include "nnsweep/theory/splines.hpp"
#include "nnsweep/core/assert.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"

namespace nnsweep::theory::splines {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

void check_data(const VectorXd& x, const VectorXd& y) {
  NNSWEEP_CHECK(x.size() == y.size() && x.size() >= 2, "spline data with ", x.size(), " x and ",
                y.size(), " y values — give the same number, at least 2");
  NNSWEEP_CHECK(x.allFinite() && y.allFinite(),
                "spline data contain a non-finite value — give "
                "finite x and y");
  for (Index i = 0; i + 1 < x.size(); ++i)
    NNSWEEP_CHECK(x[i] < x[i + 1], "spline data: x[", i, "] = ", x[i], " >= x[", i + 1,
                  "] = ", x[i + 1], " — sort x and merge repeated points");
}

VectorXd slopes(const VectorXd& x, const VectorXd& y) {
  check_data(x, y);
  const Index n = x.size() - 1;
  return (y.tail(n) - y.head(n)).cwiseQuotient(x.tail(n) - x.head(n));
}

VectorXd slope_changes(const VectorXd& x, const VectorXd& y) {
  const VectorXd s = slopes(x, y);
  const Index n = s.size() - 1;
  return s.tail(n) - s.head(n);
}

MatrixXd second_difference(const VectorXd& x) {
  check_data(x, VectorXd::Zero(x.size()));
  const Index n = x.size() - 2;
  MatrixXd d = MatrixXd::Zero(n, x.size());
  for (Index i = 0; i < n; ++i) {
    const double left = 1 / (x[i + 1] - x[i]), right = 1 / (x[i + 2] - x[i + 1]);
    d(i, i) = left;
    d(i, i + 1) = -left - right;
    d(i, i + 2) = right;
  }
  return d;
}

double min_tv_interpolation(const VectorXd& x, const VectorXd& y) {
  return slope_changes(x, y).lpNorm<1>();
}

double ses_min_tv_interpolation(const VectorXd& x, const VectorXd& y) {
  const VectorXd s = slopes(x, y);
  const double v = slope_changes(x, y).lpNorm<1>();
  return std::max(v, (v + std::fabs(s[0] + s[s.size() - 1])) / 2);
}

namespace {

// −1, 0, +1 per slope change, zero within tolerance·max|s|.
std::vector<int> change_signs(const VectorXd& x, const VectorXd& y, double tolerance) {
  NNSWEEP_CHECK(tolerance >= 0, "knot tolerance = ", tolerance, " — must be >= 0");
  const VectorXd s = slopes(x, y);
  const VectorXd a = slope_changes(x, y);
  const double zero = tolerance * s.cwiseAbs().maxCoeff();
  std::vector<int> out(static_cast<std::size_t>(a.size()));
  for (Index i = 0; i < a.size(); ++i)
    out[static_cast<std::size_t>(i)] = std::fabs(a[i]) <= zero ? 0 : (a[i] > 0 ? 1 : -1);
  return out;
}

// Runs of equal non-zero signs: (first index, length).
std::vector<std::pair<Index, Index>> runs(const std::vector<int>& signs) {
  std::vector<std::pair<Index, Index>> out;
  const auto n = static_cast<Index>(signs.size());
  for (Index i = 0; i < n;) {
    const int sign = signs[static_cast<std::size_t>(i)];
    Index j = i + 1;
    while (j < n && sign != 0 && signs[static_cast<std::size_t>(j)] == sign) ++j;
    if (sign != 0) out.emplace_back(i, j - i);
    i = j;
  }
  return out;
}

int count_knots(const std::vector<int>& signs) {
  Index count = 0;
  for (const auto& run : runs(signs)) count += (run.second + 1) / 2;
  return static_cast<int>(count);
}

}  // namespace

int sparsest_knots(const VectorXd& x, const VectorXd& y, double tolerance) {
  return count_knots(change_signs(x, y, tolerance));
}

int sparsest_knots(const VectorXd& changes) {
  std::vector<int> signs(static_cast<std::size_t>(changes.size()));
  for (Index i = 0; i < changes.size(); ++i)
    signs[static_cast<std::size_t>(i)] = changes[i] > 0 ? 1 : (changes[i] < 0 ? -1 : 0);
  return count_knots(signs);
}

double LinearSpline::operator()(double x) const {
  double f = intercept + slope * x;
  for (std::size_t k = 0; k < positions.size(); ++k)
    if (x > positions[k]) f += jumps[k] * (x - positions[k]);
  return f;
}

double LinearSpline::total_variation() const {
  double tv = 0;
  for (double jump : jumps) tv += std::fabs(jump);
  return tv;
}

LinearSpline sparsest_interpolant(const VectorXd& x, const VectorXd& y, double tolerance) {
  const std::vector<int> signs = change_signs(x, y, tolerance);
  const VectorXd s = slopes(x, y);
  LinearSpline f;
  f.slope = s[0];
  f.intercept = y[0] - s[0] * x[0];
  // Slope change i sits at point i + 1 (0-based) between segments i and i + 1.
  for (const auto& [first, length] : runs(signs)) {
    for (Index k = 0; k + 1 < length; k += 2) {
      // Changes at points p, p + 1 merge: the lines of segments p − 1 and p + 1 cross in
      // (x_p, x_{p+1}).
      const Index p = first + k + 1;
      const double s_left = s[p - 1], s_right = s[p + 1];
      const double t = (y[p + 1] - y[p] + s_left * x[p] - s_right * x[p + 1]) / (s_left - s_right);
      f.positions.push_back(t);
      f.jumps.push_back(s_right - s_left);
    }
    if (length % 2 == 1) {
      const Index p = first + length;  // the run's last change, at point p
      f.positions.push_back(x[p]);
      f.jumps.push_back(s[p] - s[p - 1]);
    }
  }
  return f;
}

double lambda_max(const VectorXd& x, const VectorXd& y) {
  check_data(x, y);
  if (x.size() < 3) return 0;
  const MatrixXd d = second_difference(x);
  // (DDᵀ)⁻¹Dy as the least-squares solution of Dᵀw ≈ y (better conditioned than DDᵀ).
  const VectorXd w = d.transpose().colPivHouseholderQr().solve(y);
  return 2.0 / static_cast<double>(x.size()) * w.lpNorm<Eigen::Infinity>();
}

double tv_objective(const VectorXd& x, const VectorXd& y, double lambda, const VectorXd& z) {
  check_data(x, y);
  NNSWEEP_ASSERT(z.size() == y.size(), "fitted values of size ", z.size(), " — need ", y.size());
  const auto n = static_cast<double>(y.size());
  const double penalty = x.size() < 3 ? 0.0 : slope_changes(x, z).lpNorm<1>();
  return (z - y).squaredNorm() / n + lambda * penalty;
}

namespace {

// eᵀz = s_1(z) + s_{N−1}(z).
VectorXd end_slopes(const VectorXd& x) {
  const Index n = x.size();
  VectorXd e = VectorXd::Zero(n);
  const double first = 1 / (x[1] - x[0]), last = 1 / (x[n - 1] - x[n - 2]);
  e[0] -= first;
  e[1] += first;
  e[n - 2] -= last;
  e[n - 1] += last;
  return e;
}

}  // namespace

double ses_objective(const VectorXd& x, const VectorXd& y, double lambda, const VectorXd& z) {
  check_data(x, y);
  NNSWEEP_ASSERT(z.size() == y.size(), "fitted values of size ", z.size(), " — need ", y.size());
  const double a = x.size() < 3 ? 0.0 : slope_changes(x, z).lpNorm<1>();
  const double b = std::fabs(end_slopes(x).dot(z));
  return (z - y).squaredNorm() / static_cast<double>(y.size()) + lambda * std::max(a, (a + b) / 2);
}

namespace {

struct BoxSolution {
  VectorXd u, z;
  std::vector<int> state;  // +1, −1: at that bound; 0: free
  int iterations = 0;
};

// min ½‖Mu − y‖² over ‖u‖∞ <= 1 with M = c·Dᵀ (full column rank), by the primal active-set
// method, from `warm` (clipped into the box; empty: u = 0).
BoxSolution solve_box(const MatrixXd& d, const VectorXd& y, double c, const VectorXd& warm) {
  const Index n = d.rows();
  const MatrixXd m = c * d.transpose();
  BoxSolution out;
  out.u = warm.size() == n ? VectorXd(warm.cwiseMax(-1.0).cwiseMin(1.0)) : VectorXd::Zero(n);
  out.state.assign(static_cast<std::size_t>(n), 0);
  for (Index j = 0; j < n; ++j)
    if (std::fabs(out.u[j]) == 1) out.state[static_cast<std::size_t>(j)] = out.u[j] > 0 ? 1 : -1;
  // A multiplier u_j·(Mᵀz)_j above −tolerance counts as >= 0: the rounding of Mᵀz.
  const double z_scale = y.cwiseAbs().maxCoeff() + c * d.cwiseAbs().colwise().sum().maxCoeff();
  const double tolerance = 1e-12 * c * d.cwiseAbs().rowwise().sum().maxCoeff() * z_scale;
  const int cap = 50 * static_cast<int>(n + 1) + 100;
  std::vector<Index> free_set;
  for (out.iterations = 1; out.iterations <= cap; ++out.iterations) {
    free_set.clear();
    VectorXd r = y;
    for (Index j = 0; j < n; ++j) {
      if (out.state[static_cast<std::size_t>(j)] == 0)
        free_set.push_back(j);
      else
        r -= m.col(j) * out.u[j];
    }
    const auto k = static_cast<Index>(free_set.size());
    MatrixXd mf(m.rows(), k);
    for (Index q = 0; q < k; ++q) mf.col(q) = m.col(free_set[static_cast<std::size_t>(q)]);
    // The free optimum v = argmin ‖M_F v − r‖ and its residual z. z is taken from Qᵀr (error
    // ~ε‖r‖), not as r − M_F v, whose error ~ε·cond(M_F)·‖r‖ lies in range(Dᵀ), the very
    // directions D amplifies (near-duplicate x make cond large).
    VectorXd v(k), z = r;
    if (k > 0) {
      const Eigen::HouseholderQR<MatrixXd> qr(mf);
      VectorXd qtr = qr.householderQ().adjoint() * r;
      v = qr.matrixQR().topLeftCorner(k, k).triangularView<Eigen::Upper>().solve(qtr.head(k));
      qtr.head(k).setZero();
      z = qr.householderQ() * qtr;
    }
    // |v_j| > 1 >= |u_j| puts the bound in [u_j, v_j): every crossing has t < 1.
    Index blocking = -1;
    double alpha = 1;
    for (Index q = 0; q < k; ++q) {
      const Index j = free_set[static_cast<std::size_t>(q)];
      if (std::fabs(v[q]) <= 1) continue;
      const double bound = v[q] > 0 ? 1.0 : -1.0;
      const double t = (bound - out.u[j]) / (v[q] - out.u[j]);
      if (t < alpha) {
        alpha = t;
        blocking = j;
      }
    }
    if (blocking == -1) {  // the free optimum is feasible: check the bound multipliers
      for (Index q = 0; q < k; ++q) out.u[free_set[static_cast<std::size_t>(q)]] = v[q];
      out.z = z;
      Index worst = -1;
      double most = -tolerance;
      for (Index j = 0; j < n; ++j) {
        if (out.state[static_cast<std::size_t>(j)] == 0) continue;
        const double multiplier = out.u[j] * m.col(j).dot(out.z);
        if (multiplier < most) {
          most = multiplier;
          worst = j;
        }
      }
      if (worst < 0) return out;
      out.state[static_cast<std::size_t>(worst)] = 0;
      continue;
    }
    // Step towards the free optimum until the first bound; bind every coordinate that reached one.
    for (Index q = 0; q < k; ++q) {
      const Index j = free_set[static_cast<std::size_t>(q)];
      out.u[j] += alpha * (v[q] - out.u[j]);
      if (j == blocking || std::fabs(out.u[j]) >= 1) {
        const int side = (j == blocking ? v[q] : out.u[j]) > 0 ? 1 : -1;
        out.state[static_cast<std::size_t>(j)] = side;
        out.u[j] = side;
      }
    }
  }
  throw error(cat("internal: tv_regression's active set did not settle in ", cap,
                  " iterations (N = ", y.size(), ")"));
}

TvRegression finish(const VectorXd& x, const VectorXd& y, double lambda, const MatrixXd& d,
                    BoxSolution&& box) {
  TvRegression out;
  out.z = std::move(box.z);
  out.dual = std::move(box.u);
  out.iterations = box.iterations;
  const VectorXd dz = d * out.z;
  out.slope_changes = dz;
  for (Index j = 0; j < d.rows(); ++j)
    if (box.state[static_cast<std::size_t>(j)] == 0) out.slope_changes[j] = 0;
  const auto n = static_cast<double>(y.size());
  out.objective = (out.z - y).squaredNorm() / n + lambda * out.slope_changes.lpNorm<1>();
  // Weak duality: J(z) >= J* >= (‖y‖² − ‖y − w‖²)/N = (2yᵀw − ‖w‖²)/N, w = cDᵀu, for every z
  // and every ‖u‖∞ <= 1 (the second form does not cancel when w is small).
  out.primal = tv_objective(x, y, lambda, out.z);
  const VectorXd w = (n * lambda / 2) * (d.transpose() * out.dual);
  out.dual_value = (2 * y.dot(w) - w.squaredNorm()) / n;
  return out;
}

TvRegression trivial(const VectorXd& x, const VectorXd& y) {
  TvRegression out;
  out.z = y;
  out.dual = VectorXd::Zero(std::max<Index>(x.size() - 2, 0));
  out.slope_changes = x.size() >= 3 ? slope_changes(x, y) : VectorXd();
  return out;
}

}  // namespace

TvRegression tv_regression(const VectorXd& x, const VectorXd& y, double lambda) {
  check_data(x, y);
  NNSWEEP_CHECK(lambda >= 0 && std::isfinite(lambda), "lambda = ", lambda,
                " — must be finite and >= 0");
  if (x.size() < 3 || lambda == 0) return trivial(x, y);
  const MatrixXd d = second_difference(x);
  const double c = static_cast<double>(x.size()) * lambda / 2;
  return finish(x, y, lambda, d, solve_box(d, y, c, VectorXd()));
}

SesRegression ses_regression(const VectorXd& x, const VectorXd& y, double lambda) {
  check_data(x, y);
  NNSWEEP_CHECK(lambda >= 0 && std::isfinite(lambda), "lambda = ", lambda,
                " — must be finite and >= 0");
  SesRegression out;
  if (lambda == 0) {
    out.z = y;
    return out;
  }
  const auto n = static_cast<double>(x.size());
  const VectorXd e = end_slopes(x);
  const MatrixXd d = x.size() >= 3 ? second_difference(x) : MatrixXd(0, x.size());
  VectorXd warm;
  // g(s) = min_z F(z, s), F = (1/N)‖z − y‖² + λ(1 − |s|)‖Dz‖₁ + λs·eᵀz: the TV problem with
  // data y_s = y − (Nλs/2)e and weight λ(1 − |s|). Evaluated as F at its minimiser (free rows'
  // slope changes exact zeros), not as J_TV(y_s) + (‖y‖² − ‖y_s‖²)/N, which cancels at large λ.
  struct Point {
    VectorXd z, changes;
  };
  const auto g = [&](double s, Point* point) {
    ++out.evaluations;
    const double weight = lambda * (1 - std::fabs(s));
    const VectorXd ys = y - (n * lambda * s / 2) * e;
    Point p{ys, VectorXd::Zero(d.rows())};
    if (d.rows() > 0) {
      BoxSolution box = solve_box(d, ys, n * weight / 2, warm);
      p.changes = d * box.z;
      for (Index j = 0; j < d.rows(); ++j)
        if (box.state[static_cast<std::size_t>(j)] == 0) p.changes[j] = 0;
      warm = std::move(box.u);
      p.z = std::move(box.z);
    }
    const double value =
        (p.z - y).squaredNorm() / n + weight * p.changes.lpNorm<1>() + lambda * s * e.dot(p.z);
    if (point != nullptr) *point = std::move(p);
    return value;
  };
  double best = -std::numeric_limits<double>::infinity();
  const auto consider = [&](double s, double value) {
    if (value > best) {
      best = value;
      out.s = s;
    }
  };
  for (double s : {-0.5, 0.0, 0.5}) consider(s, g(s, nullptr));
  constexpr double golden = 0.6180339887498949;
  double lo = -0.5, hi = 0.5;
  double c1 = hi - golden * (hi - lo), c2 = lo + golden * (hi - lo);
  double g1 = g(c1, nullptr), g2 = g(c2, nullptr);
  consider(c1, g1);
  consider(c2, g2);
  while (hi - lo > 1e-15) {
    if (g1 >= g2) {
      hi = c2;
      c2 = c1;
      g2 = g1;
      c1 = hi - golden * (hi - lo);
      g1 = g(c1, nullptr);
      consider(c1, g1);
    } else {
      lo = c1;
      c1 = c2;
      g1 = g2;
      c2 = lo + golden * (hi - lo);
      g2 = g(c2, nullptr);
      consider(c2, g2);
    }
  }
  Point at;
  out.objective = g(out.s, &at);
  out.z = std::move(at.z);
  const double a = at.changes.lpNorm<1>(), b = std::fabs(e.dot(out.z));
  out.upper = (out.z - y).squaredNorm() / n + lambda * std::max(a, (a + b) / 2);
  return out;
}

}  // namespace nnsweep::theory::splines
