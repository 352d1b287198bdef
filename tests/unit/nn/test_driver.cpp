// The replica-training driver (nn/driver.hpp) and the initialisers (nn/init.hpp): initial values
// against the same draws by hand and against their variance, results independent of pack size,
// lane and neighbours bit for bit, schedules in epochs and steps, divergence (from the network
// and declared by measure), cancellation inside a pack, and a polish that solves least squares.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "nnsweep/core/text.hpp"
#include "nnsweep/nn/driver.hpp"
#include "nnsweep/nn/evaluate.hpp"
#include "nnsweep/nn/random.hpp"

using namespace nnsweep;

namespace {

constexpr int L = nn::default_lanes<double>;

TEST_CASE("initial parameters: each rule's formula on the stream's draws, in layout order",
          "[nn][init]") {
  nn::NetworkSpec net;
  net.input = 3;
  net.layers = {{4, true}, {2, true}};
  net.skip = true;
  const nn::Layout layout(net);
  const nn::InitRule rule = [](const nn::ParamGroup& g) {
    using K = nn::ParamGroup::Kind;
    if (g.kind == K::weights)
      return g.layer == 0 ? nn::Init::he_normal() : nn::Init::glorot_normal(2);
    if (g.kind == K::bias) return g.layer == 0 ? nn::Init::constant(0.5) : nn::Init::uniform(-1, 3);
    if (g.kind == K::skip_weights) return nn::Init::normal(0.3);
    return nn::Init::given({7, 8});
  };
  const rng::Stream stream(1, 2, 3, rng::Purpose::init);
  const std::vector<double> theta = nn::initial_parameters(net, layout, rule, stream);
  REQUIRE(theta.size() == 12 + 4 + 8 + 2 + 6 + 2);
  nn::NormalSampler z(stream);
  std::vector<double> expected;
  for (int q = 0; q < 12; ++q) expected.push_back(std::sqrt(2.0 / 3) * z());  // He: fan-in 3
  for (int q = 0; q < 4; ++q) expected.push_back(0.5);
  for (int q = 0; q < 8; ++q) expected.push_back(2 * std::sqrt(2.0 / (4 + 2)) * z());  // Glorot
  for (int q = 0; q < 2; ++q) expected.push_back(-1 + 4 * z.uniform());
  for (int q = 0; q < 6; ++q) expected.push_back(0.3 * z());
  expected.push_back(7);
  expected.push_back(8);
  CHECK(theta == expected);
  // No rule: zeros.
  CHECK(nn::initial_parameters(net, layout, {}, stream) == std::vector<double>(theta.size(), 0.0));
}

TEST_CASE("He, Glorot and uniform initialisations have their variances (3 sigma)", "[nn][init]") {
  nn::NetworkSpec net;
  net.input = 400;
  net.layers = {{300, false}, {1, false}};
  const nn::Layout layout(net);
  for (const nn::Init& init :
       {nn::Init::he_normal(), nn::Init::glorot_normal(), nn::Init::uniform(-2, 1)}) {
    const std::vector<double> theta = nn::initial_parameters(
        net, layout, [&](const nn::ParamGroup&) { return init; },
        rng::Stream(9, 9, 9, rng::Purpose::init));
    const std::size_t count = layout.groups[0].count;
    double mean = 0, m2 = 0;
    for (std::size_t q = 0; q < count; ++q) mean += theta[q];
    mean /= static_cast<double>(count);
    for (std::size_t q = 0; q < count; ++q) m2 += (theta[q] - mean) * (theta[q] - mean);
    const double variance = m2 / static_cast<double>(count - 1);
    double want = 0, want_mean = 0, kurtosis = 3;  // of the distribution
    if (init.kind == nn::Init::Kind::he_normal) want = 2.0 / 400;
    if (init.kind == nn::Init::Kind::glorot_normal) want = 2.0 / 700;
    if (init.kind == nn::Init::Kind::uniform) {
      want = 9.0 / 12;
      want_mean = -0.5;
      kurtosis = 1.8;
    }
    // Standard error of a sample variance: σ²·√((κ − 1)/N).
    const double se = want * std::sqrt((kurtosis - 1) / static_cast<double>(count));
    INFO("kind " << static_cast<int>(init.kind) << ": variance " << variance << " vs " << want);
    CHECK(std::fabs(variance - want) < 3 * se);
    CHECK(std::fabs(mean - want_mean) < 3 * std::sqrt(want / static_cast<double>(count)));
  }
}

// A small regression experiment on the driver: d = 3 → 6 (tanh, biases) → 1, MSE, SGD batch 3 on
// 10 samples; replica r's data from its own stream (inputs scaled by `scale(r)`). Metrics: the
// mean training loss, the steps and epochs at the evaluation, the mean squared error on an
// evaluation set of 7 points.
struct Toy {
  nn::Plan plan;
  nn::Hooks<double> hooks;
  std::vector<std::uint64_t> seeds;
  std::function<double(std::size_t)> scale = [](std::size_t) { return 1.0; };
  std::vector<std::int64_t> every_epoch_calls;

  explicit Toy(std::vector<std::uint64_t> replica_seeds) : seeds(std::move(replica_seeds)) {
    plan.train.network.input = 3;
    plan.train.network.layers = {{6, true}, {1, true}};
    plan.train.network.activation = nn::parse_activation("tanh");
    plan.train.loss = nn::LossKind::mse;
    plan.train.optimizer.lr = 0.05;
    plan.train.optimizer.batch = 3;
    plan.n_train = 10;
    plan.schedule = {nn::Schedule::Unit::epochs, 12, 6, nn::Schedule::Spacing::log};
    plan.init = [](const nn::ParamGroup& g) {
      return g.kind == nn::ParamGroup::Kind::weights ? nn::Init::glorot_normal() : nn::Init::zero();
    };
    plan.metrics = 4;
    plan.eval_sets = {{7, true}};
    hooks.streams = [this](std::size_t r) {
      return nn::ReplicaStreams{rng::Stream(5, 77, seeds[r], rng::Purpose::init),
                                rng::Stream(5, 77, seeds[r], rng::Purpose::batch_order)};
    };
    hooks.setup = [this](nn::LaneSetup<double>& lane) {
      nn::NormalSampler g(rng::Stream(5, 77, seeds[lane.replica()], rng::Purpose::data));
      const double s = scale(lane.replica());
      const auto point = [&](double* x) {
        double y = 0.25;
        for (int j = 0; j < 3; ++j) {
          x[j] = s * g();
          y += (j + 1) * x[j] / 4;
        }
        return y + 0.1 * g();
      };
      double x[3];
      for (std::int64_t i = 0; i < 10; ++i) {
        lane.target(i, 0) = point(x);
        for (int j = 0; j < 3; ++j) lane.input(i, j) = x[j];
      }
      for (std::int64_t i = 0; i < 7; ++i) {
        lane.eval_target(0, i, 0) = point(x);
        for (int j = 0; j < 3; ++j) lane.eval_input(0, i, j) = x[j];
      }
    };
    hooks.measure = [](nn::Evaluation<double>& e) {
      nn::eval::loss_sum<double, L>(nn::LossKind::mse, e.train_outputs(), e.pack().targets(), 10, 1,
                                    e.metric(0));
      nn::eval::loss_sum<double, L>(nn::LossKind::mse, e.outputs(0), e.targets(0), 7, 1,
                                    e.metric(3));
      for (int lane = 0; lane < L; ++lane) {
        e.metric(0)[lane] /= 10;
        e.metric(3)[lane] /= 7;
        e.metric(1)[lane] = static_cast<double>(e.steps());
        e.metric(2)[lane] = static_cast<double>(e.epochs());
      }
    };
  }
  std::vector<nn::ReplicaRun> run(const nn::DriverOptions& options = {}) {
    return nn::train_replicas<double>(plan, hooks, seeds.size(), options);
  }
};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}
bool same_run(const nn::ReplicaRun& a, const nn::ReplicaRun& b) {
  return a.status == b.status && a.reason == b.reason && a.diverged_step == b.diverged_step &&
         a.points == b.points && same_bits(a.curves, b.curves) && same_bits(a.final, b.final);
}

}  // namespace

TEST_CASE("driver: results do not depend on pack size, lane, order or neighbours", "[nn][driver]") {
  Toy toy({11, 12, 13, 14, 15, 16, 17, 18, 19});
  const std::vector<nn::ReplicaRun> reference = toy.run();
  REQUIRE(reference.size() == 9);
  for (const nn::ReplicaRun& r : reference) {
    CHECK(r.status == nn::ReplicaRun::Status::done);
    CHECK(r.points == nn::log_schedule(12, 6));
    CHECK(r.curve(0, 5) < r.curve(0, 0));  // it learns
    for (std::size_t m = 0; m < 4; ++m)
      CHECK(std::memcmp(&r.final[m], &r.curves[m * 6 + 5], 8) == 0);
  }
  CHECK(reference[0].curve(0, 3) != reference[1].curve(0, 3));
  for (std::size_t pack : {1, 2, 3, 5, 16}) {
    nn::DriverOptions options;
    options.pack = pack;
    const auto runs = toy.run(options);
    for (std::size_t r = 0; r < 9; ++r) CHECK(same_run(runs[r], reference[r]));
  }
  Toy reversed({19, 18, 17, 16, 15, 14, 13, 12, 11});
  const auto back = reversed.run();
  for (std::size_t r = 0; r < 9; ++r) CHECK(same_run(back[8 - r], reference[r]));
  Toy alone({15});
  CHECK(same_run(alone.run()[0], reference[4]));
}

TEST_CASE("driver: schedules in epochs and in steps, and every_epoch between points",
          "[nn][driver]") {
  Toy toy({1, 2});
  std::vector<std::int64_t> calls;
  toy.hooks.every_epoch = [&](nn::Evaluation<double>& e) {
    CHECK(e.kind() == nn::Evaluation<double>::Kind::epoch_end);
    calls.push_back(e.position());
  };
  toy.plan.schedule = {nn::Schedule::Unit::epochs, 40, 5, nn::Schedule::Spacing::log};
  const std::vector<std::int64_t> points = nn::log_schedule(40, 5);
  auto runs = toy.run();
  std::vector<std::int64_t> others;
  for (std::int64_t e = 1; e <= 40; ++e)
    if (std::find(points.begin(), points.end(), e) == points.end()) others.push_back(e);
  CHECK(calls == others);
  for (std::size_t i = 0; i < points.size(); ++i) {
    CHECK(runs[0].curve(2, i) == static_cast<double>(points[i]));      // epochs
    CHECK(runs[0].curve(1, i) == static_cast<double>(points[i] * 4));  // 4 steps per epoch
  }
  CHECK(runs[0].steps == 160);
  // Steps, linearly spaced: 0, 10, …, 50; epochs run on across the points (4 steps each).
  toy.plan.schedule = {nn::Schedule::Unit::steps, 50, 6, nn::Schedule::Spacing::linear};
  calls.clear();
  runs = toy.run();
  CHECK(calls.empty());
  CHECK(runs[1].points == std::vector<std::int64_t>{0, 10, 20, 30, 40, 50});
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(runs[1].curve(1, i) == 10.0 * static_cast<double>(i));
    CHECK(runs[1].curve(2, i) == std::floor(10.0 * static_cast<double>(i) / 4));
  }
  // 50 steps counted in steps are 12 epochs and 2 steps: the first 48 steps equal 12 epochs.
  Toy epochs({1, 2});
  epochs.plan.schedule = {nn::Schedule::Unit::epochs, 12, 2, nn::Schedule::Spacing::linear};
  Toy steps({1, 2});
  steps.plan.schedule = {nn::Schedule::Unit::steps, 48, 2, nn::Schedule::Spacing::linear};
  CHECK(same_bits(epochs.run()[1].final, steps.run()[1].final));
}

TEST_CASE("driver: a diverging replica ends diverged with its step, the others unchanged",
          "[nn][driver]") {
  Toy toy({1, 2, 3, 4, 5});
  toy.plan.train.network.activation = nn::parse_activation("identity");
  toy.scale = [](std::size_t r) { return r == 2 ? 1e4 : 1.0; };  // curvature ~1e8: GD explodes
  const auto runs = toy.run();
  const nn::ReplicaRun& wild = runs[2];
  REQUIRE(wild.status == nn::ReplicaRun::Status::diverged);
  CHECK(wild.diverged_step >= 1);
  CHECK(wild.diverged_at == wild.diverged_step / 4 + 1);  // found at the end of its epoch
  CHECK_THAT(wild.reason, Catch::Contains(cat("NaN/inf at step ", wild.diverged_step, " (by epoch ",
                                              wild.diverged_at, ")")));
  // Measured before, NaN from the epoch it was found in on (the step that broke the weights may
  // have been the last of the epoch before: then that point is NaN already).
  CHECK(!std::isnan(wild.curve(0, 0)));
  for (std::size_t i = 0; i < wild.points.size(); ++i)
    if (wild.points[i] >= wild.diverged_at) CHECK(std::isnan(wild.curve(0, i)));
  CHECK(std::isnan(wild.final[0]));
  Toy calm({1, 2, 4, 5});
  calm.plan = toy.plan;
  const auto without = calm.run();
  for (std::size_t r : {0, 1, 3, 4}) {
    CHECK(runs[r].status == nn::ReplicaRun::Status::done);
    CHECK(same_run(runs[r], without[r < 2 ? r : r - 1]));
  }
  // A pack whose replicas all diverge stops early.
  Toy all({3});
  all.plan = toy.plan;
  all.scale = [](std::size_t) { return 1e4; };
  const auto lost = all.run();
  CHECK(lost[0].status == nn::ReplicaRun::Status::diverged);
  CHECK(lost[0].steps < 12 * 4);
}

TEST_CASE("driver: measure() may declare a replica diverged", "[nn][driver]") {
  Toy toy({1, 2, 3});
  const auto plain = toy.hooks.measure;
  toy.hooks.measure = [&](nn::Evaluation<double>& e) {
    plain(e);
    for (int lane = 0; lane < e.real(); ++lane)
      if (e.replica(lane) == 1 && e.point() == 2) e.diverge(lane, "told to");
  };
  const auto runs = toy.run();
  CHECK(runs[0].status == nn::ReplicaRun::Status::done);
  REQUIRE(runs[1].status == nn::ReplicaRun::Status::diverged);
  CHECK(runs[1].reason == "told to");
  CHECK(runs[1].diverged_step == -1);
  CHECK(runs[1].diverged_at == runs[1].points[2]);
  CHECK(std::isfinite(runs[1].curve(0, 1)));
  CHECK(std::isnan(runs[1].curve(0, 2)));
  CHECK(std::isnan(runs[1].curve(0, 5)));
  CHECK(std::isnan(runs[1].final[0]));
}

namespace {

// Plain SGD that raises the cancel flag at its 1000th update.
class Raising final : public nn::Optimizer<double, L> {
 public:
  Raising(int* updates, std::atomic<bool>* cancel)
      : updates_(updates), cancel_(cancel), sgd_(1e-3) {}
  void update(const nn::Layout& layout, double* theta, double* g) override {
    if (++*updates_ == 1000) *cancel_ = true;
    sgd_.update(layout, theta, g);
  }

 private:
  int* updates_;
  std::atomic<bool>* cancel_;
  nn::Sgd<double, L> sgd_;
};

}  // namespace

TEST_CASE("driver: cancellation is read inside a pack; its replicas and the rest are pending",
          "[nn][driver]") {
  std::atomic<bool> cancel{false};
  Toy toy({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  toy.plan.n_train = 10;
  const auto plain = toy.hooks.measure;
  // Raised by the second pack's first evaluation (point 0, before any of its training).
  toy.hooks.measure = [&](nn::Evaluation<double>& e) {
    plain(e);
    if (e.replica(0) == 4 && e.point() == 0) cancel = true;
  };
  nn::RunStats stats;
  nn::DriverOptions options;
  options.cancel = &cancel;
  options.stats = &stats;
  const auto runs = toy.run(options);
  for (std::size_t r = 0; r < 10; ++r) {
    INFO("replica " << r);
    CHECK(runs[r].status ==
          (r < 4 ? nn::ReplicaRun::Status::done : nn::ReplicaRun::Status::pending));
  }
  CHECK(std::isnan(runs[5].curve(0, 0)));  // a cancelled pack hands back nothing measured
  // The first pack trained 12 epochs of 4 steps; the second none.
  CHECK(stats.replica_steps == 48 * L);
  CHECK(stats.packs == 2);
  // One long epoch (100 000 steps of batch 1): the flag, raised by the optimizer at its 1000th
  // update, is read between bounded chunks of steps, not once per epoch.
  cancel = false;
  Toy long_epoch({1});
  long_epoch.plan.n_train = 100000;
  long_epoch.plan.train.optimizer.batch = 1;
  long_epoch.plan.train.optimizer.lr = 1e-3;
  long_epoch.plan.schedule = {nn::Schedule::Unit::epochs, 1, 2, nn::Schedule::Spacing::linear};
  int updates = 0;
  long_epoch.hooks.setup = [&](nn::LaneSetup<double>& lane) {
    for (std::int64_t i = 0; i < 100000; ++i) {
      for (int j = 0; j < 3; ++j) lane.input(i, j) = std::sin(0.1 * static_cast<double>(i * 3 + j));
      lane.target(i, 0) = std::cos(0.01 * static_cast<double>(i));
    }
    lane.pack().set_optimizer(std::make_unique<Raising>(&updates, &cancel));
  };
  long_epoch.hooks.measure = [](nn::Evaluation<double>&) {};
  nn::RunStats long_stats;
  options.stats = &long_stats;
  CHECK(long_epoch.run(options)[0].status == nn::ReplicaRun::Status::pending);
  // Training FLOPs between reads: 2e7 ≈ 6·(31 parameters)·L per step → ~27 000 steps.
  const std::int64_t interval = static_cast<std::int64_t>(2e7 / (6.0 * 31 * L));
  INFO("replica-steps " << long_stats.replica_steps);
  CHECK(long_stats.replica_steps >= 1000 * L);
  CHECK(long_stats.replica_steps <= (1000 + interval) * L);
  CHECK(long_stats.replica_steps < 100000 * L);
}

namespace {

// The exact least-squares fit of a linear model (one layer: w·x + b) on the replica's data, as a
// one-step "second-order polish": Newton on a quadratic.
class LeastSquares final : public nn::Polisher {
 public:
  explicit LeastSquares(const std::vector<Eigen::MatrixXd>* designs,
                        const std::vector<Eigen::VectorXd>* targets)
      : designs_(designs), targets_(targets) {}
  nn::PolishResult polish(std::size_t replica, std::vector<double>& theta) override {
    const Eigen::MatrixXd& a = (*designs_)[replica];
    const Eigen::VectorXd solution = a.colPivHouseholderQr().solve((*targets_)[replica]);
    for (Eigen::Index q = 0; q < solution.size(); ++q)
      theta[static_cast<std::size_t>(q)] = solution[q];
    nn::PolishResult result;
    result.outcome = nn::PolishOutcome::converged;
    result.steps = 1;
    result.gradient_norm =
        (a.transpose() * (a * solution - (*targets_)[replica])).cwiseAbs().maxCoeff();
    return result;
  }

 private:
  const std::vector<Eigen::MatrixXd>* designs_;
  const std::vector<Eigen::VectorXd>* targets_;
};

}  // namespace

TEST_CASE("driver: a polish after training, then the final measurement", "[nn][driver]") {
  Toy toy({1, 2, 3, 4, 5});
  toy.plan.train.network.layers = {{1, true}};  // linear: w·x + b
  toy.plan.schedule = {nn::Schedule::Unit::steps, 6, 2, nn::Schedule::Spacing::linear};
  std::vector<Eigen::MatrixXd> designs(5, Eigen::MatrixXd(10, 4));
  std::vector<Eigen::VectorXd> targets(5, Eigen::VectorXd(10));
  const auto setup = toy.hooks.setup;
  toy.hooks.setup = [&](nn::LaneSetup<double>& lane) {
    setup(lane);
    for (int i = 0; i < 10; ++i) {
      for (int j = 0; j < 3; ++j) designs[lane.replica()](i, j) = lane.input(i, j);
      designs[lane.replica()](i, 3) = 1;
      targets[lane.replica()][i] = lane.target(i, 0);
    }
  };
  const auto plain = toy.hooks.measure;
  toy.hooks.measure = [&](nn::Evaluation<double>& e) {
    plain(e);
    if (e.kind() != nn::Evaluation<double>::Kind::final) return;
    // ‖∇L‖∞ of the engine's own gradient at the polished parameters, in metric 1.
    std::vector<std::int32_t> all(10 * L);
    for (int s = 0; s < 10; ++s)
      for (int lane = 0; lane < L; ++lane) all[static_cast<std::size_t>(s * L + lane)] = s;
    std::vector<double> grad(e.pack().layout().size * L);
    e.pack().gradient(all.data(), 10, grad.data());
    for (int lane = 0; lane < L; ++lane) {
      double largest = 0;
      for (std::size_t q = 0; q < e.pack().layout().size; ++q)
        largest = std::max(largest, std::fabs(grad[q * L + static_cast<std::size_t>(lane)]));
      e.metric(1)[lane] = largest;
    }
  };
  LeastSquares solver(&designs, &targets);
  toy.hooks.polish = &solver;
  const auto runs = toy.run();
  for (std::size_t r = 0; r < 5; ++r) {
    const nn::ReplicaRun& run = runs[r];
    REQUIRE(run.status == nn::ReplicaRun::Status::done);
    REQUIRE(run.polish.has_value());
    CHECK(run.polish->outcome == nn::PolishOutcome::converged);
    CHECK(run.polish->gradient_norm < 1e-12);
    // The final loss is the least-squares residual, below the last training point's.
    const Eigen::VectorXd residual =
        designs[r] * designs[r].colPivHouseholderQr().solve(targets[r]) - targets[r];
    CHECK(run.final[0] == Approx(residual.squaredNorm() / 10).epsilon(1e-12));
    CHECK(run.final[0] < run.curve(0, 1));
    CHECK(run.final[1] < 1e-12);  // the engine's gradient vanishes there
    CHECK(run.curve(1, 1) == 6);  // curves keep the training points
  }
}
