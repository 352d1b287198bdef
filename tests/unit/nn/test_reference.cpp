// The scalar reference model (nn/reference.hpp): second derivatives of every activation, gradient,
// Hessian and Jacobian against central finite differences, Hessian symmetry, the Gauss–Newton
// term, and the packed engine's loss and gradient against the model to rounding.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/activation.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/reference.hpp"

using namespace nnsweep;
using nn_test::fill_lane;
using nn_test::make_spec;
using nn_test::same_samples;

namespace {

using PackD = nn::Pack<double>;
constexpr int lanes = PackD::lanes;

nn::Samples lane_samples(PackD& pack, int lane) {
  const nn::NetworkSpec& net = pack.spec().network;
  nn::Samples data;
  data.x.resize(pack.n_train(), net.input);
  data.y.resize(pack.n_train(), net.output());
  for (std::int64_t s = 0; s < pack.n_train(); ++s) {
    for (int j = 0; j < net.input; ++j) data.x(s, j) = pack.input(s, j, lane);
    for (int o = 0; o < net.output(); ++o) data.y(s, o) = pack.target(s, o, lane);
  }
  return data;
}

Eigen::VectorXd lane_theta(const PackD& pack, int lane) {
  Eigen::VectorXd theta(static_cast<Eigen::Index>(pack.layout().size));
  for (Eigen::Index q = 0; q < theta.size(); ++q)
    theta[q] = pack.parameter(static_cast<std::size_t>(q), lane);
  return theta;
}

// A network, its data and parameters drawn as the engine tests draw them (helpers.hpp).
struct Problem {
  nn::ReferenceModel model;
  nn::Samples data;
  Eigen::VectorXd theta;
};
Problem make_problem(const nn::TrainSpec& spec, int n, std::uint64_t replica,
                     double input_scale = 1.0) {
  PackD pack(spec, n);
  fill_lane(pack, 0, replica, input_scale);
  return {nn::ReferenceModel(spec.network, spec.loss), lane_samples(pack, 0), lane_theta(pack, 0)};
}

std::string describe(const nn::TrainSpec& spec) {
  std::string out = std::string(nn::activation_name(spec.network.activation.kind)) + "/" +
                    std::string(nn::loss_name(spec.loss)) +
                    " d=" + std::to_string(spec.network.input);
  for (const nn::LayerSpec& layer : spec.network.layers)
    out += "→" + std::to_string(layer.width) + (layer.bias ? "b" : "") +
           (layer.trainable ? "" : "(fixed)");
  if (spec.network.skip) out += spec.network.skip_trainable ? " +skip" : " +skip(fixed)";
  return out;
}

// Central differences of the gradient (free rows and columns) with step h.
Eigen::MatrixXd fd_hessian(const Problem& p, double h) {
  const Eigen::Index k = p.model.free_size();
  Eigen::MatrixXd out(k, k);
  for (Eigen::Index c = 0; c < k; ++c) {
    Eigen::VectorXd plus = p.theta, minus = p.theta;
    const Eigen::Index q = p.model.free_indices()[static_cast<std::size_t>(c)];
    plus[q] += h;
    minus[q] -= h;
    out.col(c) = (p.model.to_free(p.model.gradient(plus, p.data)) -
                  p.model.to_free(p.model.gradient(minus, p.data))) /
                 (2 * h);
  }
  return out;
}

}  // namespace

TEST_CASE("second derivatives of every activation match central differences of σ'",
          "[nn][reference][activation]") {
  // h = 1e-4: truncation h²/6·|σ''''| <= 2e-9·max|σ''''| (max|σ''''| < 60 for g, the steepest),
  // rounding ~ 1e-16/h = 1e-12; tolerance 1e-7.
  const double h = 1e-4;
  for (const auto& name : nn::activation_names()) {
    const auto a = nn::parse_activation(name, 0.3);
    for (double x : {-3.1, -1.2, -0.51, -0.05, 0.27, 0.9, 1.9, 4.2}) {
      const double fd = (nn::derivative(a, x + h) - nn::derivative(a, x - h)) / (2 * h);
      INFO(name << " at " << x << ": σ'' " << nn::second_derivative(a, x) << ", fd " << fd);
      CHECK(std::fabs(nn::second_derivative(a, x) - fd) <= 1e-7);
    }
  }
  // Kinks: σ'' = 0 on both sides and at 0 (the Dirac mass is dropped).
  for (const char* name : {"identity", "relu", "leaky_relu"})
    for (double x : {-1.0, 0.0, 1.0})
      CHECK(nn::second_derivative(nn::parse_activation(name, 0.3), x) == 0);
  // Closed forms at 0: tanh 0, sigmoid 0, softplus ¼, erf 0, gelu 2φ(0), g = 16·¼·0 + ¼.
  const auto at0 = [](const char* name) {
    return nn::second_derivative(nn::parse_activation(name), 0.0);
  };
  CHECK(at0("tanh") == 0);
  CHECK(at0("sigmoid") == 0);
  CHECK(at0("softplus") == Approx(0.25).epsilon(1e-15));
  CHECK(at0("erf") == 0);
  CHECK(at0("gelu") == Approx(2 / std::sqrt(2 * M_PI)).epsilon(1e-15));
  CHECK(at0("g") == Approx(0.25).epsilon(1e-15));
}

TEST_CASE("the packed engine's loss and gradient equal the reference model to rounding",
          "[nn][reference][pack]") {
  using nn::LossKind;
  struct Case {
    nn::TrainSpec spec;
    int n;
  };
  std::vector<Case> cases;
  for (const char* act : {"identity", "relu"})
    for (LossKind loss : {LossKind::mse, LossKind::logistic})
      cases.push_back({make_spec(15, {15, 15, 15, 1}, act, loss, false, false), 100});
  for (LossKind loss : {LossKind::mse, LossKind::logistic, LossKind::hinge}) {
    const int outputs = loss == LossKind::mse ? 2 : 1;
    cases.push_back({make_spec(3, {6, outputs}, "tanh", loss, true, true), 70});
    cases.push_back({make_spec(4, {5, 1}, "g", loss, false, false), 50});
    cases.push_back({make_spec(3, {5, 4, outputs}, "gelu", loss, true, true), 9});
  }
  {  // fixed layers and a fixed skip: zero gradient there, as in the engine
    nn::TrainSpec spec = make_spec(3, {5, 4, 2}, "softplus", LossKind::mse, true, true);
    spec.network.layers[1].trainable = false;
    spec.network.skip_trainable = false;
    cases.push_back({spec, 65});
    nn::TrainSpec lt = make_spec(6, {8, 1}, "leaky_relu", LossKind::hinge, false, false);
    lt.network.layers[1].trainable = false;
    cases.push_back({lt, 30});
  }
  int replica = 0;
  for (Case& c : cases) {
    PackD pack(c.spec, c.n);
    for (int lane = 0; lane < lanes; ++lane)
      fill_lane(pack, lane, static_cast<std::uint64_t>(++replica));
    const std::vector<std::int32_t> samples = same_samples<lanes>(c.n);
    double loss[lanes];
    pack.loss(samples.data(), c.n, loss);
    std::vector<double> grad(pack.layout().size * lanes);
    pack.gradient(samples.data(), c.n, grad.data());
    const nn::ReferenceModel model(c.spec.network, c.spec.loss);
    for (int lane = 0; lane < lanes; ++lane) {
      const nn::Samples data = lane_samples(pack, lane);
      const Eigen::VectorXd theta = lane_theta(pack, lane);
      const nn::ReferenceModel::Evaluation e = model.evaluate(theta, data);
      Eigen::VectorXd engine(theta.size());
      for (Eigen::Index q = 0; q < theta.size(); ++q)
        engine[q] = grad[static_cast<std::size_t>(q) * lanes + lane];
      const double g_scale = e.gradient.lpNorm<Eigen::Infinity>();
      INFO(describe(c.spec) << " lane " << lane << ": loss engine " << loss[lane] << " reference "
                            << e.value << ", max gradient difference "
                            << (engine - e.gradient).lpNorm<Eigen::Infinity>() << " of "
                            << g_scale);
      CHECK(std::fabs(loss[lane] - e.value) <= 1e-12 * std::fabs(e.value));
      CHECK(model.value(theta, data) == e.value);
      REQUIRE(g_scale > 0);
      CHECK((engine - e.gradient).lpNorm<Eigen::Infinity>() <= 1e-12 * g_scale);
      for (const nn::ParamGroup& group : pack.layout().groups)
        if (!group.trainable)
          for (std::size_t q = group.offset; q < group.offset + group.count; ++q)
            CHECK(e.gradient[static_cast<Eigen::Index>(q)] == 0);
      // Outputs against Pack::forward.
      std::vector<double> x(static_cast<std::size_t>(c.n * c.spec.network.input) * lanes),
          out(static_cast<std::size_t>(c.n * c.spec.network.output()) * lanes);
      for (int s = 0; s < c.n; ++s)
        for (int j = 0; j < c.spec.network.input; ++j)
          for (int l = 0; l < lanes; ++l)
            x[(static_cast<std::size_t>(s * c.spec.network.input + j)) * lanes + l] = data.x(s, j);
      pack.forward(x.data(), c.n, out.data());
      const Eigen::MatrixXd f = model.outputs(theta, data.x);
      double worst = 0;
      for (int s = 0; s < c.n; ++s)
        for (int o = 0; o < c.spec.network.output(); ++o)
          worst = std::max(
              worst,
              std::fabs(
                  out[(static_cast<std::size_t>(s * c.spec.network.output() + o)) * lanes + lane] -
                  f(s, o)) /
                  (1 + std::fabs(f(s, o))));
      CHECK(worst <= 1e-13);
    }
  }
}

TEST_CASE("gradient and exact Hessian match central finite differences; the Hessian is symmetric",
          "[nn][reference][hessian]") {
  using nn::LossKind;
  int configurations = 0;
  double worst_g = 0, worst_h = 0, worst_sym = 0;
  for (const std::string& activation : nn::activation_names()) {
    if (activation == "linear") continue;
    for (LossKind loss : {LossKind::logistic, LossKind::hinge, LossKind::mse})
      for (bool bias : {false, true})
        for (bool skip : {false, true}) {
          const int outputs = loss == LossKind::mse ? 2 : 1;
          nn::TrainSpec spec = make_spec(3, {4, 3, outputs}, activation, loss, bias, skip);
          if (configurations % 4 == 3) spec.network.layers[1].trainable = false;
          const Problem p = make_problem(spec, 6, 100 + static_cast<std::uint64_t>(configurations));
          ++configurations;
          INFO(describe(spec));
          // Gradient: h = 1e-5, truncation h²/6·|∂³L| ~ 2e-11·|∂³L|, rounding ~ 2ε·|L|/h =
          // 4e-11·|L|; tolerance 1e-8·(1 + |g| + |L|).
          const nn::ReferenceModel::Evaluation e =
              p.model.evaluate(p.theta, p.data, nn::Curvature::hessian);
          const double h = 1e-5;
          for (Eigen::Index q = 0; q < p.theta.size(); ++q) {
            Eigen::VectorXd plus = p.theta, minus = p.theta;
            plus[q] += h;
            minus[q] -= h;
            const double fd =
                (p.model.value(plus, p.data) - p.model.value(minus, p.data)) / (2 * h);
            const bool free =
                std::find(p.model.free_indices().begin(), p.model.free_indices().end(), q) !=
                p.model.free_indices().end();
            const double err = std::fabs(e.gradient[q] - (free ? fd : 0.0));
            const double scale = 1 + std::fabs(fd) + std::fabs(e.value);
            worst_g = std::max(worst_g, err / scale);
            CHECK(err <= 1e-8 * scale);
          }
          // Hessian: central differences of the gradient with h = 1e-5: truncation
          // h²/6·|∂⁴L| ~ 2e-11·|∂⁴L|, rounding ~ 1e-16·|∇L|/h = 1e-11; tolerance 1e-7·(1 + |H|max).
          const Eigen::MatrixXd fd = fd_hessian(p, 1e-5);
          const Eigen::MatrixXd& hess = e.curvature;
          REQUIRE(hess.rows() == p.model.free_size());
          const double scale = 1 + hess.cwiseAbs().maxCoeff();
          const double err = (hess - fd).cwiseAbs().maxCoeff();
          worst_h = std::max(worst_h, err / scale);
          CHECK(err <= 1e-7 * scale);
          // Symmetry: the rows ∂g_p/∂θ are assembled independently of the columns.
          const double asym = (hess - hess.transpose()).cwiseAbs().maxCoeff();
          worst_sym = std::max(worst_sym, asym / scale);
          CHECK(asym <= 1e-14 * scale);
        }
  }
  INFO("worst relative errors: gradient " << worst_g << ", Hessian " << worst_h << ", asymmetry "
                                          << worst_sym);
  CHECK(configurations == 9 * 12);
  WARN("reference model vs finite differences, worst: gradient "
       << worst_g << ", Hessian " << worst_h << ", asymmetry " << worst_sym);
}

TEST_CASE("the deep bias-free MLP's Hessian matches finite differences",
          "[nn][reference][hessian]") {
  for (const char* act : {"identity", "relu", "tanh"}) {
    const Problem p =
        make_problem(make_spec(15, {15, 15, 15, 1}, act, nn::LossKind::mse, false, false), 12, 7);
    const Eigen::MatrixXd hess = p.model.hessian(p.theta, p.data);
    REQUIRE(hess.rows() == 15 * 15 * 3 + 15);
    const Eigen::MatrixXd fd = fd_hessian(p, 1e-5);
    const double scale = 1 + hess.cwiseAbs().maxCoeff();
    INFO(act << ": max |H − FD| " << (hess - fd).cwiseAbs().maxCoeff() << " of " << scale);
    CHECK((hess - fd).cwiseAbs().maxCoeff() <= 1e-7 * scale);
    CHECK((hess - hess.transpose()).cwiseAbs().maxCoeff() <= 1e-14 * scale);
  }
}

TEST_CASE("the Jacobian matches finite differences, and Gauss–Newton is its JᵀJ term",
          "[nn][reference][jacobian]") {
  using nn::LossKind;
  for (LossKind loss : {LossKind::mse, LossKind::logistic})
    for (const char* act : {"g", "relu", "erf"}) {
      const int outputs = loss == LossKind::mse ? 3 : 1;
      nn::TrainSpec spec = make_spec(4, {5, 3, outputs}, act, loss, true, true);
      spec.network.layers[0].trainable = false;
      const Problem p = make_problem(spec, 8, 3);
      INFO(describe(spec));
      const Eigen::Index k = p.model.free_size();
      // Jacobian of one sample: h = 1e-6, tolerance 1e-8·(1 + |J|).
      const Eigen::VectorXd x = p.data.x.row(2).transpose();
      const Eigen::MatrixXd jac = p.model.jacobian(p.theta, x);
      REQUIRE(jac.rows() == outputs);
      REQUIRE(jac.cols() == k);
      for (Eigen::Index c = 0; c < k; ++c) {
        Eigen::VectorXd plus = p.theta, minus = p.theta;
        const Eigen::Index q = p.model.free_indices()[static_cast<std::size_t>(c)];
        plus[q] += 1e-6;
        minus[q] -= 1e-6;
        const Eigen::VectorXd fd = (p.model.output(plus, x) - p.model.output(minus, x)) / 2e-6;
        CHECK((jac.col(c) - fd).cwiseAbs().maxCoeff() <= 1e-8 * (1 + fd.cwiseAbs().maxCoeff()));
      }
      // G = (1/m) Σ_s J_sᵀ diag(ℓ'') J_s; for mse ℓ'' = 2, so G = (2/m) JᵀJ with J stacked.
      const Eigen::MatrixXd gn = p.model.gauss_newton(p.theta, p.data);
      Eigen::MatrixXd stacked(p.data.size() * outputs, k);
      for (Eigen::Index s = 0; s < p.data.size(); ++s)
        stacked.middleRows(s * outputs, outputs) =
            p.model.jacobian(p.theta, p.data.x.row(s).transpose());
      const Eigen::VectorXd f = p.model.outputs(p.theta, p.data.x).reshaped<Eigen::RowMajor>();
      Eigen::VectorXd weights(stacked.rows());
      for (Eigen::Index r = 0; r < stacked.rows(); ++r) {
        const double y = p.data.y(r / outputs, r % outputs);
        const double s = 1 / (1 + std::exp(y * f[r]));  // σ(−y o)
        weights[r] = loss == LossKind::mse ? 2.0 : y * y * s * (1 - s);
      }
      const Eigen::MatrixXd expected =
          stacked.transpose() * weights.asDiagonal() * stacked / p.model.divisor(p.data.size());
      const double scale = expected.cwiseAbs().maxCoeff();
      CHECK((gn - expected).cwiseAbs().maxCoeff() <= 1e-13 * scale);
      CHECK((gn - gn.transpose()).cwiseAbs().maxCoeff() <= 1e-15 * scale);
    }
}

TEST_CASE("at zero mse residual the Hessian is the Gauss–Newton matrix",
          "[nn][reference][jacobian]") {
  // A teacher labels the data; the student at the teacher's parameters has zero residual, so the
  // Σ r·∇²f term vanishes and ∇²L = G exactly up to rounding; away from it the two differ.
  for (const char* act : {"g", "tanh", "softplus"}) {
    nn::TrainSpec spec = make_spec(4, {6, 2}, act, nn::LossKind::mse, true, true);
    Problem p = make_problem(spec, 40, 5);
    p.data.y = p.model.outputs(p.theta, p.data.x);
    const nn::ReferenceModel::Evaluation e =
        p.model.evaluate(p.theta, p.data, nn::Curvature::hessian);
    const Eigen::MatrixXd gn = p.model.gauss_newton(p.theta, p.data);
    const double scale = gn.cwiseAbs().maxCoeff();
    INFO(act);
    CHECK(e.value == 0);
    CHECK(e.gradient.lpNorm<Eigen::Infinity>() == 0);
    CHECK((e.curvature - gn).cwiseAbs().maxCoeff() <= 1e-14 * scale);
    p.data.y.array() += 0.5;
    const Eigen::MatrixXd away = p.model.hessian(p.theta, p.data);
    CHECK((away - p.model.gauss_newton(p.theta, p.data)).cwiseAbs().maxCoeff() > 1e-3 * scale);
  }
}

TEST_CASE("the reference model checks shapes", "[nn][reference]") {
  const nn::ReferenceModel model(
      make_spec(3, {4, 1}, "tanh", nn::LossKind::mse, true, false).network, nn::LossKind::mse);
  CHECK(model.size() == 3 * 4 + 4 + 4 + 1);
  CHECK(model.free_size() == model.size());
  nn::Samples data{Eigen::MatrixXd::Zero(5, 2), Eigen::MatrixXd::Zero(5, 1)};
  CHECK_THROWS_WITH(model.value(Eigen::VectorXd::Zero(model.size()), data),
                    Catch::Contains("need n×3"));
  CHECK_THROWS_WITH(model.gradient(Eigen::VectorXd::Zero(3), data),
                    Catch::Contains("parameter vector"));
}

TEST_CASE("a caller's shape mistake is an internal error, not the user's (exit 1, 'internal:')",
          "[nn][reference]") {
  const nn::TrainSpec spec = make_spec(3, {4, 1}, "tanh", nn::LossKind::mse, false, false);
  const nn::ReferenceModel model(spec.network, spec.loss);
  const Eigen::VectorXd short_theta = Eigen::VectorXd::Zero(model.size() - 1);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
  try {
    (void)model.output(short_theta, x);
    FAIL("a parameter vector one short was accepted");
  } catch (const config_error&) {
    FAIL("reported as the user's error (exit 2)");
  } catch (const error& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("internal: parameter vector of size"));
  }
}
