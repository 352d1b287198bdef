// The `correlations` plug-in: parameters, resolution of "auto", columns, cost model, theory
// columns and the task loop (packs of networks accumulated in network order). The samplers are
// in correlations_chain.cpp and correlations_network.cpp.
#include "nnsweep/experiments/correlations.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"
#include "nnsweep/rng/simd.hpp"
#include "nnsweep/theory/random_network.hpp"

namespace nnsweep::experiments {

namespace correlations {

namespace {

constexpr std::size_t default_pack = 128;  // networks between cancellation checks

// The metrics, in column order; each is followed by `<name>_sem` in the results.
struct MetricInfo {
  const char* name;
  const char* long_name;
  const char* description;
};
constexpr MetricInfo metrics[metric_count] = {
    {"k2", "E z^2",
     "second moment of one output, Rao-Blackwellised: mean of T_00 = E[z^2 | last hidden layer]"},
    {"r4", "E z^4 / 3(E z^2)^2",
     "normalised 4th moment of one output, Rao-Blackwellised: mean(T_00^2)/mean(T_00)^2"},
    {"kappa4", "kappa_4 / 3 kappa_2^2", "normalised 4th cumulant of one output: r4 - 1"},
    {"z4_ratio", "E z^4 / 3(E z^2)^2 (raw)",
     "r4 from the sampled outputs: mean z^4 / (3 (mean z^2)^2), outputs pooled"},
    {"corr22", "Cov(z_i^2, z_j^2) / (E z^2)^2",
     "correlation of squared outputs i != j, from sampled outputs; NaN when n_out < 2"},
    {"dz2", "E (dz/dx_1)^2", "second moment of the input derivative along e_1: mean of T_11"},
    {"rv4", "E v^4 / 3(E v^2)^2",
     "normalised 4th moment of v = dz/dx_1: mean(T_11^2)/mean(T_11)^2"},
    {"g2", "E |grad_x z|^2", "squared input-gradient norm of one output: mean of tr R"},
    {"g4_ratio", "E |grad z|^4 / (E |grad z|^2)^2",
     "gradient-norm 4th moment ratio: mean((tr R)^2 + 2 tr R^2)/mean(tr R)^2"},
};

stats::Estimate shifted(stats::Estimate e, double shift, double scale) {
  e.value = (e.value + shift) * scale;
  e.sem *= std::fabs(scale);
  return e;
}

// The metrics (value and standard error, in metric order) from the observables of N networks.
std::array<stats::Estimate, metric_count> metric_values(const Problem& p,
                                                        const stats::CoMoments& m) {
  using stats::mean_of;
  using stats::ratio_of_means;
  const stats::Estimate r4 = ratio_of_means(m, obs_s2, obs_s, 2);
  return {
      mean_of(m, obs_s),
      r4,
      shifted(r4, -1, 1),
      shifted(ratio_of_means(m, obs_z4, obs_z2, 2), 0, 1.0 / 3.0),
      p.n_out < 2 ? stats::Estimate{} : shifted(ratio_of_means(m, obs_z2z2, obs_z2, 2), -1, 1),
      mean_of(m, obs_t11),
      ratio_of_means(m, obs_t11_sq, obs_t11, 2),
      mean_of(m, obs_tr_r),
      ratio_of_means(m, obs_grad4, obs_tr_r, 2),
  };
}

}  // namespace

std::size_t share_observable(std::size_t metric) {
  constexpr std::size_t observable[metric_count] = {
      obs_s, obs_s2, obs_s2, obs_z4, obs_z2z2, obs_t11, obs_t11_sq, obs_tr_r, obs_grad4};
  return observable[metric];
}

bool accumulate(const Problem& p, const Replica& replica, const RunOptions& options,
                stats::CoMoments& observables, std::vector<double>* maxima) {
  const std::size_t lanes = p.single_precision ? rng::block_lanes<float> : rng::block_lanes<double>;
  const std::size_t requested = options.pack == 0 ? default_pack : options.pack;
  const std::size_t pack = (requested + lanes - 1) / lanes * lanes;
  const auto sample = [&](std::int64_t first, std::size_t count, double* obs) {
    const bool chain = p.sampler == Sampler::exact_chain;
    if (p.single_precision) {
      chain ? sample_chain<float>(p, replica, first, count, obs)
            : sample_network<float>(p, replica, first, count, obs);
    } else {
      chain ? sample_chain<double>(p, replica, first, count, obs)
            : sample_network<double>(p, replica, first, count, obs);
    }
  };
  observables = stats::CoMoments(observable_count);
  if (maxima != nullptr) maxima->assign(observable_count, -std::numeric_limits<double>::infinity());
  std::vector<double> obs(pack * observable_count);
  for (std::int64_t first = 0; first < p.samples; first += static_cast<std::int64_t>(pack)) {
    if (options.cancel != nullptr && options.cancel->load()) return false;
    // The last pack: only the lanes it needs, padded to whole blocks with networks past the end.
    const auto left = static_cast<std::size_t>(p.samples - first);
    const std::size_t count = std::min(pack, (left + lanes - 1) / lanes * lanes);
    sample(first, count, obs.data());
    for (std::size_t i = 0; i < std::min(count, left); ++i) {
      const double* x = obs.data() + i * observable_count;
      observables.add(x);
      if (maxima != nullptr)
        for (std::size_t o = 0; o < observable_count; ++o)
          (*maxima)[o] = std::fmax((*maxima)[o], x[o]);
    }
  }
  return true;
}

Columns declare(grid::ColumnSet& columns) {
  Columns ids;
  for (std::size_t i = 0; i < metric_count; ++i) {
    const MetricInfo& m = metrics[i];
    ids.value[i] = columns.metric(m.name, "1", m.long_name, m.description);
    ids.sem[i] =
        columns.metric(cat(m.name, "_sem"), "1", cat("sem of ", m.name),
                       cat("standard error of ", m.name, " (delta method over the N networks)"));
  }
  ids.l_over_n =
      columns.derived("l_over_n", "1", "sum_l 1/n_l",
                      "effective depth: sum of inverse hidden widths (L/n when uniform)");
  for (std::size_t i = 0; i < metric_count; ++i) {
    const MetricInfo& m = metrics[i];
    // k2's prediction carries the 1/n correction to the leading-order mean (NLO); the others
    // are the leading O(1/n) terms of their deviations from Gaussian (LO).
    const char* order =
        i == 0 ? "next-to-leading order in 1/n (with the 1/n correction)" : "leading order in 1/n";
    ids.theory[i] =
        columns.theory(cat("theory_", m.name), m.name, "1", cat(m.long_name, " (theory)"),
                       cat("prediction for ", m.name, ": exact for relu/leaky_relu/linear, else ",
                           order, " (theory_", m.name, "_kind)"));
  }
  for (std::size_t i = 0; i < metric_count; ++i) {
    const MetricInfo& m = metrics[i];
    ids.max_share[i] = columns.metric(
        cat(m.name, "_max_share"), "1", cat("largest network's share of ", m.name),
        cat("diagnostic: the largest single network's share of the sum that dominates ", m.name,
            "'s estimator; above 0.5 the task's ", m.name,
            " and its sem are not trustworthy (report: unresolved)"));
  }
  return ids;
}

TaskResult estimate(const Problem& p, const Replica& replica, const RunOptions& options) {
  stats::CoMoments observables;
  std::vector<double> maxima;
  if (!accumulate(p, replica, options, observables, &maxima)) return TaskResult::pending();
  grid::ColumnSet columns;
  const Columns ids = declare(columns);
  TaskResult result;
  result.row = columns.row();
  const auto estimates = metric_values(p, observables);
  for (std::size_t i = 0; i < metric_count; ++i) {
    result.row.set(ids.value[i], estimates[i].value);
    result.row.set(ids.sem[i], estimates[i].sem);
    // max / Σ = max / (N · mean); NaN when the sum is 0 (corr22 with one output).
    const std::size_t o = share_observable(i);
    const double sum = observables.mean(o) * static_cast<double>(observables.count());
    result.row.set(ids.max_share[i], sum > 0 ? maxima[o] / sum : nan);
  }
  for (std::size_t i = 0; i < metric_count; ++i) {
    const bool undefined =
        p.n_out < 2 && std::string_view(metrics[i].name) == "corr22";  // needs two outputs
    if (!undefined && !std::isfinite(estimates[i].value)) {
      result.status = Status::diverged;
      result.error = cat(
          metrics[i].name, " = ", format_number(estimates[i].value),
          ": the network statistics are not finite (exploding or degenerate network: check cw, cb, "
          "x_norm2 and depth)");
      break;
    }
  }
  return result;
}

}  // namespace correlations

namespace {

using config::ParamSpec;
using config::ParamType;
using correlations::Problem;
using correlations::Sampler;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double pi = 3.14159265358979323846;

// Parameter declarations, one line of spec each.
ParamSpec number(ParamType type, std::string name, std::string default_value, std::string unit,
                 std::string help, double min, double max) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.default_value = std::move(default_value);
  p.unit = std::move(unit);
  p.help = std::move(help);
  p.min = min;
  p.max = max;
  return p;
}
ParamSpec choice(std::string name, std::string default_value, std::string help,
                 std::vector<std::string> choices) {
  ParamSpec p = number(ParamType::choice, std::move(name), std::move(default_value), "",
                       std::move(help), -inf, inf);
  p.choices = std::move(choices);
  return p;
}
ParamSpec automatic(ParamSpec p) {
  p.allows_auto = true;
  return p;
}

// C_W at criticality: E z² neither grows nor decays with depth (gelu has no such point at C_b = 0;
// 2 is the He-like choice).
double critical_cw(const std::string& activation, double alpha) {
  if (activation == "relu") return 2;
  if (activation == "leaky_relu") return 2 / (1 + alpha * alpha);
  if (activation == "erf") return pi / 4;
  if (activation == "gelu") return 2;
  return 1;  // linear, tanh
}

double sum_inverse_widths(const std::vector<std::int64_t>& widths) {
  double sum = 0;
  for (const std::int64_t n : widths) sum += 1.0 / static_cast<double>(n);
  return sum;
}

class Correlations final : public Experiment {
 public:
  std::string_view name() const override { return "correlations"; }
  std::string_view summary() const override {
    return "random fully connected nets at finite width (Hanin 2022): output and gradient "
           "cumulants vs L/n";
  }
  const config::Schema& schema() const override { return schema_; }

  void resolve(config::ParamSet& params) const override {
    if (!params.is_auto("widths")) {
      const auto widths = params.integer_list("widths");
      NNSWEEP_CHECK(!widths.empty(),
                    "widths = (empty): no hidden layer — give at least one width, e.g. 64/64");
      params.set("depth", static_cast<std::int64_t>(widths.size()));
      params.set("width", *std::min_element(widths.begin(), widths.end()));
    }
    if (params.is_auto("cw")) {
      const std::string& activation = params.choice("activation");
      const double alpha = activation == "leaky_relu" ? params.real("alpha") : 0.0;
      params.set("cw", critical_cw(activation, alpha));
    }
    if (params.is_auto("x_norm2")) params.set("x_norm2", static_cast<double>(params.integer("n0")));
    const double cw = params.real("cw"), cb = params.real("cb");
    NNSWEEP_CHECK(cw > 0, "cw = ", format_number(cw),
                  ": the weights need a positive variance — give cw > 0, or cw = auto (critical)");
    NNSWEEP_CHECK(cb + cw * params.real("x_norm2") > 0,
                  "x_norm2 = ", format_number(params.real("x_norm2")),
                  " with cb = ", format_number(cb),
                  ": the first layer would be identically zero — give x_norm2 > 0 or cb > 0");
  }

  // FLOP-equivalents of one task: FMAs count 2, and a normal (Box–Muller: log, sqrt, sincos and
  // the generator) `normal` — the rate at which the kernels draw them relative to the FMA
  // arithmetic around them. Per network:
  //   full_network  Σ_l n_l·n_{l−1}·(normal + 2k) + n_out·n_L·(normal + 2) + n_L·k²
  //                 (k = 1 + n0 rows; the output layer's weights have one row each; n_L·k²:
  //                 T_{L+1}, k(k+1)/2 sums over the n_L last hidden units)
  //   exact_chain   Σ_l n_l·((k + 1)·normal + (k + 1)(k + 2)) + n_out·normal  (k normals and σ,
  //                 ψψᵀ; the outputs drawn from N(0, T₀₀))
  //   collapse      Σ_l [b·(k·chi2 + k(k−1)/2·normal) + 10k³ + (2/3)·n_l] + n_out·normal
  //                 (b Bartlett factors, χ² by rejection, Cholesky and products, the binomial's
  //                 bits; outputs as exact_chain)
  // plus `overhead` (seeding from Philox, observables). Double costs twice float (half the lanes
  // per vector).
  double cost(const config::ParamSet& params) const override {
    constexpr double normal = 20, chi2 = 160, overhead = 2000;
    const Problem p = correlations::problem_of(params);
    const auto k = static_cast<double>(1 + p.n0);
    const auto n_out = static_cast<double>(p.n_out);
    double per_network = overhead;
    if (p.sampler == Sampler::full_network) {
      auto n_in = static_cast<double>(p.n0);
      for (const std::int64_t n : p.widths) {
        per_network += static_cast<double>(n) * n_in * (normal + 2 * k);
        n_in = static_cast<double>(n);
      }
      per_network += n_out * n_in * (normal + 2) + n_in * k * k;
    } else if (p.collapse && nn::is_homogeneous(p.activation.kind)) {
      const double alpha = nn::negative_slope(p.activation);
      const double factors = alpha == 0 || alpha == 1 ? 1 : 2;
      for (const std::int64_t n : p.widths)
        per_network += factors * (k * chi2 + k * (k - 1) / 2 * normal) + 10 * k * k * k +
                       (alpha == 1 ? 0.0 : static_cast<double>(n) * 2 / 3);
      per_network += n_out * normal;
    } else {
      for (const std::int64_t n : p.widths)
        per_network += static_cast<double>(n) * ((k + 1) * normal + (k + 1) * (k + 2));
      per_network += n_out * normal;
    }
    return per_network * static_cast<double>(p.samples) * (p.single_precision ? 1.0 : 2.0);
  }

  // Float flop-equivalents per second of one core: bench/bench_correlations measured both samplers
  // at (n, L) = (32, 4), (256, 16), (1024, 8), relu and tanh, float and double (AMD Zen 4, one
  // core; bench/README.md). cost/nominal_flops over the measured seconds is ×0.83–1.32 in those
  // 24 cases: full_network ×0.90–1.26 (highest relu float 1024×8), exact_chain ×0.83–1.32
  // (lowest tanh float 32×4, highest relu double 1024×8, the Wishart collapse). The unit-by-unit
  // chain on relu (collapse = false, which no spec selects) is ×0.60–0.71 at 256×16.
  double nominal_flops() const override { return 3e10; }

  void columns(const config::ParamSet& params, grid::ColumnSet& columns) const override {
    (void)params;
    correlations::declare(columns);
  }

  std::vector<TaskResult> run(const Cell& cell, const std::vector<Replica>& replicas,
                              const RunOptions& options) const override {
    const Problem p = correlations::problem_of(cell.params);
    std::vector<TaskResult> results;
    results.reserve(replicas.size());
    for (const Replica& replica : replicas)
      results.push_back(correlations::estimate(p, replica, options));
    return results;
  }

  void theory(const Cell& cell, grid::Row& row) const override {
    grid::ColumnSet columns(cell.options);
    const correlations::Columns ids = correlations::declare(columns);
    const Problem p = correlations::problem_of(cell.params);
    row.set(ids.l_over_n, sum_inverse_widths(p.widths));
    theory::RandomNetwork net;
    net.widths = p.widths;
    net.x.assign(static_cast<std::size_t>(p.n0), std::sqrt(p.x_norm2 / static_cast<double>(p.n0)));
    net.cw = p.cw;
    net.cb = p.cb;
    const nn::Activation a = p.activation;
    const theory::OutputStatistics t =
        nn::is_homogeneous(a.kind)
            ? theory::homogeneous_exact(net, nn::negative_slope(a))
            : theory::leading_order(net, {[a](double z) { return nn::value(a, z); },
                                          [a](double z) { return nn::derivative(a, z); }});
    // z4_ratio estimates r4 and corr22 estimates kappa4 (research/papers_CE.md E.2); without a
    // second output there is no corr22 to compare with.
    const double predictions[correlations::metric_count] = {
        t.k2, t.r4, t.kappa4, t.r4, p.n_out < 2 ? nan : t.corr22, t.dz2, t.rv4, t.g2, t.g4_ratio,
    };
    for (std::size_t i = 0; i < correlations::metric_count; ++i) {
      // Exact at finite width for max(z, αz); else k2 with its 1/n correction, the rest leading.
      const grid::TheoryKind kind = t.exact  ? grid::TheoryKind::exact
                                    : i == 0 ? grid::TheoryKind::nlo
                                             : grid::TheoryKind::lo;
      row.set_theory(ids.theory[i], predictions[i], kind);
    }
  }

 private:
  config::Schema schema_{{
      choice("activation", "relu", "nonlinearity sigma of every hidden layer",
             {"relu", "leaky_relu", "linear", "tanh", "erf", "gelu"}),
      number(ParamType::real, "alpha", "0.1", "1",
             "negative slope of leaky_relu (ignored by the others)", 0, 1),
      number(ParamType::integer, "width", "64", "units",
             "hidden width n of every layer (with widths = auto)", 1, 1048576),
      number(ParamType::integer, "depth", "4", "layers",
             "number L of hidden layers (with widths = auto)", 1, 100000),
      automatic(number(ParamType::integer_list, "widths", "auto", "units",
                       "hidden widths n_1/../n_L; auto = depth layers of width; a list sets depth "
                       "to its length and width to its smallest entry",
                       1, 1048576)),
      automatic(number(ParamType::real, "cw", "auto", "1",
                       "weight variance C_W (W ~ N(0, C_W/fan_in)); auto = critical: "
                       "2/(1+alpha^2) relu/leaky, 1 linear/tanh, pi/4 erf, 2 gelu (He-like)",
                       0, inf)),
      number(ParamType::real, "cb", "0", "1", "bias variance C_b (b ~ N(0, C_b))", 0, inf),
      // At most 256: the chain keeps several (1 + n0)² matrices per lane (34 MB at 256).
      number(ParamType::integer, "n0", "4", "units",
             "input dimension; derivatives are taken along all n0 inputs", 1, 256),
      automatic(number(ParamType::real, "x_norm2", "auto", "1",
                       "|x|^2 of the input x = sqrt(x_norm2/n0)(1,..,1); auto = n0", 0, inf)),
      number(ParamType::integer, "n_out", "1", "units", "output width (corr22 needs n_out >= 2)", 1,
             1048576),
      number(ParamType::integer, "samples", "10000", "networks",
             "random networks N sampled per task", 2, 1e12),
      choice("sampler", "exact_chain",
             "exact_chain: exact per-layer conditional Gaussian law (O(L k^3) for "
             "relu/leaky/linear); full_network: explicit weights",
             {"exact_chain", "full_network"}),
      choice("precision", "double", "kernel arithmetic (statistics always accumulate in double)",
             {"double", "float"}),
  }};
};

}  // namespace

namespace correlations {

Problem problem_of(const config::ParamSet& params) {
  Problem p;
  p.activation = nn::parse_activation(params.choice("activation"), params.real("alpha"));
  p.widths = params.is_auto("widths")
                 ? std::vector<std::int64_t>(static_cast<std::size_t>(params.integer("depth")),
                                             params.integer("width"))
                 : params.integer_list("widths");
  p.cw = params.real("cw");
  p.cb = params.real("cb");
  p.n0 = params.integer("n0");
  p.x_norm2 = params.real("x_norm2");
  p.n_out = params.integer("n_out");
  p.samples = params.integer("samples");
  p.sampler =
      params.choice("sampler") == "full_network" ? Sampler::full_network : Sampler::exact_chain;
  p.single_precision = params.choice("precision") == "float";
  return p;
}

}  // namespace correlations

const Experiment& correlations_experiment() {
  static const Correlations experiment;
  return experiment;
}

}  // namespace nnsweep::experiments
