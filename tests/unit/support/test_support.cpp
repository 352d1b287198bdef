// support: the checks of EXPERIMENTS.md §3 (V-B1..V-B6 of papers_AB.md B.7) on seeds 0..9; the
// mlp's data, optimizer steps and gradients against a plain scalar second implementation and
// finite differences; metric definitions on hand-made weights; the shared initialisation of the
// optimizer variants of a seed; the toy's exact law; run() pure (same bits for every pack size).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

#include "nnsweep/core/error.hpp"
#include "nnsweep/experiments/support.hpp"
#include "nnsweep/nn/random.hpp"

using namespace nnsweep;
using namespace nnsweep::experiments;
namespace sp = nnsweep::experiments::support;

namespace {

const Experiment& experiment() {
  return support_experiment();
}

// The defaults with `overrides` (name, text) parsed as a spec would, then resolved.
config::ParamSet params(const std::vector<std::pair<std::string, std::string>>& overrides = {}) {
  const config::Schema& schema = experiment().schema();
  std::vector<config::Value> values;
  for (const config::ParamSpec& spec : schema.params()) {
    std::string text = spec.default_value;
    for (const auto& [name, value] : overrides)
      if (name == spec.name) text = value;
    values.push_back(config::parse_value(spec, text));
  }
  config::ParamSet set(schema, values);
  experiment().resolve(set);
  return set;
}

std::vector<Replica> seeds(const config::ParamSet& base, std::int64_t first, std::int64_t count,
                           std::uint64_t sweep_seed = 2024) {
  std::vector<Replica> out;
  config::ParamSet p = base;
  for (std::int64_t s = first; s < first + count; ++s) {
    p.set("seed", s);
    out.push_back(make_replica(experiment(), sweep_seed, p));
  }
  return out;
}

std::vector<TaskResult> run(const config::ParamSet& p, std::int64_t first, std::int64_t count,
                            std::size_t pack = 0) {
  RunOptions options;
  options.pack = pack;
  return sp::train(sp::problem_of(p), seeds(p, first, count), options);
}

bool same_bits(const std::vector<TaskResult>& a, const std::vector<TaskResult>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto &x = a[i].row.data().numbers, &y = b[i].row.data().numbers;
    if (a[i].status != b[i].status || x.size() != y.size() ||
        std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) != 0)
      return false;
  }
  return true;
}

// A plain scalar bias-free MLP (the second implementation): θ in nn::Layout order, W1 (H × d),
// W2 … W_depth (H × H), the output row (H).
struct Mlp {
  std::int64_t d, width, depth;
  bool relu;

  std::size_t offset(std::int64_t layer) const {
    return layer == 0 ? 0 : static_cast<std::size_t>(width * d + (layer - 1) * width * width);
  }
  std::int64_t fan_in(std::int64_t layer) const { return layer == 0 ? d : width; }
  std::int64_t rows(std::int64_t layer) const { return layer == depth ? 1 : width; }

  // Output, and the pre-activations z[l] and inputs a[l] of every layer.
  double forward(const std::vector<double>& theta, const double* x,
                 std::vector<std::vector<double>>& a, std::vector<std::vector<double>>& z) const {
    a.assign(static_cast<std::size_t>(depth + 1), {});
    z.assign(static_cast<std::size_t>(depth + 1), {});
    a[0].assign(x, x + d);
    for (std::int64_t l = 0; l <= depth; ++l) {
      const auto L = static_cast<std::size_t>(l);
      z[L].assign(static_cast<std::size_t>(rows(l)), 0.0);
      for (std::int64_t i = 0; i < rows(l); ++i)
        for (std::int64_t j = 0; j < fan_in(l); ++j)
          z[L][static_cast<std::size_t>(i)] +=
              theta[offset(l) + static_cast<std::size_t>(i * fan_in(l) + j)] *
              a[L][static_cast<std::size_t>(j)];
      if (l < depth) {
        a[L + 1] = z[L];
        if (relu)
          for (double& v : a[L + 1]) v = v > 0 ? v : 0;
      }
    }
    return z[static_cast<std::size_t>(depth)][0];
  }

  // Gradient of the mean over `samples` of (f(x) − y)².
  std::vector<double> gradient(const std::vector<double>& theta, const std::vector<double>& x,
                               const std::vector<double>& y,
                               const std::vector<std::int64_t>& samples) const {
    std::vector<double> g(theta.size(), 0.0);
    std::vector<std::vector<double>> a, z;
    for (const std::int64_t s : samples) {
      const double out = forward(theta, &x[static_cast<std::size_t>(s * d)], a, z);
      std::vector<double> delta = {2 * (out - y[static_cast<std::size_t>(s)]) /
                                   static_cast<double>(samples.size())};
      for (std::int64_t l = depth; l >= 0; --l) {
        const auto L = static_cast<std::size_t>(l);
        for (std::int64_t i = 0; i < rows(l); ++i)
          for (std::int64_t j = 0; j < fan_in(l); ++j)
            g[offset(l) + static_cast<std::size_t>(i * fan_in(l) + j)] +=
                delta[static_cast<std::size_t>(i)] * a[L][static_cast<std::size_t>(j)];
        if (l == 0) break;
        std::vector<double> below(static_cast<std::size_t>(fan_in(l)), 0.0);
        for (std::int64_t j = 0; j < fan_in(l); ++j) {
          for (std::int64_t i = 0; i < rows(l); ++i)
            below[static_cast<std::size_t>(j)] +=
                theta[offset(l) + static_cast<std::size_t>(i * fan_in(l) + j)] *
                delta[static_cast<std::size_t>(i)];
          if (relu && !(z[L - 1][static_cast<std::size_t>(j)] > 0))
            below[static_cast<std::size_t>(j)] = 0;
        }
        delta = below;
      }
    }
    return g;
  }

  double mse(const std::vector<double>& theta, const std::vector<double>& x,
             const std::vector<double>& y) const {
    std::vector<std::vector<double>> a, z;
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double r = forward(theta, &x[i * static_cast<std::size_t>(d)], a, z) - y[i];
      s += r * r;
    }
    return s / static_cast<double>(y.size());
  }
};

// The training set of an mlp problem as the network sees it: N = 2n rows and labels.
void training_set(const sp::Problem& p, const sp::Data& data, std::vector<double>& x,
                  std::vector<double>& y) {
  x.clear();
  y.clear();
  for (std::int64_t s = 0; s < p.points(); ++s) {
    const std::int64_t i = s % p.n_train;
    x.insert(x.end(), data.x.begin() + i * p.d, data.x.begin() + (i + 1) * p.d);
    y.push_back(data.label(s, p.n_train));
  }
}

// θ after each step (the observer at every step: log_points > steps) of replica 0.
std::vector<std::vector<double>> trajectory(const config::ParamSet& p, const Replica& replica) {
  std::vector<std::vector<double>> out;
  const sp::Observer observer = [&](const sp::Observation& o) {
    REQUIRE(o.step == static_cast<std::int64_t>(out.size()));
    out.push_back(o.theta);
  };
  sp::train(sp::problem_of(p), {replica}, {}, observer);
  return out;
}

double max_relative(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t q = 0; q < a.size(); ++q)
    worst = std::max(worst, std::fabs(a[q] - b[q]) / std::max(1.0, std::fabs(b[q])));
  return worst;
}

#if defined(__OPTIMIZE__)
constexpr std::int64_t check_seeds = 10;
#else
constexpr std::int64_t check_seeds = 2;
#endif

}  // namespace

TEST_CASE("first-layer metrics and stable rank on hand-made weights", "[support]") {
  // W1 (2 × 3), r = 2: columns (3, 4), (0, 1), (2, 0): norms 5, 1, 2.
  const std::vector<double> w = {3, 0, 2, 4, 1, 0};
  const sp::FirstLayer f = sp::first_layer(w.data(), 2, 3, 2);
  CHECK(f.irrelevant == 2);
  CHECK(f.relevant == Approx(std::sqrt(26.0)).epsilon(1e-15));
  CHECK(f.support_ratio == 2);  // max irrelevant 2 / min relevant 1
  CHECK(std::isnan(sp::first_layer(w.data(), 2, 3, 3).support_ratio));
  CHECK(sp::first_layer(w.data(), 2, 3, 0).irrelevant == Approx(std::sqrt(30.0)).epsilon(1e-15));
  // diag(3, 1) rotated: stable rank (9 + 1)/9 whatever the rotation; rank one: 1.
  const double c = std::cos(0.3), s = std::sin(0.3);
  const std::vector<double> m = {3 * c, -3 * s, 1 * s, 1 * c};
  CHECK(sp::stable_rank(m.data(), 2, 2) == Approx(10.0 / 9).epsilon(1e-14));
  const std::vector<double> one = {1, 2, 3, 2, 4, 6};
  CHECK(sp::stable_rank(one.data(), 2, 3) == Approx(1).epsilon(1e-14));
}

TEST_CASE("data: duplicated points with labels f ± ε, irrelevant inputs centred, three targets",
          "[support]") {
  for (const char* target : {"linear", "sine", "staircase"}) {
    const config::ParamSet p = params({{"n_train", "50"},
                                       {"d", "6"},
                                       {"relevant", "3"},
                                       {"target", target},
                                       {"label_noise", "0.01"}});
    const sp::Problem problem = sp::problem_of(p);
    const sp::Data data = sp::make_data(problem, seeds(p, 3, 1).front());
    REQUIRE(data.x.size() == 300);
    for (std::size_t j = 3; j < 6; ++j) {  // centred columns
      double mean = 0;
      for (std::size_t i = 0; i < 50; ++i) mean += data.x[i * 6 + j];
      CHECK(std::fabs(mean / 50) < 1e-15);
    }
    double eps2 = 0;
    for (std::size_t i = 0; i < 50; ++i) {
      const double* x = &data.x[i * 6];
      const double sum = x[0] + x[1] + x[2];
      const double f = std::string(target) == "linear" ? sum
                       : std::string(target) == "sine" ? std::sin(sum)
                                                       : x[0] + x[1] * x[1] + x[2] * x[2] * x[2];
      CHECK(data.f[i] == Approx(f).epsilon(1e-14));
      CHECK(data.label(static_cast<std::int64_t>(i), 50) == data.f[i] + data.eps[i]);
      CHECK(data.label(static_cast<std::int64_t>(i) + 50, 50) == data.f[i] - data.eps[i]);
      eps2 += data.eps[i] * data.eps[i];
    }
    // ε ~ N(0, 0.01²): the sample variance of 50 draws within 4.5 standard errors.
    CHECK(std::fabs(eps2 / 50 / 1e-4 - 1) < 4.5 * std::sqrt(2.0 / 50));
  }
}

TEST_CASE("mlp steps equal a plain scalar SGD: reshuffle, last partial batch, clipping, decay",
          "[support]") {
  // N = 10 points, b = 4: batches of 4, 4, 2 per epoch, 8 steps span three epochs.
  for (const char* activation : {"identity", "relu"})
    for (const char* clip : {"0", "0.5"})
      for (const char* wd : {"0", "0.1"}) {
        INFO(activation << " clip " << clip << " wd " << wd);
        const config::ParamSet p = params({{"n_train", "5"},
                                           {"d", "4"},
                                           {"relevant", "2"},
                                           {"width", "3"},
                                           {"depth", "2"},
                                           {"activation", activation},
                                           {"batch", "4"},
                                           {"steps", "8"},
                                           {"log_points", "100"},
                                           {"lr", "0.05"},
                                           {"clip", clip},
                                           {"wd", wd}});
        const sp::Problem problem = sp::problem_of(p);
        const Replica replica = seeds(p, 1, 1).front();
        const auto engine = trajectory(p, replica);
        REQUIRE(engine.size() == 9);
        std::vector<double> x, y;
        training_set(problem, sp::make_data(problem, replica), x, y);
        const Mlp mlp{4, 3, 2, std::string(activation) == "relu"};
        std::vector<double> theta = engine[0];
        rng::Stream order_stream = replica.stream(rng::Purpose::batch_order, 1);
        std::vector<std::int32_t> order(10);
        bool clipped = false;
        for (std::int64_t t = 0; t < 8; ++t) {
          const std::int64_t position = t % 3;  // steps per epoch: 3
          if (position == 0) {
            std::iota(order.begin(), order.end(), 0);
            nn::shuffle(order.data(), 10, order_stream);
          }
          std::vector<std::int64_t> batch;
          for (std::int64_t s = position * 4; s < std::min<std::int64_t>(10, position * 4 + 4); ++s)
            batch.push_back(order[static_cast<std::size_t>(s)]);
          CHECK(batch.size() == (position == 2 ? 2U : 4U));
          std::vector<double> g = mlp.gradient(theta, x, y, batch);
          double norm2 = 0;
          for (const double v : g) norm2 += v * v;
          const double limit = std::stod(clip);
          if (limit > 0 && std::sqrt(norm2) > limit) {
            clipped = true;
            for (double& v : g) v *= limit / (std::sqrt(norm2) + 1e-6);
          }
          for (std::size_t q = 0; q < g.size(); ++q)
            theta[q] -= 0.05 * (g[q] + std::stod(wd) * theta[q]);
          CHECK(max_relative(engine[static_cast<std::size_t>(t) + 1], theta) < 1e-13);
        }
        if (std::stod(clip) > 0) CHECK(clipped);  // the clipping branch was exercised
      }
}

TEST_CASE("full-batch GD: batch = full, = N and > N give the same bits, in index order",
          "[support]") {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"n_train", "20"}, {"steps", "30"}, {"log_points", "5"},
      {"width", "5"},    {"d", "4"},      {"relevant", "2"}};
  auto with = [&](const char* batch) {
    auto o = base;
    o.emplace_back("batch", batch);
    return params(o);
  };
  CHECK(with("full").integer("batch") == 40);
  const auto full = run(with("full"), 0, 3), n = run(with("40"), 0, 3),
             more = run(with("1000"), 0, 3);
  CHECK(same_bits(full, n));
  CHECK(same_bits(full, more));
  // One GD step against the scalar reference over all N points (index order: no stream needed).
  auto o = base;
  o.emplace_back("batch", "full");
  o.emplace_back("steps", "1");
  o.emplace_back("clip", "0");
  const config::ParamSet p = params(o);
  const sp::Problem problem = sp::problem_of(p);
  const Replica replica = seeds(p, 2, 1).front();
  const auto engine = trajectory(p, replica);
  std::vector<double> x, y;
  training_set(problem, sp::make_data(problem, replica), x, y);
  std::vector<std::int64_t> all(40);
  std::iota(all.begin(), all.end(), 0);
  const Mlp mlp{4, 5, 3, false};
  const std::vector<double> g = mlp.gradient(engine[0], x, y, all);
  std::vector<double> theta = engine[0];
  for (std::size_t q = 0; q < g.size(); ++q) theta[q] -= 0.1 * g[q];
  CHECK(max_relative(engine[1], theta) < 1e-13);
}

TEST_CASE("the engine's gradient for this network matches finite differences", "[support]") {
  for (const char* activation : {"identity", "relu"}) {
    INFO(activation);
    // One unclipped GD step from θ0: (θ0 − θ1)/η is the engine's full-batch gradient.
    const double lr = 1e-3;
    const config::ParamSet p = params({{"n_train", "30"},
                                       {"d", "5"},
                                       {"relevant", "2"},
                                       {"width", "4"},
                                       {"depth", "3"},
                                       {"activation", activation},
                                       {"batch", "full"},
                                       {"steps", "1"},
                                       {"clip", "0"},
                                       {"lr", "0.001"}});
    const sp::Problem problem = sp::problem_of(p);
    const Replica replica = seeds(p, 4, 1).front();
    const auto engine = trajectory(p, replica);
    std::vector<double> x, y;
    training_set(problem, sp::make_data(problem, replica), x, y);
    const Mlp mlp{5, 4, 3, std::string(activation) == "relu"};
    double worst = 0, scale = 0;
    for (std::size_t q = 0; q < engine[0].size(); ++q) {
      const double h = 1e-6;
      std::vector<double> plus = engine[0], minus = engine[0];
      plus[q] += h;
      minus[q] -= h;
      const double fd = (mlp.mse(plus, x, y) - mlp.mse(minus, x, y)) / (2 * h);
      const double g = (engine[0][q] - engine[1][q]) / lr;
      worst = std::max(worst, std::fabs(g - fd));
      scale = std::max(scale, std::fabs(fd));
    }
    CHECK(scale > 0.01);  // a gradient worth comparing
    CHECK(worst < 1e-6 * scale);
  }
}

TEST_CASE("the optimizer variants of a seed share their initial weights and data", "[support]") {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"n_train", "20"}, {"steps", "3"}, {"log_points", "10"},
      {"width", "6"},    {"d", "5"},     {"relevant", "2"}};
  const auto start = [&](std::vector<std::pair<std::string, std::string>> extra,
                         std::int64_t seed = 3) {
    auto o = base;
    o.insert(o.end(), extra.begin(), extra.end());
    const config::ParamSet p = params(o);
    const Replica replica = seeds(p, seed, 1).front();
    const sp::Problem problem = sp::problem_of(p);
    std::vector<double> x, y;
    training_set(problem, sp::make_data(problem, replica), x, y);
    auto t = trajectory(p, replica);
    return std::make_tuple(t.front(), x, y, t.back());
  };
  const auto reference = start({});
  const std::vector<std::vector<std::pair<std::string, std::string>>> variants = {
      {{"batch", "1"}},      {{"batch", "full"}},     {{"batch", "64"}, {"lr", "0.2"}},
      {{"wd", "0.1"}},       {{"clip", "0"}},         {{"lr", "0.01"}, {"steps", "5"}},
      {{"batch_seed", "7"}}, {{"precision", "float"}}};
  for (const auto& variant : variants) {
    INFO(variant.front().first << " = " << variant.front().second);
    const auto other = start(variant);
    if (variant.front().first == "precision") {  // the same normals, rounded to float
      for (std::size_t q = 0; q < std::get<0>(reference).size(); ++q)
        CHECK(std::get<0>(other)[q] ==
              static_cast<double>(static_cast<float>(std::get<0>(reference)[q])));
      continue;
    }
    CHECK(std::get<0>(other) == std::get<0>(reference));  // bitwise: initial θ
    CHECK(std::get<1>(other) == std::get<1>(reference));  // inputs
    CHECK(std::get<2>(other) == std::get<2>(reference));  // labels
  }
  // batch_seed changes the batch order alone: same start, another trajectory.
  CHECK(std::get<3>(start({{"batch_seed", "7"}})) != std::get<3>(reference));
  // Controls: another seed, width or d changes the initial weights (and seed or d the data).
  const auto seed = start({}, 4), width = start({{"width", "7"}}), d = start({{"d", "6"}});
  CHECK(std::get<0>(seed) != std::get<0>(reference));
  CHECK(std::get<1>(seed) != std::get<1>(reference));
  CHECK(std::get<0>(width) != std::get<0>(reference));
  CHECK(std::get<0>(width).size() != std::get<0>(reference).size());
  std::vector<double> first(std::get<0>(width).begin(), std::get<0>(width).begin() + 30);
  CHECK(first !=
        std::vector<double>(std::get<0>(reference).begin(), std::get<0>(reference).begin() + 30));
  CHECK(std::get<1>(d) != std::get<1>(reference));
  // Labels follow the target, inputs do not.
  const auto sine = start({{"target", "sine"}});
  CHECK(std::get<1>(sine) == std::get<1>(reference));
  CHECK(std::get<2>(sine) != std::get<2>(reference));
}

TEST_CASE("run() gives the same bits for every pack size and replica order", "[support]") {
  for (const char* precision : {"double", "float"}) {
    const config::ParamSet p = params({{"n_train", "40"},
                                       {"steps", "200"},
                                       {"log_points", "8"},
                                       {"batch", "3"},
                                       {"precision", precision}});
    const auto reference = run(p, 0, 10, 1);
    for (const std::size_t pack : {2, 3, 8, 16}) CHECK(same_bits(run(p, 0, 10, pack), reference));
    const auto later = run(p, 5, 5);
    CHECK(same_bits(later, std::vector<TaskResult>(reference.begin() + 5, reference.end())));
  }
}

TEST_CASE("cancellation returns pending tasks", "[support]") {
  const std::atomic<bool> cancel{true};
  for (const char* model : {"mlp", "toy"}) {
    const config::ParamSet p = params({{"model", model}, {"n_train", "40"}, {"steps", "20"}});
    RunOptions options;
    options.cancel = &cancel;
    const auto results = sp::train(sp::problem_of(p), seeds(p, 0, 3), options);
    for (const TaskResult& r : results) CHECK(r.status == Status::pending);
  }
}

TEST_CASE("invalid parameters are config errors that name the fix", "[support]") {
  CHECK_THROWS_WITH(params({{"relevant", "16"}}), Catch::Contains("relevant <= d"));
  CHECK_THROWS_WITH(params({{"model", "toy"}, {"precision", "float"}}),
                    Catch::Contains("precision = double"));
  CHECK_THROWS_WITH(params({{"batch", "ful"}}), Catch::Contains("or full"));
  CHECK_THROWS_AS(params({{"batch", "0"}}), config_error);
  CHECK(params({{"model", "toy"}, {"n_train", "100"}, {"batch", "full"}}).integer("batch") == 100);
}

TEST_CASE("toy: the exact law D' = D((1 − η wd)² − 4η²c²m²) with clipping and decay", "[support]") {
  for (const auto& [clip, wd] : std::vector<std::pair<const char*, const char*>>{
           {"0", "0"}, {"0.5", "0"}, {"0", "0.3"}, {"2", "0.1"}}) {
    INFO("clip " << clip << " wd " << wd);
    const config::ParamSet p = params({{"model", "toy"},
                                       {"n_train", "100"},
                                       {"lr", "0.008"},
                                       {"batch", "10"},
                                       {"clip", clip},
                                       {"wd", wd},
                                       {"steps", "3000"}});
    const sp::Problem problem = sp::problem_of(p);
    const Replica replica = seeds(p, 0, 1).front();
    const sp::ToyData data = sp::make_toy_data(problem, replica);
    double square = 0, mean = 0;
    for (const double x : data.x) {
      square += x * x;
      mean += x;
    }
    CHECK(square / 100 == Approx(1).epsilon(1e-14));
    CHECK(data.y * mean / 100 == Approx(1).epsilon(1e-14));
    CHECK(std::fabs(mean / 100) >= sp::toy_min_mean);
    const sp::ToyRun toy = sp::run_toy(problem, data, replica);
    CHECK(toy.law_error < 1e-12);
    CHECK(toy.gap.front() == 12);
  }
}

TEST_CASE("toy: GD keeps D, SGD b = 10 shrinks it; the η/b law of the decay rate (V-B5, V-B6)",
          "[support]") {
  const auto toy = [](std::vector<std::pair<std::string, std::string>> extra) {
    std::vector<std::pair<std::string, std::string>> o = {
        {"model", "toy"}, {"n_train", "100"}, {"lr", "0.008"}, {"clip", "0"}, {"steps", "550"}};
    for (const auto& e : extra) {
      o.erase(std::remove_if(o.begin(), o.end(), [&](const auto& x) { return x.first == e.first; }),
              o.end());
      o.push_back(e);
    }
    return params(o);
  };
  const auto gd = run(toy({{"batch", "full"}}), 0, 10), sgd = run(toy({{"batch", "10"}}), 0, 10);
  int small = 0;
  for (std::size_t s = 0; s < 10; ++s) {
    CHECK(gd[s].row.number("toy_gap") >= 11.5);
    CHECK(gd[s].row.number("toy_law_error") < 1e-12);
    CHECK(sgd[s].row.number("toy_law_error") < 1e-12);
    small += sgd[s].row.number("toy_gap") <= 8.5 ? 1 : 0;
  }
  CHECK(small >= 8);
  // GD + wd 1.0 drives D to 0 (V-B5).
  const auto decay = run(toy({{"batch", "full"}, {"wd", "1"}}), 0, 3);
  for (const auto& r : decay) CHECK(std::fabs(r.row.number("toy_gap")) <= 0.01);
  // The η/b law: burn-in 2000 steps, rate over the next 2000, per seed and b ∈ {5, 10, 20, 50}.
  for (const char* lr : {"0.002", "0.004"})
    for (const char* b : {"5", "10", "20", "50"}) {
      const auto results = run(toy({{"lr", lr}, {"batch", b}, {"steps", "4000"}}), 0, 10);
      double sum = 0, sum2 = 0;
      for (const auto& r : results) {
        const double ratio = r.row.number("decay_rate") / r.row.number("theory_decay_rate");
        INFO("lr " << lr << " b " << b << " ratio " << ratio);
        CHECK(ratio >= 0.85);
        CHECK(ratio <= 1.25);
        CHECK(r.row.number("toy_law_error") < 1e-12);
        sum += ratio;
        sum2 += ratio * ratio;
      }
      // The mean ratio over the seeds: 1 + O(η), within 3 standard errors of [0.95, 1.15].
      const double mean = sum / 10, se = std::sqrt((sum2 / 10 - mean * mean) / 9);
      INFO("lr " << lr << " b " << b << " mean ratio " << mean << " ± " << se);
      CHECK(mean + 3 * se >= 0.95);
      CHECK(mean - 3 * se <= 1.15);
    }
}

TEST_CASE("EXPERIMENTS.md §3 checks on seeds 0..9 (V-B1 to V-B4, B-small)", "[support][slow]") {
  const std::vector<std::pair<std::string, std::string>> small = {{"n_train", "500"},
                                                                  {"log_points", "20"}};
  const auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto o = small;
    o.insert(o.end(), extra.begin(), extra.end());
    return run(params(o), 0, check_seeds);
  };
  const auto gd = with({{"batch", "full"}, {"steps", "3000"}});
  const auto b1 = with({{"batch", "1"}, {"steps", "30000"}});
  const auto b8 = with({{"batch", "8"}, {"steps", "30000"}});
  const auto b64 = with({{"batch", "64"}, {"steps", "30000"}});
  const auto wd = with({{"batch", "full"}, {"steps", "1000"}, {"wd", "0.1"}});
  int above = 0;
  for (std::size_t s = 0; s < static_cast<std::size_t>(check_seeds); ++s) {
    const double r_gd = gd[s].row.number("rho"), r1 = b1[s].row.number("rho"),
                 r8 = b8[s].row.number("rho"), r64 = b64[s].row.number("rho"),
                 r_wd = wd[s].row.number("rho");
    INFO("seed " << s << ": rho GD " << r_gd << ", b1 " << r1 << ", b8 " << r8 << ", b64 " << r64
                 << ", GD+wd " << r_wd);
    CHECK(r_gd >= 0.75);  // V-B1
    CHECK(r1 <= 0.30);    // V-B2
    CHECK(r8 <= 0.45);
    CHECK(r1 < r8);  // V-B3
    CHECK(r8 < r64);
    CHECK(r64 < r_gd);
    CHECK(r_wd <= 0.01);  // V-B4
    CHECK(gd[s].row.number("mse") <= 0.1);
    CHECK(wd[s].row.number("mse") <= 0.1);
    for (const auto* sgd : {&b1, &b8, &b64}) {
      CHECK((*sgd)[s].row.number("mse") <= 0.5);
      above += (*sgd)[s].row.number("mse") > 0.1 ? 1 : 0;
    }
    // Support recovered by b = 1 (S small) and not by GD; the Gram matrix's irrelevant block.
    CHECK(b1[s].row.number("support_ratio") < gd[s].row.number("support_ratio"));
    CHECK(gd[s].row.number("stable_rank", 0) > 0);
  }
  // b = 1 oscillates: a final MSE above 0.1 in about 19 % of snapshots; not most of them.
  CHECK(above <= check_seeds);
}
