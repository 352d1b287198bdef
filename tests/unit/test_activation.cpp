#include <catch2/catch.hpp>
#include <cmath>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/activation.hpp"

using namespace nnsweep;

TEST_CASE("activation values match their definitions", "[activation]") {
  const auto at = [](const char* name, double x, double alpha = 0.1) {
    return nn::value(nn::parse_activation(name, alpha), x);
  };
  for (double x : {-3.0, -0.7, 0.0, 0.4, 2.5}) {
    CHECK(at("identity", x) == x);
    CHECK(at("linear", x) == x);
    CHECK(at("relu", x) == std::max(x, 0.0));
    CHECK(at("leaky_relu", x, 0.2) == (x > 0 ? x : 0.2 * x));
    CHECK(at("tanh", x) == Approx(std::tanh(x)).epsilon(1e-15).margin(1e-300));
    CHECK(at("softplus", x) == Approx(std::log1p(std::exp(x))).epsilon(1e-15));
    CHECK(at("sigmoid", x) == Approx(1 / (1 + std::exp(-x))).epsilon(1e-15));
    CHECK(at("erf", x) == std::erf(x));
    CHECK(at("gelu", x) ==
          Approx(0.5 * x * std::erfc(-x / std::sqrt(2.0))).epsilon(1e-14).margin(1e-16));
    CHECK(at("g", x) ==
          Approx(1 / (1 + std::exp(-4 * x)) + std::log1p(std::exp(x))).epsilon(1e-15));
  }
}

TEST_CASE("activation derivatives match central finite differences", "[activation]") {
  const double h = 1e-6;
  for (const auto& name : nn::activation_names()) {
    const auto a = nn::parse_activation(name, 0.3);
    for (double x : {-2.3, -0.51, 0.27, 1.9}) {  // away from the kinks of relu/leaky_relu
      const double fd = (nn::value(a, x + h) - nn::value(a, x - h)) / (2 * h);
      INFO(name << " at " << x);
      CHECK(nn::derivative(a, x) == Approx(fd).epsilon(1e-8).margin(1e-9));
    }
  }
}

TEST_CASE(
    "g = sigmoid(4x) + softplus(x) from one exponential: definition, second derivative, "
    "tails, float",
    "[activation]") {
  const auto g = nn::parse_activation("g");
  for (double x : {-700.0, -40.0, -9.0, -1e-3, 1e-3, 9.0, 40.0, 700.0}) {
    INFO("x = " << x);
    const double s4 = 1 / (1 + std::exp(-4 * x)), s = 1 / (1 + std::exp(-x));
    const double sp = x > 30 ? x + std::exp(-x) : std::log1p(std::exp(x));
    CHECK(nn::value(g, x) == Approx(s4 + sp).epsilon(1e-15).margin(1e-300));
    CHECK(nn::derivative(g, x) == Approx(4 * s4 * (1 - s4) + s).epsilon(1e-14).margin(1e-300));
    CHECK(std::isfinite(nn::second_derivative(g, x)));
    const float xf = static_cast<float>(x);
    CHECK(nn::act::G::value(xf, 0.0f) == Approx(s4 + sp).epsilon(1e-6).margin(1e-30));
  }
  const double h = 1e-5;
  for (double x : {-2.3, -0.51, 0.0, 0.27, 1.9}) {
    const double fd = (nn::derivative(g, x + h) - nn::derivative(g, x - h)) / (2 * h);
    CHECK(nn::second_derivative(g, x) == Approx(fd).epsilon(1e-8).margin(1e-9));
  }
}

TEST_CASE("activation names parse, and bad ones say what is valid", "[activation]") {
  CHECK(nn::parse_activation("leaky_relu", 0.25).alpha == 0.25);
  CHECK(nn::parse_activation("relu", 0.25).alpha == 0);
  CHECK(nn::is_homogeneous(nn::ActivationKind::leaky_relu));
  CHECK_FALSE(nn::is_homogeneous(nn::ActivationKind::tanh));
  CHECK(nn::negative_slope(nn::parse_activation("identity")) == 1);
  CHECK_THROWS_WITH(nn::parse_activation("tahn"),
                    Catch::Contains("use one of") && Catch::Contains("tanh"));
}
