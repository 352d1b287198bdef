// The correlations samplers against the exact and leading-order laws (EXPERIMENTS.md §1 test
// vectors), against each other (two-sample z-tests), and their determinism. Monte Carlo bounds
// are 3σ of the standard error each estimate computes.
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "correlations_test_support.hpp"

using namespace correlations_test;
using nnsweep::experiments::RunOptions;
using nnsweep::experiments::Status;
using nnsweep::experiments::correlations::accumulate;
using nnsweep::experiments::correlations::estimate;
namespace corr = nnsweep::experiments::correlations;

namespace {

std::string sampler_name(Sampler s) {
  return s == Sampler::exact_chain ? "exact_chain" : "full_network";
}

// Means (with sem) of observables `which` for the task.
std::vector<Estimate> observable_means(const Problem& p, std::uint64_t key,
                                       const std::vector<std::size_t>& which) {
  nnsweep::stats::CoMoments m;
  REQUIRE(accumulate(p, replica(key), RunOptions{}, m));
  std::vector<Estimate> out;
  out.reserve(which.size());
  for (const std::size_t i : which) out.push_back(nnsweep::stats::mean_of(m, i));
  return out;
}

const std::vector<std::size_t> chain_observables = {
    corr::obs_s, corr::obs_s2, corr::obs_t11, corr::obs_t11_sq, corr::obs_tr_r, corr::obs_grad4};

}  // namespace

TEST_CASE("ReLU at widths 32x4: exact finite-width moments (E-V1, E-V2)", "[correlations]") {
  for (const Sampler sampler : {Sampler::exact_chain, Sampler::full_network}) {
    INFO("sampler " << sampler_name(sampler));
    const TaskResult small = estimate(relu_32x4(sampler, 20000), replica(1), {});
    REQUIRE(small.status == Status::done);
    const Estimate r4 = metric(small, "r4"), k2 = metric(small, "k2"), g2 = metric(small, "g2");
    CHECK(std::fabs(r4.value - 1.787339) < 3 * r4.sem);  // Π(1 + 5/32)⁴
    CHECK(3 * r4.sem <= 0.051 * 1.3);                    // the stated tolerance is achieved
    CHECK(std::fabs(k2.value - 2) < 3 * k2.sem);
    CHECK(3 * k2.sem <= 0.038 * 1.3);
    CHECK(std::fabs(g2.value - 2) < 3 * g2.sem);
    CHECK(3 * g2.sem <= 0.055 * 1.3);
    const Estimate kappa4 = metric(small, "kappa4");
    CHECK(kappa4.value == Approx(r4.value - 1).margin(1e-12));
    const TaskResult large = estimate(relu_32x4(sampler, 40000), replica(2), {});
    const Estimate g4 = metric(large, "g4_ratio"), dz2 = metric(large, "dz2"),
                   rv4 = metric(large, "rv4");
    CHECK(std::fabs(g4.value - 2.68101) < 3 * g4.sem);  // (1 + 2/n0)Π(1 + 5/n)
    CHECK(3 * g4.sem <= 0.13 * 1.3);
    CHECK(std::fabs(dz2.value - 0.5) < 3 * dz2.sem);  // C_W/n0
    CHECK(3 * dz2.sem <= 0.016 * 1.3);
    CHECK(std::fabs(rv4.value - 1.787339) < 3 * rv4.sem);
    // The raw output estimators estimate the same r4 and kappa4, less precisely.
    const Estimate z4 = metric(large, "z4_ratio"), corr22 = metric(large, "corr22");
    CHECK(std::fabs(z4.value - 1.787339) < 3 * z4.sem);
    CHECK(std::fabs(corr22.value - 0.787339) < 3 * corr22.sem);
    CHECK(z4.sem > 2 * metric(large, "r4").sem);  // Rao–Blackwellisation pays
  }
}

TEST_CASE("ReLU with a wide input (n0 = 100): exact moments, Bartlett factor of 5050 normals",
          "[correlations]") {
  // k = 1 + n0 = 101 rows: one Bartlett factor draws k(k−1)/2 = 5050 normals, more than the
  // per-chunk buffer of 32·k holds (a heap overflow before it was sized for both).
  for (const Sampler sampler : {Sampler::exact_chain, Sampler::full_network}) {
    INFO("sampler " << sampler_name(sampler));
    Problem p = make_problem("relu", {16, 16}, 2, sampler, 4000);
    p.n0 = 100;
    p.x_norm2 = 100;
    const TaskResult r = estimate(p, replica(11), {});
    REQUIRE(r.status == Status::done);
    const double r4_exact = (1 + 5.0 / 16) * (1 + 5.0 / 16);
    const Estimate r4 = metric(r, "r4"), g4 = metric(r, "g4_ratio"), dz2 = metric(r, "dz2");
    CHECK(std::fabs(r4.value - r4_exact) < 3 * r4.sem);
    CHECK(std::fabs(g4.value - (1 + 2.0 / 100) * r4_exact) < 3 * g4.sem);
    CHECK(std::fabs(dz2.value - 2.0 / 100) < 3 * dz2.sem);  // C_W/n0
    CHECK(r4.sem < 0.05);
  }
}

TEST_CASE("tanh at criticality, widths 64x4: leading-order kappa4 and the NLO shift of k2 (E-V3)",
          "[correlations]") {
  for (const Sampler sampler : {Sampler::exact_chain, Sampler::full_network}) {
    INFO("sampler " << sampler_name(sampler));
    const TaskResult r = estimate(tanh_64x4(sampler, 20000), replica(3), {});
    REQUIRE(r.status == Status::done);
    const Estimate kappa4 = metric(r, "kappa4"), k2 = metric(r, "k2");
    CHECK(std::fabs(kappa4.value - 0.03763) < 0.0022);
    CHECK(3 * kappa4.sem <= 0.0022);  // the tolerance covers at least the statistical error
    CHECK(std::fabs(k2.value - 0.12684) < 0.0006);
    CHECK(std::fabs(k2.value - 0.12790) > 0.0006);  // K_LO is excluded: the 1/n shift is resolved
    CHECK(3 * k2.sem < 0.0006);
  }
}

TEST_CASE("exact_chain and full_network agree on k2 and mean(s^2) (E-V4)", "[correlations]") {
  for (const bool relu : {true, false}) {
    INFO((relu ? "relu" : "tanh"));
    const auto problem = [&](Sampler s) {
      return relu ? relu_32x4(s, 20000) : tanh_64x4(s, 20000);
    };
    const auto chain =
        observable_means(problem(Sampler::exact_chain), 10, {corr::obs_s, corr::obs_s2});
    const auto net =
        observable_means(problem(Sampler::full_network), 11, {corr::obs_s, corr::obs_s2});
    CHECK(two_sample_z(chain[0], net[0]) < 3);
    CHECK(two_sample_z(chain[1], net[1]) < 3);
  }
}

TEST_CASE("the Wishart collapse has the law of the unit-by-unit chain", "[correlations]") {
  struct Case {
    const char* activation;
    double cw, cb;
  };
  // leaky_relu with α = 0.1 at its critical C_W; relu with biases (T is then non-singular).
  for (const Case c : {Case{"relu", 2, 0}, Case{"leaky_relu", 2 / 1.01, 0}, Case{"relu", 2, 0.3}}) {
    INFO(c.activation << " cb = " << c.cb);
    Problem p = make_problem(c.activation, {16, 24, 8}, c.cw, Sampler::exact_chain, 20000);
    p.cb = c.cb;
    const auto collapsed = observable_means(p, 20, chain_observables);
    p.collapse = false;
    const auto generic = observable_means(p, 21, chain_observables);
    for (std::size_t i = 0; i < chain_observables.size(); ++i) {
      INFO("observable " << chain_observables[i]);
      CHECK(two_sample_z(collapsed[i], generic[i]) < 3);
    }
  }
}

TEST_CASE("leaky ReLU and linear nets: r4 = prod(1 + c(alpha)/n_l)", "[correlations]") {
  for (const double alpha : {0.1, 0.5, 1.0}) {
    INFO("alpha " << alpha);
    Problem p = make_problem(alpha == 1 ? "linear" : "leaky_relu", {12, 20, 16},
                             2 / (1 + alpha * alpha), Sampler::exact_chain, 20000);
    p.activation.alpha = alpha == 1 ? 0 : alpha;
    const double c = 6 * (1 + std::pow(alpha, 4)) / std::pow(1 + alpha * alpha, 2) - 1;
    double product = 1;
    for (const auto n : p.widths) product *= 1 + c / static_cast<double>(n);
    const TaskResult r = estimate(p, replica(30), {});
    const Estimate r4 = metric(r, "r4"), k2 = metric(r, "k2");
    CHECK(std::fabs(r4.value - product) < 3 * r4.sem);
    CHECK(std::fabs(k2.value - p.cw * p.x_norm2 / 4 * std::pow(p.cw * (1 + alpha * alpha) / 2, 3)) <
          3 * k2.sem);
  }
}

TEST_CASE("float and double kernels are statistically equal", "[correlations]") {
  for (const Sampler sampler : {Sampler::exact_chain, Sampler::full_network}) {
    INFO("sampler " << sampler_name(sampler));
    Problem p =
        sampler == Sampler::exact_chain ? tanh_64x4(sampler, 20000) : relu_32x4(sampler, 20000);
    const TaskResult d = estimate(p, replica(40), {});
    p.single_precision = true;
    const TaskResult f = estimate(p, replica(40), {});
    for (const char* name : {"k2", "r4", "g2", "g4_ratio"}) {
      INFO(name);
      CHECK(two_sample_z(metric(d, name), metric(f, name)) < 3);
    }
  }
  // The collapse (float: χ² in double inside, T in float) at a width where 1/n is small.
  Problem p = make_problem("relu", {1000, 1000}, 2, Sampler::exact_chain, 20000);
  const Estimate d = metric(estimate(p, replica(41), {}), "r4");
  p.single_precision = true;
  const Estimate f = metric(estimate(p, replica(42), {}), "r4");
  CHECK(two_sample_z(d, f) < 3);
  CHECK(std::fabs(f.value - 1.005 * 1.005) < 3 * f.sem);
}

TEST_CASE("input dimensions other than four: gradient moments of ReLU nets", "[correlations]") {
  for (const std::int64_t n0 : {1, 7}) {
    for (const Sampler sampler : {Sampler::exact_chain, Sampler::full_network}) {
      INFO("n0 " << n0 << ", sampler " << sampler_name(sampler));
      Problem p = make_problem("relu", {16, 16}, 2, sampler, 8000);
      p.n0 = n0;
      p.x_norm2 = 3;
      const TaskResult r = estimate(p, replica(50), {});
      const Estimate k2 = metric(r, "k2"), g2 = metric(r, "g2"), g4 = metric(r, "g4_ratio");
      const double product = std::pow(1 + 5.0 / 16, 2);
      CHECK(std::fabs(k2.value - 2 * 3.0 / static_cast<double>(n0)) < 3 * k2.sem);
      CHECK(std::fabs(g2.value - 2) < 3 * g2.sem);
      CHECK(std::fabs(g4.value - (1 + 2.0 / static_cast<double>(n0)) * product) < 3 * g4.sem);
    }
  }
}

TEST_CASE("results are byte-identical for every pack size", "[correlations]") {
  for (const Sampler sampler : {Sampler::exact_chain, Sampler::full_network}) {
    for (const bool single : {false, true}) {
      for (const bool collapse : {true, false}) {
        INFO(sampler_name(sampler)
             << (single ? " float" : " double") << (collapse ? "" : " generic"));
        Problem p =
            make_problem("relu", {8, 12, 8}, 2, sampler, 203);  // not a multiple of any lane count
        p.single_precision = single;
        p.collapse = collapse;
        const TaskResult reference = estimate(p, replica(60), RunOptions{8, nullptr});
        for (const std::size_t pack : {16, 24, 64, 0}) {
          INFO("pack " << pack);
          const TaskResult r = estimate(p, replica(60), RunOptions{pack, nullptr});
          const auto& got = r.row.data().numbers;
          const auto& want = reference.row.data().numbers;
          REQUIRE(got.size() == want.size());
          CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(double)) == 0);
        }
        // A different task key is a different sample.
        const TaskResult other = estimate(p, replica(61), RunOptions{8, nullptr});
        CHECK(metric(other, "k2").value != metric(reference, "k2").value);
      }
    }
  }
}

TEST_CASE("cancellation, divergence and degenerate inputs are reported as statuses",
          "[correlations]") {
  const std::atomic<bool> cancel{true};
  const TaskResult cancelled =
      estimate(relu_32x4(Sampler::exact_chain, 1000), replica(70), RunOptions{0, &cancel});
  CHECK(cancelled.status == Status::pending);
  CHECK(cancelled.row.empty());
  // C_W = 100 for 200 ReLU layers: E z² ~ 50^200 overflows double.
  Problem exploding =
      make_problem("relu", std::vector<std::int64_t>(200, 16), 100, Sampler::exact_chain, 64);
  const TaskResult diverged = estimate(exploding, replica(71), {});
  CHECK(diverged.status == Status::diverged);
  CHECK(diverged.error.find("not finite") != std::string::npos);
  // n_out = 1: corr22 is undefined, which is not divergence.
  Problem single_output = relu_32x4(Sampler::exact_chain, 100);
  single_output.n_out = 1;
  const TaskResult one = estimate(single_output, replica(72), {});
  CHECK(one.status == Status::done);
  CHECK(std::isnan(metric(one, "corr22").value));
}

TEST_CASE("max_share: the largest network's share of the dominating sum, by brute force",
          "[correlations][trust]") {
  // 256 networks is a whole number of blocks for every lane count: sample them all at once and
  // compute max/sum of each metric's observable directly.
  const Problem p = make_problem("relu", {8, 8, 8, 8, 8, 8}, 2, Sampler::exact_chain, 256);
  const TaskResult r = estimate(p, replica(80), {});
  REQUIRE(r.status == Status::done);
  std::vector<double> obs(256 * corr::observable_count);
  corr::sample_chain<double>(p, replica(80), 0, 256, obs.data());
  const std::vector<std::string> names = {"k2",  "r4",  "kappa4", "z4_ratio", "corr22",
                                          "dz2", "rv4", "g2",     "g4_ratio"};
  for (std::size_t m = 0; m < corr::metric_count; ++m) {
    INFO(names[m]);
    const std::size_t o = corr::share_observable(m);
    double max = 0, sum = 0;
    for (std::size_t i = 0; i < 256; ++i) {
      max = std::max(max, obs[i * corr::observable_count + o]);
      sum += obs[i * corr::observable_count + o];
    }
    CHECK(r.row.number(names[m] + "_max_share") == Approx(max / sum).epsilon(1e-12));
  }
}

TEST_CASE("max_share separates a resolved task (relu 512x1) from an unresolved one (relu 16x64)",
          "[correlations][trust]") {
  // 512x1: s is nearly constant, so every network carries about 1/N of every sum. 16x64:
  // E s^2/(E s)^2 = (1 + 5/16)^64 = 3.6e7, the sum of s^2 over 2000 networks is one network's.
  const TaskResult wide =
      estimate(make_problem("relu", {512}, 2, Sampler::exact_chain, 2000), replica(81), {});
  for (const char* name : {"k2", "kappa4", "g4_ratio"}) {
    INFO(name);
    CHECK(wide.row.number(std::string(name) + "_max_share") < 0.05);
  }
  const TaskResult deep = estimate(
      make_problem("relu", std::vector<std::int64_t>(64, 16), 2, Sampler::exact_chain, 2000),
      replica(82), {});
  CHECK(deep.row.number("kappa4_max_share") > 0.5);
  CHECK(deep.row.number("r4_max_share") == deep.row.number("kappa4_max_share"));
}
