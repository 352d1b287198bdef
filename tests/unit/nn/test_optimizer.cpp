// Optimizer objects (nn/optimizer.hpp) against steps computed by hand: SGD with and without
// clipping and coupled weight decay on masked groups, Adam's first steps, fixed groups untouched,
// and the pack using whatever optimizer object it is given.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "helpers.hpp"
#include "nnsweep/nn/optimizer.hpp"
#include "nnsweep/nn/pack.hpp"

using namespace nnsweep;

namespace {

constexpr int L = nn::default_lanes<double>;

// 2 → 1 with a bias: W = θ[0..1] (decayed by default), b = θ[2] (not decayed).
nn::Layout tiny_layout(bool trainable = true) {
  nn::NetworkSpec net;
  net.input = 2;
  net.layers = {{1, true, trainable, true, false}};
  return nn::Layout(net);
}

// [parameter][lane] from per-parameter values, lane ℓ scaled by (ℓ + 1) (so lanes differ).
std::vector<double> packed(const std::vector<double>& values) {
  std::vector<double> out(values.size() * L);
  for (std::size_t q = 0; q < values.size(); ++q)
    for (int lane = 0; lane < L; ++lane) out[q * L + lane] = values[q] * (lane + 1);
  return out;
}

}  // namespace

TEST_CASE("SGD: theta - lr g, with decay on the masked groups, by hand", "[nn][optimizer]") {
  const nn::Layout layout = tiny_layout();
  REQUIRE(layout.groups.size() == 2);
  REQUIRE(layout.groups[0].decay);
  REQUIRE_FALSE(layout.groups[1].decay);
  SECTION("plain: every value dyadic, so exact") {
    nn::Sgd<double, L> sgd(0.25);
    CHECK(sgd.direct_rate() == 0.25);
    std::vector<double> theta = packed({1, -2, 0.5}), g = packed({4, 8, -2});
    sgd.update(layout, theta.data(), g.data());
    const std::vector<double> expected = packed({0, -4, 1});  // θ − g/4
    CHECK(theta == expected);
  }
  SECTION("coupled weight decay 0.5 on W only") {
    nn::Sgd<double, L> sgd(0.25, 0, 0.5);
    CHECK(sgd.direct_rate() == 0);  // needs the gradient buffer
    const std::vector<double> theta0 = packed({1, -2, 0.5}), g0 = packed({4, 8, -2});
    std::vector<double> theta = theta0, g = g0;
    sgd.update(layout, theta.data(), g.data());
    // Lane ℓ, s = ℓ + 1: g_W = s(4, 8) + 0.5·s(1, −2) = s(4.5, 7); b not decayed: −2s.
    // θ = s(1 − 4.5/4, −2 − 7/4, 0.5 + 2/4) = s(−0.125, −3.75, 1).
    for (int lane = 0; lane < L; ++lane) {
      const double s = lane + 1;
      CHECK(theta[0 * L + lane] == -0.125 * s);
      CHECK(theta[1 * L + lane] == -3.75 * s);
      CHECK(theta[2 * L + lane] == 1.0 * s);
    }
  }
  SECTION("global-norm clipping per lane, before the decay") {
    nn::Sgd<double, L> sgd(0.5, 10.0, 0);
    // Lane ℓ: g = s(6, 8, 0), ‖g‖ = 10s: lane 0 is at the limit (factor 10/(10 + 1e-6) < 1),
    // the others are scaled to norm ≈ 10.
    std::vector<double> theta = packed({0, 0, 0}), g = packed({6, 8, 0});
    for (int lane = 0; lane < L; ++lane) theta[2 * L + lane] = 1;
    sgd.update(layout, theta.data(), g.data());
    for (int lane = 0; lane < L; ++lane) {
      const double s = lane + 1, factor = 10 / (10 * s + 1e-6);
      INFO("lane " << lane);
      CHECK(theta[0 * L + lane] == -0.5 * (6 * s * factor));
      CHECK(theta[1 * L + lane] == -0.5 * (8 * s * factor));
      CHECK(theta[2 * L + lane] == 1);
      // The clipped step has length lr·clip (to rounding).
      CHECK(std::hypot(theta[0 * L + lane], theta[1 * L + lane]) ==
            Approx(5 * (10 * s) / (10 * s + 1e-6)));
    }
    nn::Sgd<double, L> loose(0.5, 1e6, 0);  // never clips: exactly the plain step
    std::vector<double> t2 = packed({0, 0, 0}), g2 = packed({6, 8, 0});
    loose.update(layout, t2.data(), g2.data());
    CHECK(t2 == packed({-3, -4, 0}));
  }
  SECTION("a fixed layer does not move, even with decay and clipping") {
    const nn::Layout fixed = tiny_layout(false);
    nn::Sgd<double, L> sgd(0.5, 1.0, 0.25);
    std::vector<double> theta = packed({1, -2, 0.5}), g = packed({4, 8, -2});
    const std::vector<double> before = theta;
    sgd.update(fixed, theta.data(), g.data());
    CHECK(theta == before);
  }
}

TEST_CASE("Adam: its first two steps by hand", "[nn][optimizer]") {
  const nn::Layout layout = tiny_layout();
  // β₁ = 1/2, β₂ = 3/4, lr = 1/8, ε = 2⁻³⁰. Step 1: m = g/2, v = g²/4, 1 − β₁ = 1/2, √(1 − β₂) =
  // 1/2, so θ ← θ − (1/4)·(g/2)/(|g| + ε): a step of lr·sign(g) shortened by ε/|g|, every operation
  // exact except the division.
  nn::Adam<double, L> adam(0.125, 0.5, 0.75, std::ldexp(1.0, -30));
  CHECK(adam.direct_rate() == 0);
  const double eps = std::ldexp(1.0, -30);
  std::vector<double> theta = packed({1, -2, 0.5}), g1 = packed({4, -8, 2});
  const std::vector<double> theta0 = theta;
  adam.update(layout, theta.data(), g1.data());
  CHECK(adam.steps() == 1);
  for (std::size_t q = 0; q < theta.size(); ++q) {
    const double g = packed({4, -8, 2})[q];
    CHECK(theta[q] == std::fma(-0.25, (g / 2) / (std::fabs(g) + eps), theta0[q]));
    CHECK(theta[q] == Approx(theta0[q] - 0.125 * (g > 0 ? 1 : -1)).epsilon(1e-9));
  }
  // Step 2 with g₂: m = m₁/2 + g₂/2, v = 3v₁/4 + g₂²/4, corrections 1 − β₁² = 3/4 and
  // √(1 − β₂²) = √(7/16); θ ← θ − (lr/(3/4))·m/(√v/√(7/16) + ε).
  const std::vector<double> theta1 = theta, g2v = packed({-2, -8, 6});
  std::vector<double> g2 = g2v;
  adam.update(layout, theta.data(), g2.data());
  for (std::size_t q = 0; q < theta.size(); ++q) {
    const double first = packed({4, -8, 2})[q], second = g2v[q];
    const double m = first / 4 + second / 2, v = 3 * (first * first / 4) / 4 + second * second / 4;
    const double expected =
        theta1[q] - (0.125 / 0.75) * m / (std::sqrt(v) / std::sqrt(7.0 / 16) + eps);
    CHECK(theta[q] == Approx(expected).epsilon(1e-15));
  }
  // The bias b (not in a decay mask) and W follow the same recurrence; with decay, W's gradient
  // gains wd·θ first.
  nn::Adam<double, L> decayed(0.125, 0.5, 0.75, eps, 0, 0.5);
  std::vector<double> t = packed({1, -2, 0.5}), g = packed({4, -8, 2});
  decayed.update(layout, t.data(), g.data());
  for (int lane = 0; lane < L; ++lane) {
    const double s = lane + 1, gw0 = 4 * s + 0.5 * s, gb = 2 * s;
    CHECK(t[0 * L + lane] == std::fma(-0.25, (gw0 / 2) / (gw0 + eps), s));
    CHECK(t[2 * L + lane] == std::fma(-0.25, (gb / 2) / (gb + eps), 0.5 * s));
  }
}

namespace {

// Counts its calls and does a plain step (to show the pack hands every update to the object).
class Counting final : public nn::Optimizer<double, L> {
 public:
  explicit Counting(int* calls) : calls_(calls), inner_(0.1, 0, 0.2) {}
  void update(const nn::Layout& layout, double* theta, double* g) override {
    ++*calls_;
    inner_.update(layout, theta, g);
  }

 private:
  int* calls_;
  nn::Sgd<double, L> inner_;
};

}  // namespace

TEST_CASE("the pack steps with the optimizer object it holds", "[nn][optimizer]") {
  nn::TrainSpec spec = nn_test::make_spec(3, {5, 1}, "tanh", nn::LossKind::mse, true, false);
  spec.optimizer.batch = 4;
  spec.optimizer.lr = 0.1;
  spec.optimizer.weight_decay = 0.2;
  nn::Pack<double> by_spec(spec, 12), by_object(spec, 12);
  int calls = 0;
  by_object.set_optimizer(std::make_unique<Counting>(&calls));
  for (int lane = 0; lane < L; ++lane) {
    nn_test::fill_lane(by_spec, lane, static_cast<std::uint64_t>(lane));
    nn_test::fill_lane(by_object, lane, static_cast<std::uint64_t>(lane));
  }
  for (int e = 0; e < 3; ++e) {
    by_spec.epoch();
    by_object.epoch();
  }
  CHECK(calls == 9);
  for (int lane = 0; lane < L; ++lane)
    CHECK(nn_test::lane_parameters(by_spec, lane) == nn_test::lane_parameters(by_object, lane));
  // Swapping plain SGD (folded into the backward pass) for one that needs the gradient buffer.
  nn::TrainSpec plain = spec;
  plain.optimizer.weight_decay = 0;
  nn::Pack<double> swapped(plain, 12);
  swapped.set_optimizer(std::make_unique<nn::Sgd<double, L>>(0.1, 0, 0.2));
  for (int lane = 0; lane < L; ++lane)
    nn_test::fill_lane(swapped, lane, static_cast<std::uint64_t>(lane));
  for (int e = 0; e < 3; ++e) swapped.epoch();
  for (int lane = 0; lane < L; ++lane)
    CHECK(nn_test::lane_parameters(swapped, lane) == nn_test::lane_parameters(by_spec, lane));
}
