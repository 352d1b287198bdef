// The second-order polish (nn/polish.hpp): a known minimiser (Rosenbrock), teacher–student
// problems started near the teacher (isolated and on a manifold of minima), the step budget and
// non-finite starts.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/polish.hpp"
#include "nnsweep/nn/random.hpp"
#include "nnsweep/nn/reference.hpp"
#include "nnsweep/rng/stream.hpp"

using namespace nnsweep;

namespace {

// f(u) = r₁² + r₂², r = (10(u₂ − u₁²), 1 − u₁): minimiser (1, 1), f = 0.
class Rosenbrock final : public nn::Objective {
 public:
  Eigen::Index dimension() const override { return 2; }
  double value(const Eigen::VectorXd& u) const override { return residual(u).squaredNorm(); }
  double gradient(const Eigen::VectorXd& u, Eigen::VectorXd& g) const override {
    g = 2 * jacobian(u).transpose() * residual(u);
    return value(u);
  }
  double curvature(const Eigen::VectorXd& u, nn::Curvature kind, Eigen::VectorXd& g,
                   Eigen::MatrixXd& c) const override {
    const Eigen::MatrixXd j = jacobian(u);
    c = 2 * j.transpose() * j;
    if (kind == nn::Curvature::hessian) c(0, 0) += 2 * residual(u)[0] * -20;  // ∂²r₁/∂u₁² = −20
    return gradient(u, g);
  }

 private:
  // Dynamic sizes: GCC 12's -Warray-bounds misfires on fixed 2×2 Eigen products.
  static Eigen::VectorXd residual(const Eigen::VectorXd& u) {
    Eigen::VectorXd r(2);
    r << 10 * (u[1] - u[0] * u[0]), 1 - u[0];
    return r;
  }
  static Eigen::MatrixXd jacobian(const Eigen::VectorXd& u) {
    Eigen::MatrixXd j(2, 2);
    j << -20 * u[0], 10, -1, 0;
    return j;
  }
};

// Two-layer teacher–student set-up of the `symmetry` experiment: f(x) = Σ_j a_j g(w_j·x), no
// biases, mse over n inputs x ~ N(0, I_d).
struct TeacherStudent {
  nn::NetworkSpec student;
  nn::Samples data;
  Eigen::MatrixXd w;  // teacher, r × d
  Eigen::VectorXd a;  // teacher output weights
};

nn::NetworkSpec two_layer(int d, int width, const char* activation) {
  nn::NetworkSpec net;
  net.input = d;
  net.layers = {{width, false, true, true, false}, {1, false, true, true, false}};
  net.activation = nn::parse_activation(activation);
  return net;
}

// θ in Layout order: W (width × d, row-major), then a.
Eigen::VectorXd pack_theta(const Eigen::MatrixXd& w, const Eigen::VectorXd& a) {
  Eigen::VectorXd theta(w.size() + a.size());
  for (Eigen::Index i = 0; i < w.rows(); ++i)
    for (Eigen::Index j = 0; j < w.cols(); ++j) theta[i * w.cols() + j] = w(i, j);
  theta.tail(a.size()) = a;
  return theta;
}

TeacherStudent teacher_student(int d, int r, int width, int n, std::uint64_t seed) {
  nn::NormalSampler normal(rng::Stream(7, seed, 0, rng::Purpose::data));
  TeacherStudent out;
  out.w.resize(r, d);
  out.a.resize(r);
  for (Eigen::Index i = 0; i < out.w.size(); ++i) out.w.data()[i] = normal() / std::sqrt(d);
  for (int i = 0; i < r; ++i)
    out.a[i] = normal() > 0 ? 1 + 0.5 * std::fabs(normal()) : -1 - 0.5 * std::fabs(normal());
  out.data.x.resize(n, d);
  for (Eigen::Index i = 0; i < out.data.x.size(); ++i) out.data.x.data()[i] = normal();
  const nn::ReferenceModel teacher(two_layer(d, r, "g"), nn::LossKind::mse);
  out.data.y = teacher.outputs(pack_theta(out.w, out.a), out.data.x);
  out.student = two_layer(d, width, "g");
  return out;
}

double variance(const Eigen::MatrixXd& y) {
  return (y.array() - y.mean()).square().mean();
}

Eigen::VectorXd noise(Eigen::Index size, double scale, std::uint64_t seed) {
  nn::NormalSampler normal(rng::Stream(7, seed, 1, rng::Purpose::init));
  Eigen::VectorXd out(size);
  for (Eigen::Index i = 0; i < size; ++i) out[i] = scale * normal();
  return out;
}

}  // namespace

TEST_CASE("polish finds the Rosenbrock minimiser with Newton and with Levenberg–Marquardt",
          "[nn][polish]") {
  const Rosenbrock f;
  for (nn::PolishMethod method :
       {nn::PolishMethod::newton, nn::PolishMethod::levenberg_marquardt}) {
    Eigen::VectorXd u(2);
    u << -1.2, 1;
    nn::PolishOptions options;
    options.method = method;
    options.gradient_tolerance = 1e-12;
    const nn::PolishResult r = nn::polish(f, u, options);
    INFO(nn::polish_method_name(method)
         << ": " << r.steps << " steps, f " << r.value << ", |g| " << r.gradient_norm);
    CHECK(r.outcome == nn::PolishOutcome::converged);
    CHECK(r.gradient_norm <= 1e-12);
    CHECK(std::fabs(u[0] - 1) < 1e-12);
    CHECK(std::fabs(u[1] - 1) < 1e-12);
    CHECK(r.value < 1e-24);
    CHECK(r.steps < 60);
  }
}

TEST_CASE("polish converges to the teacher from near it (r* = m = 3, d = 4, activation g)",
          "[nn][polish]") {
  const TeacherStudent ts = teacher_student(4, 3, 3, 200, 1);
  const nn::ReferenceModel model(ts.student, nn::LossKind::mse);
  const Eigen::VectorXd teacher = pack_theta(ts.w, ts.a);
  for (nn::PolishMethod method :
       {nn::PolishMethod::levenberg_marquardt, nn::PolishMethod::newton}) {
    const nn::NetworkObjective objective(model, ts.data, teacher + noise(teacher.size(), 0.05, 3));
    Eigen::VectorXd u = objective.start();
    const double start = objective.value(u);
    nn::PolishOptions options;
    options.method = method;
    const nn::PolishResult r = nn::polish(objective, u, options);
    INFO(nn::polish_method_name(method) << ": " << r.steps << " steps, loss " << start << " → "
                                        << r.value << ", ‖∇L‖∞ " << r.gradient_norm);
    REQUIRE(r.outcome == nn::PolishOutcome::converged);
    // An independent gradient at the end point (not the polish's own last evaluation).
    const Eigen::VectorXd g = model.gradient(objective.full(u), ts.data);
    CHECK(g.lpNorm<Eigen::Infinity>() < 1e-10);
    // Loss ~ 0: at an isolated minimum L ~ ‖∇L‖²/λ_min(H) < 1e-20/λ_min; Var(y) ~ 1 here.
    CHECK(r.value < 1e-16 * variance(ts.data.y));
    CHECK((objective.full(u) - teacher).lpNorm<Eigen::Infinity>() < 1e-8);
    CHECK(r.steps <= 30);
  }
}

TEST_CASE("polish converges on the manifold of minima of an overparameterised student (m = r* + 1)",
          "[nn][polish]") {
  // The start is near a replica point: teacher neuron 0 split into two copies with output
  // weights 0.3a₀ and 0.7a₀. The minima form a manifold there (the Hessian is singular), so the
  // end point is some point of it: zero loss, not the start's split.
  const TeacherStudent ts = teacher_student(4, 3, 4, 200, 2);
  const nn::ReferenceModel model(ts.student, nn::LossKind::mse);
  Eigen::MatrixXd w(4, 4);
  w.topRows(3) = ts.w;
  w.row(3) = ts.w.row(0);
  Eigen::VectorXd a(4);
  a << 0.3 * ts.a[0], ts.a[1], ts.a[2], 0.7 * ts.a[0];
  const Eigen::VectorXd on_manifold = pack_theta(w, a);
  CHECK(model.value(on_manifold, ts.data) < 1e-28);
  for (nn::PolishMethod method :
       {nn::PolishMethod::levenberg_marquardt, nn::PolishMethod::newton}) {
    const nn::NetworkObjective objective(model, ts.data,
                                         on_manifold + noise(on_manifold.size(), 0.02, 4));
    Eigen::VectorXd u = objective.start();
    nn::PolishOptions options;
    options.method = method;
    options.max_steps = 200;
    const nn::PolishResult r = nn::polish(objective, u, options);
    INFO(nn::polish_method_name(method)
         << ": " << r.steps << " steps, loss " << r.value << ", ‖∇L‖∞ " << r.gradient_norm);
    REQUIRE(r.outcome == nn::PolishOutcome::converged);
    CHECK(model.gradient(objective.full(u), ts.data).lpNorm<Eigen::Infinity>() < 1e-10);
    // Moving the two replicas apart costs only ~|Δw|⁴ (the Hessian is singular there), so both
    // methods converge linearly at the end and stop at a small loss, not at rounding.
    CHECK(r.value < 1e-15 * variance(ts.data.y));
    // The replicas of neuron 0 sum to a₀ (the manifold's defining constraint).
    const Eigen::VectorXd theta = objective.full(u);
    CHECK(std::fabs(theta[16] + theta[19] - ts.a[0]) < 1e-6);
  }
}

TEST_CASE("polish reports the step budget and non-finite points", "[nn][polish]") {
  const TeacherStudent ts = teacher_student(4, 3, 3, 100, 5);
  const nn::ReferenceModel model(ts.student, nn::LossKind::mse);
  Eigen::VectorXd far = noise(model.size(), 1.0, 6);
  {
    const nn::NetworkObjective objective(model, ts.data, far);
    Eigen::VectorXd u = objective.start();
    nn::PolishOptions options;
    options.max_steps = 3;
    const nn::PolishResult r = nn::polish(objective, u, options);
    CHECK(r.outcome == nn::PolishOutcome::budget);
    CHECK(r.steps == 3);
    CHECK(r.value < objective.value(objective.start()));  // it made progress nonetheless
    CHECK(r.value == objective.value(u));
  }
  {
    far[2] = std::numeric_limits<double>::quiet_NaN();
    const nn::NetworkObjective objective(model, ts.data, far);
    Eigen::VectorXd u = objective.start();
    const nn::PolishResult r = nn::polish(objective, u);
    CHECK(r.outcome == nn::PolishOutcome::non_finite);
    CHECK(r.steps == 1);
  }
  CHECK(nn::parse_polish_method("lm") == nn::PolishMethod::levenberg_marquardt);
  CHECK(nn::parse_polish_method("newton") == nn::PolishMethod::newton);
  CHECK(nn::polish_outcome_name(nn::PolishOutcome::non_finite) == "non_finite");
  CHECK_THROWS_WITH(nn::parse_polish_method("bfgs"), Catch::Contains("newton or lm"));
}
