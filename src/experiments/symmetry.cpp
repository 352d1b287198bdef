// symmetry: parameters, columns, theory and cost model (the kernel is symmetry_train.cpp).
#include "nnsweep/experiments/symmetry.hpp"
#include "nnsweep/experiments/precision.hpp"

#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/theory/symmetry_counts.hpp"

namespace nnsweep::experiments {

namespace symmetry {

Problem problem_of(const config::ParamSet& params) {
  Problem p;
  p.r = params.integer("teacher_width");
  p.m = params.integer("width");
  p.d = params.integer("d");
  p.n_train = params.integer("n_train");
  p.activation = nn::parse_activation(params.choice("activation"));
  p.adam = params.choice("optimizer") == "adam";
  p.lr = params.real("lr");
  p.steps = params.integer("steps");
  const std::string& polish = params.choice("polish");
  if (polish == "none")
    p.polish.reset();
  else
    p.polish = nn::parse_polish_method(polish);
  p.polish_steps = params.integer("polish_steps");
  p.single_precision = params.choice("precision") == "float";
  p.teacher_seed = params.integer("teacher_seed");
  return p;
}

namespace {

struct ColumnText {
  const char* units;
  const char* long_name;
  const char* description;
};
constexpr ColumnText texts[metric_count] = {
    {"1", "final loss",
     "(1/N) sum (f(x) - y)^2 over the N training samples at the end point (after the polish), in "
     "double"},
    {"1", "gradient norm",
     "max-norm of the loss gradient at the end point, recomputed in double independently of the "
     "polish"},
    {"1", "loss before polish", "the loss after the first-order optimizer's `steps`"},
    {"1", "at zero loss", "1 if loss <= 1e-9 Var(y), else 0"},
    {"1", "on the global-minima manifold",
     "1 if every merged student neuron is a replica of a teacher neuron (|w - w*_i|/|w*_i| < "
     "1e-3) or zero-type, every teacher neuron is replicated and the summed output weights match "
     "a*_i to 1e-4 relative; else 0"},
    {"neurons", "zero-type neurons",
     "k0: student neurons that are not replicas and whose merged output weight (neurons with w's "
     "within 1e-3 relative merged, output weights summed) is below 1e-4 max|a*|"},
    {"neurons", "effective width",
     "r_hat: merged neurons that are not zero-type (r* on the manifold; the width of the "
     "symmetry-induced critical point otherwise)"},
    {"1", "distance to the manifold",
     "D of papers_CE.md C.6 (squared w distances to the assigned teacher rows, squared output "
     "mismatch per group over its size, squared zero-type outputs, square root) when the "
     "assignment is onto the teacher; NaN otherwise"},
    {"1", "reduced gradient norm",
     "max-norm of the loss gradient of the reduced width-r_hat net (merged, zero-type dropped)"},
    {"1", "reduced net critical", "1 if reduced_grad_norm < 1e-6, else 0"},
    {"1", "least Hessian eigenvalue", "min eigenvalue of the exact loss Hessian at the end point"},
    {"1", "largest Hessian eigenvalue", "max eigenvalue of the exact loss Hessian"},
    {"eigenvalues", "negative Hessian eigenvalues",
     "eigenvalues below -1e-8 |lambda|max (a saddle if > 0)"},
    {"eigenvalues", "zero Hessian eigenvalues", "eigenvalues with |lambda| <= 1e-8 |lambda|max"},
    {"1", "polish outcome",
     "0 converged (max-norm gradient < 1e-10), 1 budget (polish_steps used), 2 non_finite, 3 "
     "channel (not converged while two w's merge in cosine to 1e-4 with an |a| above 10 "
     "sum|a*|: a channel to infinity); NaN with polish = none"},
    {"steps", "polish steps", "curvature evaluations of the polish"},
    {"1", "target variance", "Var(y) over the training samples"},
};

}  // namespace

const char* metric_name(Metric metric) {
  static const char* const names[] = {"loss",
                                      "grad_norm",
                                      "train_loss",
                                      "zero_loss",
                                      "on_manifold",
                                      "zero_type",
                                      "r_hat",
                                      "manifold_distance",
                                      "reduced_grad_norm",
                                      "reduced_critical",
                                      "hessian_min",
                                      "hessian_max",
                                      "hessian_negative",
                                      "hessian_zero",
                                      "polish_outcome",
                                      "polish_steps_used",
                                      "target_variance"};
  return metric < metric_count ? names[metric] : "?";
}

Columns declare(const Problem& problem, grid::ColumnSet& columns) {
  Columns ids;
  for (std::size_t q = 0; q < metric_count; ++q)
    ids.metric[q] = columns.metric(metric_name(static_cast<Metric>(q)), texts[q].units,
                                   texts[q].long_name, texts[q].description);
  ids.subspace = columns.text(
      "subspace", static_cast<std::size_t>(3 * problem.m + 1), "subspace",
      "the assignment map f: per student neuron, its teacher neuron 1..r*, 0 if zero-type, - "
      "otherwise (comma-separated)");
  ids.theory_T = columns.theory("theory_T", "", "subspaces", "T(r*, m)",
                                "affine subspaces of global minima T(r*, m) = r*! S(m+1, r*+1), "
                                "nearest double (exact: theory_T_exact)");
  ids.theory_T_exact = columns.text("theory_T_exact", 48, "T(r*, m) exact",
                                    "T(r*, m) in decimal digits, exact", grid::ColumnKind::theory);
  ids.log10_T = columns.derived("log10_T", "1", "log10 T", "log10 T(r*, m) (exact to rounding)");
  ids.theory_G = columns.theory(
      "theory_G", "", "subspaces", "G(r*-1, m)",
      "affine subspaces of symmetry-induced critical points from one width-(r*-1) critical point, "
      "G(r*-1, m) = (r*-1)! S(m, r*-1), nearest double (exact: theory_G_exact)");
  ids.theory_G_exact =
      columns.text("theory_G_exact", 48, "G(r*-1, m) exact", "G(r*-1, m) in decimal digits, exact",
                   grid::ColumnKind::theory);
  ids.log10_G = columns.derived("log10_G", "1", "log10 G", "log10 G(r*-1, m) (exact to rounding)");
  ids.log10_G_over_T = columns.derived("log10_G_over_T", "1", "log10 G/T",
                                       "log10 of G(r*-1, m)/T(r*, m), from the exact integers");
  ids.theory_hessian_zero = columns.theory(
      "theory_hessian_zero", "hessian_zero", "eigenvalues", "predicted zero eigenvalues",
      "(m - r*)(d + 1) - k0 zero Hessian eigenvalues at a generic zero-loss point with k0 "
      "zero-type neurons (exact there; NaN, kind none, off the manifold)");
  const auto count = static_cast<std::size_t>(problem.m * (problem.d + 1));
  ids.weights = columns.weights(
      count, "the end point: w (m x d, row-major: neuron j's weights in row j), then a (m)");
  return ids;
}

void fill_theory(const Problem& problem, const Columns& ids, grid::Row& row) {
  const int r = static_cast<int>(problem.r), m = static_cast<int>(problem.m);
  const theory::BigInt t = theory::global_minima_subspaces(r, m);
  const theory::BigInt g = theory::critical_subspaces(r - 1, m);
  row.set_theory(ids.theory_T, theory::to_double(t), grid::TheoryKind::exact);
  row.set_theory(ids.theory_G, theory::to_double(g), grid::TheoryKind::exact);
  row.set_text(ids.theory_T_exact, theory::decimal(t));
  row.set_text(ids.theory_G_exact, theory::decimal(g));
  row.set(ids.log10_T, theory::big_log10(t));
  row.set(ids.log10_G, theory::big_log10(g));
  row.set(ids.log10_G_over_T, theory::log10_ratio(g, t));
}

}  // namespace symmetry

namespace {

using config::ParamType;
using namespace symmetry;

constexpr double inf = std::numeric_limits<double>::infinity();

class Symmetry final : public Experiment {
 public:
  std::string_view name() const override { return "symmetry"; }
  std::string_view summary() const override {
    return "two-layer students of width m = r* + h learning a width-r* teacher: the global-minima "
           "manifold (T subspaces), symmetry-induced critical points (G), polished end points "
           "classified, Hessian spectra (Simsek et al. 2021)";
  }
  const config::Schema& schema() const override { return schema_; }

  void resolve(config::ParamSet& params) const override {
    if (!(params.real("lr") > 0))
      throw config_error(cat("lr = ", params.real("lr"), ": the learning rate must be positive"));
    const std::int64_t r = params.integer("teacher_width"), m = params.integer("width");
    if (m < 1 || r < 1)
      throw config_error(cat("teacher_width = ", r, ", width = ", m, ": both must be >= 1"));
    const std::int64_t count = m * (params.integer("d") + 1);
    if (params.choice("polish") != "none" && count > 2000)
      throw config_error(cat("width = ", m, " with d = ", params.integer("d"), ": ", count,
                             " parameters — the polish and the Hessian are dense (at most 2000 "
                             "parameters); lower width or d"));
  }

  double cost(const config::ParamSet& params) const override {
    const Problem p = problem_of(params);
    const auto n = static_cast<double>(p.n_train), m = static_cast<double>(p.m),
               d = static_cast<double>(p.d), steps = static_cast<double>(p.steps);
    const double np = m * (d + 1);  // P, the student's parameter count
    // GD step: forward and backward 6·N·m·d plus ~60 FLOPs of activation work per (sample,
    // neuron); polish: a Gauss–Newton matrix (N·P²) per step, half of the budget on average;
    // the Hessian and its eigenvalues at the end (the reference model: ~4·N·P² + 10·P³).
    const double train = steps * (6 * n * m * d + 60 * n * m);
    const double polish =
        p.polish ? 0.5 * static_cast<double>(p.polish_steps) * (2 * n * np * np + np * np * np) : 0;
    return train + polish + 4 * n * np * np + 10 * np * np * np;
  }

  void columns(const config::ParamSet& params, grid::ColumnSet& columns) const override {
    declare(problem_of(params), columns);
  }

  void theory(const Cell& cell, grid::Row& row) const override {
    const Problem p = problem_of(cell.params);
    grid::ColumnSet columns(cell.options);
    fill_theory(p, declare(p, columns), row);
  }

  StreamKeys streams() const override {
    StreamKeys keys;
    keys.only(rng::Purpose::data, {"teacher_width", "d"});
    keys.only(rng::Purpose::init, {"width", "d"});
    keys.only(rng::Purpose::batch_order, {});
    return keys;
  }

  std::vector<std::string> replicates() const override { return {"seed", "teacher_seed"}; }

  std::size_t preferred_pack(const config::ParamSet& params) const override {
    return lanes_for_precision(params);
  }

  std::vector<TaskResult> run(const Cell& cell, const std::vector<Replica>& replicas,
                              const RunOptions& options) const override {
    Problem p = problem_of(cell.params);
    p.save_weights = cell.options.save_weights;
    return train(p, replicas, options);
  }

 private:
  config::Schema schema_{{
      {"teacher_width", ParamType::integer, "4", "neurons", "r*: teacher width", 1, 20, {}, false},
      {"width", ParamType::integer, "8", "neurons", "m = r* + h: student width", 1, 400, {}, false},
      {"d", ParamType::integer, "4", "1", "input dimension (no bias)", 1, 10000, {}, false},
      {"n_train",
       ParamType::integer,
       "2000",
       "samples",
       "N: fixed training inputs x ~ N(0, I_d), labelled by the teacher (the paper: 10^4)",
       1,
       10000000,
       {},
       false},
      {"activation",
       ParamType::choice,
       "g",
       "",
       "g = sigmoid(4x) + softplus(x) (count-faithful: permutations, replicas and zero-type "
       "neurons only); softplus, erf and tanh add symmetries (papers_CE.md C.2)",
       -inf,
       inf,
       {"g", "softplus", "erf", "tanh"},
       false},
      {"optimizer",
       ParamType::choice,
       "gd",
       "",
       "full-batch gradient descent or Adam (beta 0.9, 0.999, eps 1e-8)",
       -inf,
       inf,
       {"gd", "adam"},
       false},
      {"lr",
       ParamType::real,
       "0.02",
       "1",
       "learning rate (constant); full-batch GD diverges above about 2/lambda_max, and g's "
       "non-zero mean makes lambda_max grow like 4m (0.02 is stable up to m of about 20)",
       0,
       1e6,
       {},
       false},
      {"steps",
       ParamType::integer,
       "10000",
       "steps",
       "full-batch optimizer steps before the polish",
       1,
       1e9,
       {},
       false},
      {"polish",
       ParamType::choice,
       "lm",
       "",
       "second-order polish in double to max-norm gradient < 1e-10: lm (Levenberg-Marquardt), "
       "newton (exact Hessian, damped), none",
       -inf,
       inf,
       {"lm", "newton", "none"},
       false},
      {"polish_steps",
       ParamType::integer,
       "300",
       "steps",
       "the polish's budget of curvature evaluations",
       1,
       1e6,
       {},
       false},
      {"precision",
       ParamType::choice,
       "double",
       "",
       "floating-point type of the first-order training (the polish and the metrics are double)",
       -inf,
       inf,
       {"double", "float"},
       false},
      {"teacher_seed",
       ParamType::integer,
       "0",
       "1",
       "the teacher and its data (a replicate axis beside seed)",
       0,
       9007199254740992.0,
       {},
       false},
  }};
};

}  // namespace

const Experiment& symmetry_experiment() {
  static const Symmetry experiment;
  return experiment;
}

}  // namespace nnsweep::experiments
