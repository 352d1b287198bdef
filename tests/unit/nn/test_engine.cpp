// The replica-packed training engine: gradients, updates and optimizers against finite
// differences, hand computation and reference recurrences; replica independence bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "helpers.hpp"
#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/random.hpp"

using namespace nnsweep;
using nn_test::fill_lane;
using nn_test::lane_parameters;
using nn_test::make_spec;
using nn_test::same_samples;

namespace {

using PackD = nn::Pack<double>;
using PackF = nn::Pack<float>;
constexpr int LD = PackD::lanes;

// Central differences of the mean batch loss, every lane at once (lanes are independent).
void check_gradient_by_finite_differences(PackD& pack, int count, const std::string& what) {
  const std::vector<std::int32_t> samples = same_samples<LD>(count);
  std::vector<double> grad(pack.layout().size * LD);
  pack.gradient(samples.data(), count, grad.data());
  const double h = 1e-6;
  double plus[LD], minus[LD];
  int checked = 0;
  for (const nn::ParamGroup& group : pack.layout().groups)
    for (std::size_t q = group.offset; q < group.offset + group.count; ++q) {
      std::vector<double> saved(LD);
      for (int lane = 0; lane < LD; ++lane) saved[lane] = pack.parameter(q, lane);
      for (int lane = 0; lane < LD; ++lane) pack.parameter(q, lane) = saved[lane] + h;
      pack.loss(samples.data(), count, plus);
      for (int lane = 0; lane < LD; ++lane) pack.parameter(q, lane) = saved[lane] - h;
      pack.loss(samples.data(), count, minus);
      for (int lane = 0; lane < LD; ++lane) {
        pack.parameter(q, lane) = saved[lane];
        const double fd = (plus[lane] - minus[lane]) / (2 * h);
        const double g = grad[q * LD + lane];
        INFO(what << ", parameter " << q << " lane " << lane << ": engine " << g
                  << ", finite difference " << fd);
        if (group.trainable) {
          CHECK(std::fabs(g - fd) <= 1e-7 * (1 + std::fabs(fd)));
          ++checked;
        } else {
          CHECK(g == 0.0);
        }
      }
    }
  CHECK(checked > 0);
}

}  // namespace

TEST_CASE("gradients match central finite differences for every activation, loss, bias and skip",
          "[nn][gradient]") {
  const nn::LossKind losses[] = {nn::LossKind::logistic, nn::LossKind::hinge, nn::LossKind::mse};
  int configurations = 0;
  for (const std::string& activation : nn::activation_names()) {
    if (activation == "linear") continue;  // alias of identity
    for (nn::LossKind loss : losses)
      for (bool bias : {false, true})
        for (bool skip : {false, true}) {
          const int outputs = loss == nn::LossKind::mse ? 2 : 1;
          PackD pack(make_spec(3, {4, 3, outputs}, activation, loss, bias, skip), 7);
          for (int lane = 0; lane < LD; ++lane)
            fill_lane(pack, lane, static_cast<std::uint64_t>(lane + 10 * configurations));
          check_gradient_by_finite_differences(pack, 7,
                                               activation + "/" + std::string(nn::loss_name(loss)) +
                                                   (bias ? "/bias" : "") + (skip ? "/skip" : ""));
          ++configurations;
        }
  }
  CHECK(configurations == 9 * 3 * 4);
}

TEST_CASE("at the kink σ'(0) is the left derivative: 0 for relu, alpha for leaky_relu",
          "[nn][gradient]") {
  for (const std::string activation : {"relu", "leaky_relu"}) {
    const double slope = activation == "relu" ? 0.0 : 0.25;
    INFO(activation);
    CHECK(nn::derivative(nn::parse_activation(activation, 0.25), 0.0) == slope);
    CHECK(nn::derivative(nn::parse_activation(activation, 0.25), -0.0) == slope);
    // In the engine: a zero input and zero first-layer biases put every hidden unit at h = 0.
    // out = b₂ + Σ vᵢσ(0) = 0.5, mse against y = 1: ∂ℓ/∂out = 2(0.5 − 1) = −1, so
    // ∂ℓ/∂b₁ᵢ = −vᵢ·σ'(0) with v = (1, 2, 3).
    PackD pack(make_spec(2, {3, 1}, activation, nn::LossKind::mse, true, false, 0.25), 1);
    for (int lane = 0; lane < LD; ++lane) {
      pack.target(0, 0, lane) = 1;
      for (int i = 0; i < 3; ++i) {
        pack.weight(0, i, 0, lane) = 0.5 + i;
        pack.weight(0, i, 1, lane) = -0.5 - i;
        pack.weight(1, 0, i, lane) = 1.0 + i;
      }
      pack.bias(1, 0, lane) = 0.5;
    }
    const std::vector<std::int32_t> samples = same_samples<LD>(1);
    std::vector<double> grad(pack.layout().size * LD);
    pack.gradient(samples.data(), 1, grad.data());
    for (int i = 0; i < 3; ++i)
      CHECK(grad[(pack.layout().bias[0] + static_cast<std::size_t>(i)) * LD] == -(1.0 + i) * slope);
  }
}

TEST_CASE("gradients over several chunks and with fixed layers", "[nn][gradient]") {
  SECTION("a batch of 150 samples spans three chunks of 64") {
    PackD pack(make_spec(5, {6, 1}, "tanh", nn::LossKind::mse, true, false), 150);
    for (int lane = 0; lane < LD; ++lane) fill_lane(pack, lane, static_cast<std::uint64_t>(lane));
    check_gradient_by_finite_differences(pack, 150, "150 samples");
  }
  SECTION("a fixed hidden layer and a fixed skip get zero gradients, the others are exact") {
    nn::TrainSpec spec = make_spec(3, {4, 5, 1}, "softplus", nn::LossKind::logistic, true, true);
    spec.network.layers[1].trainable = false;
    spec.network.skip_trainable = false;
    PackD pack(spec, 9);
    for (int lane = 0; lane < LD; ++lane)
      fill_lane(pack, lane, static_cast<std::uint64_t>(lane + 100));
    check_gradient_by_finite_differences(pack, 9, "fixed layer");
  }
}

TEST_CASE("two SGD steps of a 2-2-1 leaky-ReLU net, checked by hand", "[nn][sgd]") {
  // f(x) = W2 σ(W1 x + b1) + b2, σ(z) = max(z, z/4), MSE, lr 1/4. All numbers are dyadic, so
  // every engine operation is exact and the result must equal the hand computation bit for bit.
  // Step 1, batch {x0 = (1, 2), y0 = 1; x1 = (2, −1), y1 = −1/2}:
  //   z(x0) = (1/8, 3/2), o = −1/2, ∂L/∂o = 2(o − y)/2 = −3/2; z(x1) = (11/8, 1/4), o = 11/8, ∂L/∂o
  //   = 15/8; ∇W1 = (9/4, −39/8; −9/8, 39/16), ∇b1 = (3/8, −3/16), ∇W2 = (153/64, −57/32), ∇b2 =
  //   3/8; θ ← θ − ∇/4: W1 = (−1/16, 31/32; 17/32, −7/64), b1 = (1/32, 19/64), W2 = (103/256,
  //   −7/128), b2 = 1/32.
  // Step 2, a last partial batch {x1} (mean over 1 sample): z = (−17/16, 47/32), σ(z) = (−17/64,
  // 47/32),
  //   o = −2555/16384, ∂L/∂o = 5637/8192, and θ ← θ − ∇/4 gives the values below.
  const double expected[] = {-1629187.0 / 16777216, 33086467.0 / 33554432, 1153571.0 / 2097152,
                             -498211.0 / 4194304,   467965.0 / 33554432,   1284643.0 / 4194304,
                             939605.0 / 2097152,    -322283.0 / 1048576,   -4613.0 / 32768};
  for (bool gradient_mode : {false, true}) {
    nn::TrainSpec spec = make_spec(2, {2, 1}, "leaky_relu", nn::LossKind::mse, true, false, 0.25);
    spec.optimizer.lr = 0.25;
    spec.optimizer.batch = 2;
    if (gradient_mode) spec.optimizer.clip = 1e300;  // forces the gradient buffer; never clips
    PackD pack(spec, 2);
    const double theta[] = {0.5, -0.25, 0.25, 0.5, 0.125, 0.25, 1, -0.5, 0.125};  // W1, b1, W2, b2
    const double x[2][2] = {{1, 2}, {2, -1}}, y[2] = {1, -0.5};
    for (int lane = 0; lane < LD; ++lane) {
      for (std::size_t q = 0; q < 9; ++q) pack.parameter(q, lane) = theta[q];
      for (int s = 0; s < 2; ++s) {
        pack.input(s, 0, lane) = x[s][0];
        pack.input(s, 1, lane) = x[s][1];
        pack.target(s, 0, lane) = y[s];
      }
    }
    const std::vector<std::int32_t> both = same_samples<LD>(2), second = same_samples<LD>(1, 1);
    pack.step(both.data(), 2);
    CHECK(pack.weight(0, 0, 0, 0) == -1.0 / 16);
    CHECK(pack.weight(1, 0, 0, 0) == 103.0 / 256);
    pack.step(second.data(), 1);
    for (int lane = 0; lane < LD; ++lane)
      for (std::size_t q = 0; q < 9; ++q) {
        INFO("gradient mode " << gradient_mode << ", parameter " << q << ", lane " << lane);
        CHECK(pack.parameter(q, lane) == expected[q]);
      }
    CHECK(pack.steps() == 2);
  }
}

namespace {

// θ and g of every lane before one step, the step, and θ after.
struct OneStep {
  std::vector<double> before, grad, after;
};
OneStep one_step(const nn::TrainSpec& spec, int n) {
  PackD pack(spec, n);
  for (int lane = 0; lane < LD; ++lane)
    fill_lane(pack, lane, static_cast<std::uint64_t>(lane + 40));
  OneStep r;
  const std::size_t p = pack.layout().size * LD;
  r.before.assign(pack.parameters(), pack.parameters() + p);
  r.grad.resize(p);
  const std::vector<std::int32_t> all = same_samples<LD>(n);
  pack.gradient(all.data(), n, r.grad.data());
  pack.step(all.data(), n);
  r.after.assign(pack.parameters(), pack.parameters() + p);
  return r;
}

}  // namespace

TEST_CASE("gradient clipping and weight decay are exact", "[nn][sgd]") {
  nn::TrainSpec spec = make_spec(3, {5, 1}, "tanh", nn::LossKind::mse, true, false);
  spec.network.layers[0].decay_bias = false;  // masks: W1 and W2, b2 decayed; b1 not
  spec.network.layers[1].decay_bias = true;
  spec.optimizer.lr = 0.1;
  spec.optimizer.batch = 6;
  const nn::Layout layout(spec.network);
  const auto decayed = [&](std::size_t q) {
    for (const nn::ParamGroup& g : layout.groups)
      if (q >= g.offset && q < g.offset + g.count) return g.decay;
    return false;
  };
  for (double clip : {0.0, 0.05, 1e3})
    for (double wd : {0.0, 0.3}) {
      if (clip == 0 && wd == 0) continue;
      spec.optimizer.clip = clip;
      spec.optimizer.weight_decay = wd;
      const OneStep r = one_step(spec, 6);
      for (int lane = 0; lane < LD; ++lane) {
        double norm2 = 0;
        for (std::size_t q = 0; q < layout.size; ++q)
          norm2 = std::fma(r.grad[q * LD + lane], r.grad[q * LD + lane], norm2);
        double factor = 1;
        if (clip > 0) {
          const double coefficient = clip / (std::sqrt(norm2) + 1e-6);
          factor = coefficient < 1 ? coefficient : 1;
          if (clip == 0.05) CHECK(factor < 0.5);  // this case really clips
          if (clip == 1e3) CHECK(factor == 1);    // and this one really does not
        }
        for (std::size_t q = 0; q < layout.size; ++q) {
          const std::size_t at = q * LD + static_cast<std::size_t>(lane);
          double g = r.grad[at] * factor;
          if (decayed(q)) g = std::fma(wd, r.before[at], g);
          INFO("clip " << clip << ", wd " << wd << ", parameter " << q << ", lane " << lane);
          CHECK(r.after[at] == std::fma(-0.1, g, r.before[at]));
        }
      }
    }
}

TEST_CASE("Adam follows the textbook recurrence", "[nn][adam]") {
  nn::TrainSpec spec = make_spec(3, {6, 2}, "sigmoid", nn::LossKind::mse, true, true);
  spec.optimizer.kind = nn::OptimizerSpec::Kind::adam;
  spec.optimizer.lr = 0.01;
  spec.optimizer.batch = 8;  // full batch: the same samples every step
  spec.optimizer.weight_decay = 0.01;
  spec.optimizer.beta1 = 0.8;
  spec.optimizer.beta2 = 0.99;
  spec.optimizer.eps = 1e-6;
  PackD pack(spec, 8);
  for (int lane = 0; lane < LD; ++lane)
    fill_lane(pack, lane, static_cast<std::uint64_t>(lane + 70));
  const std::size_t p = pack.layout().size * LD;
  std::vector<double> theta(pack.parameters(), pack.parameters() + p), m(p, 0.0), v(p, 0.0), g(p);
  const std::vector<std::int32_t> all = same_samples<LD>(8);
  std::vector<double> decay(p, 0.0);  // default masks: weights decayed; biases and skip not
  for (const nn::ParamGroup& group : pack.layout().groups)
    for (std::size_t q = group.offset * LD; q < (group.offset + group.count) * LD; ++q)
      decay[q] = group.decay ? 0.01 : 0.0;
  CHECK(std::count(decay.begin(), decay.end(), 0.0) > 0);
  CHECK(std::count(decay.begin(), decay.end(), 0.01) > 0);
  double worst = 0;
  for (int t = 1; t <= 25; ++t) {
    pack.gradient(all.data(), 8, g.data());  // at the engine's current θ
    pack.step(all.data(), 8);
    // Kingma & Ba with L2 decay: g += wd θ; m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ); θ −= lr m̂/(√v̂ + ε).
    for (std::size_t q = 0; q < p; ++q) {
      const double gq = g[q] + decay[q] * theta[q];
      m[q] = 0.8 * m[q] + 0.2 * gq;
      v[q] = 0.99 * v[q] + 0.01 * gq * gq;
      const double m_hat = m[q] / (1 - std::pow(0.8, t)), v_hat = v[q] / (1 - std::pow(0.99, t));
      theta[q] -= 0.01 * m_hat / (std::sqrt(v_hat) + 1e-6);
      worst = std::max(worst,
                       std::fabs(theta[q] - pack.parameters()[q]) / (1e-3 + std::fabs(theta[q])));
    }
    // Re-synchronise the reference on the engine's θ (the two differ in rounding only).
    theta.assign(pack.parameters(), pack.parameters() + p);
  }
  CHECK(worst < 1e-12);
  CHECK(worst > 0);  // the reference is an independent computation, not a copy
}

TEST_CASE("a replica's trajectory does not depend on its lane or its neighbours", "[nn][pack]") {
  const auto run = [](auto tag, const nn::TrainSpec& spec, int n, int lane_of_r,
                      bool fused_allowed) {
    using Pack = typename decltype(tag)::type;
    Pack pack(spec, n);
    pack.set_fused(fused_allowed);
    for (int lane = 0; lane < Pack::lanes; ++lane)
      fill_lane(pack, lane,
                lane == lane_of_r ? 7u : static_cast<std::uint64_t>(1000 + 31 * lane + lane_of_r));
    for (int e = 0; e < 3; ++e) pack.epoch();
    return lane_parameters(pack, lane_of_r);
  };
  const auto check_all = [&](auto tag) {
    using Pack = typename decltype(tag)::type;
    nn::TrainSpec lt =
        make_spec(5, {12, 1}, "leaky_relu", nn::LossKind::logistic, false, false, 0.1);
    lt.network.layers[1].trainable = false;
    nn::TrainSpec batched = make_spec(4, {7, 5, 2}, "tanh", nn::LossKind::mse, true, true);
    batched.optimizer.batch = 3;
    nn::TrainSpec adam = batched;
    adam.optimizer.kind = nn::OptimizerSpec::Kind::adam;
    adam.optimizer.clip = 0.5;
    adam.optimizer.lr = 1e-3;
    for (const nn::TrainSpec& spec : {lt, batched, adam}) {
      const auto reference = run(tag, spec, 20, 0, true);
      for (int lane = 1; lane < Pack::lanes; ++lane) {
        const auto other = run(tag, spec, 20, lane, true);
        CHECK(std::memcmp(reference.data(), other.data(),
                          reference.size() * sizeof(reference[0])) == 0);
      }
      const auto general = run(tag, spec, 20, Pack::lanes - 1, false);
      CHECK(std::memcmp(reference.data(), general.data(),
                        reference.size() * sizeof(reference[0])) == 0);
    }
    Pack probe(lt, 20);
    CHECK(probe.fused());
  };
  check_all(std::common_type<PackD>{});
  check_all(std::common_type<PackF>{});
}

TEST_CASE("an epoch is the steps over the lane's own permutation, last partial batch kept",
          "[nn][sgd]") {
  nn::TrainSpec spec = make_spec(3, {4, 1}, "relu", nn::LossKind::mse, true, false);
  spec.optimizer.batch = 4;
  PackD by_epoch(spec, 10), by_step(spec, 10);
  CHECK(by_epoch.steps_per_epoch() == 3);
  for (int lane = 0; lane < LD; ++lane) {
    fill_lane(by_epoch, lane, static_cast<std::uint64_t>(lane));
    fill_lane(by_step, lane, static_cast<std::uint64_t>(lane));
  }
  std::vector<rng::Stream> streams;
  for (int lane = 0; lane < LD; ++lane)
    streams.emplace_back(11, 22, static_cast<std::uint64_t>(lane), rng::Purpose::batch_order);
  for (int e = 0; e < 2; ++e) {
    by_epoch.epoch();
    std::vector<std::vector<std::int32_t>> order(LD, std::vector<std::int32_t>(10));
    for (int lane = 0; lane < LD; ++lane) {
      for (int s = 0; s < 10; ++s) order[lane][static_cast<std::size_t>(s)] = s;
      nn::shuffle(order[lane].data(), 10, streams[static_cast<std::size_t>(lane)]);
    }
    for (int first = 0; first < 10; first += 4) {
      const int count = std::min(4, 10 - first);
      std::vector<std::int32_t> samples(static_cast<std::size_t>(count) * LD);
      for (int s = 0; s < count; ++s)
        for (int lane = 0; lane < LD; ++lane)
          samples[static_cast<std::size_t>(s * LD + lane)] =
              order[lane][static_cast<std::size_t>(first + s)];
      by_step.step(samples.data(), count);
    }
  }
  CHECK(by_epoch.steps() == 6);
  for (int lane = 0; lane < LD; ++lane)
    CHECK(lane_parameters(by_epoch, lane) == lane_parameters(by_step, lane));
  // Different lanes drew different permutations (the same data and init would otherwise agree).
  PackD same(spec, 10);
  for (int lane = 0; lane < LD; ++lane) {
    fill_lane(same, lane, 3);
    same.set_order_stream(
        lane, rng::Stream(11, 22, static_cast<std::uint64_t>(lane), rng::Purpose::batch_order));
  }
  same.epoch();
  CHECK(lane_parameters(same, 0) != lane_parameters(same, 1));
}

TEST_CASE("full-batch GD uses every sample once per step, in index order", "[nn][sgd]") {
  nn::TrainSpec spec = make_spec(2, {3, 1}, "identity", nn::LossKind::mse, false, false);
  spec.optimizer.batch = 1000;  // >= n: GD
  PackD gd(spec, 5), manual(spec, 5);
  for (int lane = 0; lane < LD; ++lane) {
    fill_lane(gd, lane, static_cast<std::uint64_t>(lane));
    fill_lane(manual, lane, static_cast<std::uint64_t>(lane));
  }
  CHECK(gd.steps_per_epoch() == 1);
  gd.epoch();
  const std::vector<std::int32_t> all = same_samples<LD>(5);
  manual.step(all.data(), 5);
  for (int lane = 0; lane < LD; ++lane)
    CHECK(lane_parameters(gd, lane) == lane_parameters(manual, lane));
}

TEST_CASE("divergence stops one replica only", "[nn][pack]") {
  nn::TrainSpec spec = make_spec(3, {8, 1}, "relu", nn::LossKind::mse, true, false);
  spec.optimizer.lr = 0.05;
  spec.optimizer.batch = 2;
  PackD wild(spec, 16), calm(spec, 16);
  for (int lane = 0; lane < LD; ++lane) {
    fill_lane(wild, lane, static_cast<std::uint64_t>(lane),
              lane == 1 ? 300.0 : 1.0);  // lane 1: huge inputs
    fill_lane(calm, lane, static_cast<std::uint64_t>(lane), 1.0);
  }
  for (int e = 0; e < 20; ++e) {
    wild.epoch();
    calm.epoch();
  }
  CHECK(wild.diverged_at(1) >= 0);
  CHECK(wild.diverged_at(1) < wild.steps());
  CHECK(!std::isfinite(wild.parameter(0, 1)));
  for (int lane = 0; lane < LD; ++lane) {
    if (lane == 1) continue;
    CHECK(wild.diverged_at(lane) == -1);
    CHECK(lane_parameters(wild, lane) == lane_parameters(calm, lane));
  }
  CHECK_FALSE(wild.all_diverged());
}

TEST_CASE("the forward pass equals a plain double-precision evaluation", "[nn][forward]") {
  nn::TrainSpec spec = make_spec(3, {5, 4, 2}, "g", nn::LossKind::mse, true, true);
  PackD pack(spec, 1);
  for (int lane = 0; lane < LD; ++lane) fill_lane(pack, lane, static_cast<std::uint64_t>(lane));
  const int m = 70;  // two chunks
  std::vector<double> x(static_cast<std::size_t>(m) * 3 * LD),
      out(static_cast<std::size_t>(m) * 2 * LD);
  nn::NormalSampler g(rng::Stream(1, 2, 3, rng::Purpose::test_data));
  for (double& v : x) v = g();
  pack.forward(x.data(), m, out.data());
  const nn::Activation act = spec.network.activation;
  double worst = 0;
  for (int lane = 0; lane < LD; ++lane)
    for (int s = 0; s < m; ++s) {
      std::vector<double> a(3);
      for (int j = 0; j < 3; ++j)
        a[static_cast<std::size_t>(j)] =
            x[(static_cast<std::size_t>(s) * 3 + static_cast<std::size_t>(j)) * LD +
              static_cast<std::size_t>(lane)];
      const std::vector<double> input = a;
      for (int l = 0; l < 3; ++l) {
        const int rows = spec.network.layers[static_cast<std::size_t>(l)].width,
                  cols = spec.network.fan_in(l);
        std::vector<double> z(static_cast<std::size_t>(rows));
        for (int i = 0; i < rows; ++i) {
          double sum = pack.bias(l, i, lane);
          for (int j = 0; j < cols; ++j)
            sum += pack.weight(l, i, j, lane) * a[static_cast<std::size_t>(j)];
          z[static_cast<std::size_t>(i)] = l < 2 ? nn::value(act, sum) : sum;
        }
        a = z;
      }
      for (int o = 0; o < 2; ++o) {
        double skip = pack.skip_bias(o, lane);
        for (int j = 0; j < 3; ++j)
          skip += pack.skip_weight(o, j, lane) * input[static_cast<std::size_t>(j)];
        const double expected = a[static_cast<std::size_t>(o)] + skip;
        const double got =
            out[(static_cast<std::size_t>(s) * 2 + static_cast<std::size_t>(o)) * LD +
                static_cast<std::size_t>(lane)];
        worst = std::max(worst, std::fabs(got - expected) / (1 + std::fabs(expected)));
      }
    }
  CHECK(worst < 1e-14);
}

TEST_CASE("float training tracks double training", "[nn][float]") {
  nn::TrainSpec spec =
      make_spec(4, {10, 1}, "leaky_relu", nn::LossKind::logistic, false, false, 0.1);
  spec.network.layers[1].trainable = false;
  PackD d(spec, 30);
  PackF f(spec, 30);
  for (int lane = 0; lane < PackF::lanes; ++lane) {
    fill_lane(d, lane % LD, static_cast<std::uint64_t>(lane % LD));
    fill_lane(f, lane, static_cast<std::uint64_t>(lane % LD));
  }
  for (int e = 0; e < 3; ++e) {
    d.epoch();
    f.epoch();
  }
  double worst = 0;
  for (int lane = 0; lane < PackF::lanes; ++lane)
    for (std::size_t q = 0; q < d.layout().size; ++q)
      worst = std::max(
          worst, std::fabs(static_cast<double>(f.parameter(q, lane)) - d.parameter(q, lane % LD)));
  CHECK(worst < 1e-4);
  CHECK(worst > 0);
}

TEST_CASE("bad specs are config errors that name the field", "[nn][config]") {
  nn::TrainSpec spec = make_spec(3, {4, 2}, "relu", nn::LossKind::logistic, false, false);
  CHECK_THROWS_AS(nn::validate(spec), config_error);
  CHECK_THROWS_WITH(nn::validate(spec), Catch::Contains("need one output"));
  spec = make_spec(3, {4, 1}, "relu", nn::LossKind::mse, false, false);
  spec.optimizer.lr = -1;
  CHECK_THROWS_WITH(nn::validate(spec), Catch::Contains("lr = -1"));
  spec.optimizer.lr = 0.1;
  spec.optimizer.batch = 0;
  CHECK_THROWS_WITH(nn::validate(spec), Catch::Contains("batch = 0"));
  CHECK(nn::parse_loss("hinge") == nn::LossKind::hinge);
  CHECK_THROWS_WITH(nn::parse_loss("l2"), Catch::Contains("logistic, hinge, mse"));
}

TEST_CASE("gradients of the support and splines networks match finite differences",
          "[nn][gradient]") {
  // support (issue 10): bias-free MLP d = 15 → 15 → 15 → 15 → 1, identity or relu, MSE.
  for (const std::string activation : {"identity", "relu"}) {
    PackD pack(make_spec(15, {15, 15, 15, 1}, activation, nn::LossKind::mse, false, false), 9);
    for (int lane = 0; lane < LD; ++lane)
      fill_lane(pack, lane, static_cast<std::uint64_t>(lane + 500));
    check_gradient_by_finite_differences(pack, 9, "support/" + activation);
  }
  // splines (issue 11): f(x) = Σ v_k relu(w_k x + b_k) + a·x + c, width 12: one hidden layer with
  // biases, a bias-free output, and the affine skip (a, c).
  nn::TrainSpec spec = make_spec(1, {12, 1}, "relu", nn::LossKind::mse, true, true);
  spec.network.layers[1].bias = false;
  PackD pack(spec, 8);
  for (int lane = 0; lane < LD; ++lane)
    fill_lane(pack, lane, static_cast<std::uint64_t>(lane + 600));
  check_gradient_by_finite_differences(pack, 8, "splines");
}

TEST_CASE("the fused evaluation forward pass is bitwise the layer-by-layer one", "[nn][forward]") {
  const auto check = [](auto tag, const nn::TrainSpec& spec, const std::string& what) {
    using Pack = typename decltype(tag)::type;
    using T = std::remove_reference_t<decltype(*std::declval<Pack>().parameters())>;
    constexpr int L = Pack::lanes;
    Pack pack(spec, 1);
    for (int lane = 0; lane < L; ++lane)
      fill_lane(pack, lane, static_cast<std::uint64_t>(lane + 3));
    const int m = 135;  // two full chunks of 64 and a remainder of 7 (columns 4 + 3)
    std::vector<T> x(static_cast<std::size_t>(m) * static_cast<std::size_t>(spec.network.input) *
                     L),
        fused(static_cast<std::size_t>(m) * L), layered(fused.size());
    nn::NormalSampler g(rng::Stream(5, 6, 7, rng::Purpose::test_data));
    for (T& v : x) v = static_cast<T>(g());
    pack.forward(x.data(), m, fused.data());
    pack.set_fused(false);
    pack.forward(x.data(), m, layered.data());
    INFO(what);
    CHECK(std::memcmp(fused.data(), layered.data(), fused.size() * sizeof(T)) == 0);
    CHECK(std::isfinite(static_cast<double>(fused[0])));
  };
  for (const std::string activation : {"leaky_relu", "relu", "identity"}) {
    // hidden widths 7 and 100: row strips of 3 (or 2) and a remainder
    for (int hidden : {7, 100}) {
      nn::TrainSpec lt =
          make_spec(10, {hidden, 1}, activation, nn::LossKind::logistic, false, false);
      check(std::common_type<PackD>{}, lt, activation + " 2 layers");
      check(std::common_type<PackF>{}, lt, activation + " 2 layers float");
    }
    nn::TrainSpec deep = make_spec(4, {6, 5, 1}, activation, nn::LossKind::mse, true, true);
    check(std::common_type<PackD>{}, deep, activation + " 3 layers, biases, skip");
    check(std::common_type<PackF>{}, deep, activation + " 3 layers, biases, skip, float");
  }
}

TEST_CASE("training in steps gives the same bits however the steps are split", "[nn][pack]") {
  nn::TrainSpec lt = make_spec(5, {12, 1}, "leaky_relu", nn::LossKind::logistic, false, false, 0.1);
  lt.network.layers[1].trainable = false;  // the fused batch-1 path
  nn::TrainSpec batched = make_spec(4, {7, 5, 2}, "tanh", nn::LossKind::mse, true, true);
  batched.optimizer.batch = 3;  // 7 steps per epoch, the last of 2 samples
  nn::TrainSpec adam = batched;
  adam.optimizer.kind = nn::OptimizerSpec::Kind::adam;
  adam.optimizer.lr = 1e-3;
  for (const nn::TrainSpec& spec : {lt, batched, adam}) {
    PackD whole(spec, 20), split(spec, 20);
    for (int lane = 0; lane < LD; ++lane) {
      fill_lane(whole, lane, static_cast<std::uint64_t>(lane));
      fill_lane(split, lane, static_cast<std::uint64_t>(lane));
    }
    for (int e = 0; e < 4; ++e) whole.epoch();
    const std::int64_t total = 4 * whole.steps_per_epoch();
    std::int64_t done = 0;
    for (std::int64_t piece : {1, 7, 2, 13, 5, 1, 30}) {
      const std::int64_t take = std::min(piece, total - done);
      split.advance(take);
      done += take;
    }
    split.advance(total - done);
    CHECK(split.steps() == whole.steps());
    CHECK(split.epochs() == 4);
    CHECK(split.epoch_position() == 0);
    for (int lane = 0; lane < LD; ++lane)
      CHECK(lane_parameters(split, lane) == lane_parameters(whole, lane));
  }
}

TEST_CASE(
    "the fused full-batch step of one-input shallow ReLU nets is the general step to "
    "rounding",
    "[nn][pack]") {
  // splines' networks: 1 → K → 1 with biases, skip a x + c or an output bias, MSE, full batch,
  // SGD with weight decay and Adam (the optimizer path: the fused kernel computes the gradient).
  const auto check = [](auto tag) {
    using Pack = typename decltype(tag)::type;
    using T = typename std::remove_reference_t<decltype(*std::declval<Pack>().parameters())>;
    for (const bool skip : {true, false})
      for (const bool adam : {false, true}) {
        nn::TrainSpec spec = make_spec(1, {13, 1}, "relu", nn::LossKind::mse, true, skip);
        spec.network.layers[1].bias = !skip;
        spec.optimizer.batch = 9;
        spec.optimizer.weight_decay = 1e-2;
        spec.optimizer.lr = adam ? 1e-3 : 5e-2;
        if (adam) spec.optimizer.kind = nn::OptimizerSpec::Kind::adam;
        Pack fused(spec, 9), general(spec, 9);
        general.set_fused(false);
        for (int lane = 0; lane < Pack::lanes; ++lane) {
          fill_lane(fused, lane, static_cast<std::uint64_t>(lane));
          fill_lane(general, lane, static_cast<std::uint64_t>(lane));
        }
        // One step from the same θ: the same update to rounding of the gradient's sums.
        fused.advance(1);
        general.advance(1);
        const std::size_t p = fused.layout().size;
        double worst = 0;
        for (std::size_t q = 0; q < p * Pack::lanes; ++q) {
          const double a = fused.parameters()[q], b = general.parameters()[q];
          worst = std::max(worst, std::fabs(a - b) / (1e-3 + std::fabs(b)));
        }
        INFO("skip " << skip << ", adam " << adam);
        // A few ulps of T (the gradients' sums differ in order; Adam divides by √v ~ |g|).
        CHECK(worst < 1e3 * static_cast<double>(std::numeric_limits<T>::epsilon()));
        // And over 200 steps the trajectories stay together (no chaotic divergence here).
        fused.advance(199);
        general.advance(199);
        worst = 0;
        for (std::size_t q = 0; q < p * Pack::lanes; ++q) {
          const double a = fused.parameters()[q], b = general.parameters()[q];
          worst = std::max(worst, std::fabs(a - b) / (1e-3 + std::fabs(b)));
        }
        CHECK(worst < 1e5 * static_cast<double>(std::numeric_limits<T>::epsilon()));
        CHECK(fused.steps() == 200);
        CHECK(fused.diverged_at(0) == -1);
      }
  };
  check(std::common_type<PackD>{});
  check(std::common_type<PackF>{});
}
