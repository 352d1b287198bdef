// splines: the validation criteria of paper_D.md §7 (EXPERIMENTS.md §4) on fixed seeds of the
// sweep seed 2021, each a pass rate over seeds. Thresholds: the §7 ones, set below the rates
// observed in the calibration runs of paper_D.md by >= 2.5 binomial standard errors of this
// test's seed count, √(p(1 − p)/n) at the calibrated rate p (given per check); the hard checks
// (J >= J*(1 − 1e-6), a theorem) hold on every seed. Each rate measured here is printed
// (`test_splines_checks -s` shows them) and stated in the report of issue 11.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "nnsweep/experiments/splines.hpp"
#include "splines_test_support.hpp"

using namespace nnsweep;
using namespace nnsweep::experiments;
using namespace nnsweep::splines_test;
namespace sp = nnsweep::experiments::splines;

namespace {

// Unoptimised builds (Debug, sanitizers) run the statistical checks on a few seeds only.
#if defined(__OPTIMIZE__)
constexpr bool full = true;
#else
constexpr bool full = false;
#endif

std::int64_t seeds(std::int64_t n) {
  return full ? n : 2;
}

// Trains `count` seeds of `params` (resolved here); every task must finish.
std::vector<TaskResult> train(config::ParamSet params, std::int64_t count) {
  splines_experiment().resolve(params);
  const auto results =
      splines_experiment().run({params, {}}, replicas(params, 0, count), RunOptions{});
  for (const TaskResult& r : results) REQUIRE(r.status == Status::done);
  return results;
}

// The share of results whose column `name` satisfies `pass`.
template <class Pass>
double rate(const std::vector<TaskResult>& results, const char* name, Pass pass) {
  double passed = 0;
  for (const TaskResult& r : results) passed += pass(r.row.number(name)) ? 1 : 0;
  return passed / static_cast<double>(results.size());
}

double required(double threshold) {
  return full ? threshold : 0;  // a few seeds say nothing about a rate
}

}  // namespace

TEST_CASE("VC1, VC2: pn defaults reach J* (J >= J* always) with rho, W/P ~ 1, nothing misplaced",
          "[splines][checks]") {
  const auto results = train(defaults(), seeds(50));
  for (const TaskResult& r : results)
    CHECK(r.row.number("objective") >= r.row.number("theory_objective") * (1 - 1e-6));
  // Calibration (paper_D.md §7, 100 seeds): J/J* <= 1.01 on 97% (SE on 50 seeds 2.4%),
  // <= 1.05 on 99% (1.4%); rho <= 1.01 on 100% (max 1.0022), W/P <= 1.01 on 100%, misplaced
  // <= 1% on 100%.
  const double within_1 = rate(results, "objective_ratio", [](double q) { return q <= 1.01; });
  const double within_5 = rate(results, "objective_ratio", [](double q) { return q <= 1.05; });
  const double rho = rate(results, "rho", [](double q) { return q <= 1.01; });
  const double wp = rate(results, "penalty_ratio", [](double q) { return q <= 1.01; });
  const double misplaced = rate(results, "misplaced", [](double q) { return q <= 0.01; });
  WARN("VC1/VC2 on " << results.size() << " seeds: J/J* <= 1.01: " << within_1
                     << ", <= 1.05: " << within_5 << "; rho <= 1.01: " << rho
                     << "; W/P <= 1.01: " << wp << "; misplaced <= 1%: " << misplaced);
  CHECK(within_1 >= required(0.90));
  CHECK(within_5 >= required(0.95));
  CHECK(rho >= required(0.98));
  CHECK(wp >= required(0.98));
  CHECK(misplaced >= required(0.95));
}

TEST_CASE("VC3: bf mode learns at most N - 2 effective knots", "[splines][checks]") {
  config::ParamSet params = defaults();
  params.set("reg_mode", std::string("bf"));
  const auto results = train(params, seeds(50));
  // The pn optimum bounds the bf objective from below (the bf penalty is larger).
  for (const TaskResult& r : results)
    CHECK(r.row.number("objective") >= r.row.number("theory_objective") * (1 - 1e-6));
  // Calibration: n_eff <= N − 2 on 100/100 (SE at p = 0.99 on 50 seeds: 1.4%).
  const double sparse = rate(results, "knots_effective", [](double k) { return k <= 6; });
  WARN("VC3 on " << results.size() << " seeds: effective knots <= N - 2: " << sparse);
  CHECK(sparse >= required(0.95));
}

TEST_CASE("VC4: at lambda = 1e-4, K = 400 the net interpolates with TV(f') ~ V(y)",
          "[splines][checks]") {
  config::ParamSet params = defaults();
  params.set("wd", 1e-4);
  params.set("width", std::int64_t{400});
  const auto results = train(params, seeds(20));
  // Calibration (50 seeds): TV(f')/V(y) quantiles 10/50/90% = 0.983/0.988/0.992, all in
  // [0.95, 1] (SE at p = 0.99 on 20 seeds: 2.2%).
  double inside = 0;
  for (const TaskResult& r : results) {
    const double ratio = r.row.number("tv") / r.row.number("theory_tv");
    inside += ratio >= 0.95 && ratio <= 1.0 ? 1 : 0;
    CHECK(r.row.number("objective") >= r.row.number("theory_objective") * (1 - 1e-6));
  }
  inside /= static_cast<double>(results.size());
  WARN("VC4 on " << results.size() << " seeds: TV(f')/V(y) in [0.95, 1]: " << inside);
  CHECK(inside >= required(0.90));
}

TEST_CASE("VC5: without skip (ses) training reaches J*_SES, on random and nearly linear data",
          "[splines][checks]") {
  for (const char* data : {"grid", "linear"}) {
    config::ParamSet params = defaults();
    params.set("reg_mode", std::string("ses"));
    params.set("steps", std::int64_t{40000});
    params.set("data", std::string(data));
    const auto results = train(params, seeds(10));
    // Calibration: J/J*_SES <= 1.0006 on 10/10 (5 per data kind); threshold 80% (SE at p = 0.97
    // on 10 seeds: 5.4%). J*_SES is a lower bound up to its ~1e-15 solver accuracy.
    for (const TaskResult& r : results)
      CHECK(r.row.number("objective") >= r.row.number("theory_objective") * (1 - 1e-6));
    const double within = rate(results, "objective_ratio", [](double q) { return q <= 1.01; });
    WARN("VC5 (" << data << ") on " << results.size() << " seeds: J/J*_SES <= 1.01: " << within);
    CHECK(within >= required(0.80));
  }
}

TEST_CASE("VC6: collinear data in d = 5 reach the 1-D optimum with aligned first layers",
          "[splines][checks]") {
  config::ParamSet params = defaults();
  params.set("d", std::int64_t{5});
  const auto results = train(params, seeds(10));
  // Calibration: 5/5 with J/J*_1D <= 1.025, alignment 1.000; threshold 80% (SE 2.3%·√(50/10)).
  for (const TaskResult& r : results)
    CHECK(r.row.number("objective") >= r.row.number("theory_objective") * (1 - 1e-6));
  const double within = rate(results, "objective_ratio", [](double q) { return q <= 1.03; });
  const double aligned = rate(results, "alignment", [](double a) { return a >= 0.99; });
  WARN("VC6 on " << results.size() << " seeds: J/J* <= 1.03: " << within
                 << "; alignment >= 0.99: " << aligned);
  CHECK(within >= required(0.80));
  CHECK(aligned >= required(0.80));
}

TEST_CASE("VC7: weight decay collapses the rank of deep hidden layers", "[splines][checks]") {
  config::ParamSet params = defaults();
  params.set("reg_mode", std::string("ses"));  // a plain MLP: biases free, no skip
  params.set("depth", std::int64_t{4});
  params.set("width", std::int64_t{32});
  params.set("d", std::int64_t{8});
  params.set("n_points", std::int64_t{64});
  params.set("data", std::string("index"));
  params.set("steps", std::int64_t{5000});
  params.set("log_points", std::int64_t{4});
  // Calibration (15 seeds): at λ = 1e-2 sr = 1.00 on the two 32 × 32 matrices 15/15, at λ = 0
  // sr >= 2.39 15/15; threshold 90% (SE at p = 0.97 on 10 seeds: 5.4%).
  const std::int64_t n = seeds(10);
  for (const double lambda : {1e-2, 0.0}) {
    params.set("wd", lambda);
    const auto results = train(params, n);
    double passed = 0;
    double alignment = 0;
    for (const TaskResult& r : results) {
      const double a = r.row.number("stable_rank", 1), b = r.row.number("stable_rank", 2);
      passed += lambda > 0 ? (a <= 1.2 && b <= 1.2 ? 1 : 0) : (a >= 2 && b >= 2 ? 1 : 0);
      alignment += r.row.number("alignment") / static_cast<double>(n);
    }
    passed /= static_cast<double>(n);
    WARN("VC7 lambda = " << lambda << " on " << n << " seeds: stable rank "
                         << (lambda > 0 ? "<= 1.2" : ">= 2") << " on both hidden 32x32: " << passed
                         << "; mean first-layer alignment " << alignment);
    CHECK(passed >= required(0.90));
  }
}
