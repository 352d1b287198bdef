// splines: parameters, columns and cost model (the kernel is splines_train.cpp, the metrics of a
// network splines_measure.cpp).
#include "nnsweep/experiments/splines.hpp"
#include "nnsweep/experiments/precision.hpp"

#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/schedule.hpp"

namespace nnsweep::experiments {

namespace splines {

Problem problem_of(const config::ParamSet& params) {
  Problem p;
  p.n_points = params.integer("n_points");
  p.width = params.integer("width");
  p.depth = params.integer("depth");
  p.d = params.integer("d");
  p.wd = params.is_auto("wd") ? 1e-2 : params.real("wd");
  p.wd_rel = params.is_auto("wd_rel") ? 0 : params.real("wd_rel");
  const std::string& mode = params.choice("reg_mode");
  p.reg_mode = mode == "pn" ? RegMode::pn : mode == "ses" ? RegMode::ses : RegMode::bf;
  p.adam = params.choice("optimizer") == "adam";
  p.lr = params.is_auto("lr") ? (p.adam ? 1e-3 : 5e-2) : params.real("lr");
  p.steps = params.integer("steps");
  p.single_precision = params.choice("precision") == "float";
  const std::string& data = params.choice("data");
  p.data = data == "grid" ? DataKind::grid : data == "linear" ? DataKind::linear : DataKind::index;
  p.init_scale = params.real("init_scale");
  p.log_points = params.integer("log_points");
  p.grid_points = params.integer("grid_points");
  return p;
}

std::size_t parameter_count(const Problem& p) {
  std::size_t count = 0;
  std::int64_t fan_in = p.d;
  for (std::int64_t l = 0; l + 1 < p.depth; ++l) {
    count += static_cast<std::size_t>(p.width * fan_in + p.width);
    fan_in = p.width;
  }
  count += static_cast<std::size_t>(fan_in);                                    // output row
  count += p.reg_mode == RegMode::ses ? 1 : static_cast<std::size_t>(p.d + 1);  // c, or a and c
  return count;
}

std::vector<double> function_grid(const Problem& p) {
  std::vector<double> t(static_cast<std::size_t>(p.grid_points));
  const double step = 2.4 / static_cast<double>(std::max<std::int64_t>(p.grid_points - 1, 1));
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = -1.2 + step * static_cast<double>(i);
  return t;
}

}  // namespace splines

namespace {

using config::ParamSpec;
using config::ParamType;
using namespace splines;

constexpr double inf = std::numeric_limits<double>::infinity();

struct ColumnText {
  const char* units;
  const char* long_name;
  const char* description;
};
// Column texts per metric (same order as splines::Metric); definitions of paper_D.md §3, §5.
constexpr ColumnText texts[metric_count] = {
    {"1", "objective J", "J = (1/N) sum_i (f(x_i) - y_i)^2 + lambda * penalty"},
    {"1", "training MSE", "(1/N) sum_i (f(x_i) - y_i)^2"},
    {"1", "weight-decay term W",
     "W = 1/2 sum over weight matrices of |W_l|_F^2 (+ 1/2 sum of the hidden biases^2 in bf); "
     "J = mse + lambda W"},
    {"1", "path norm P",
     "P = sum_k |v_k| |w_k| over hidden units (one hidden layer; NaN for deeper nets); W >= P"},
    {"knots", "active knots",
     "raw count of hidden units whose kink jump |c_k| = |v_k| |w_k . u| exceeds 1e-6 of the sum "
     "of all jumps (one hidden layer, data on a line)"},
    {"knots", "effective knots",
     "clusters of knots (single linkage, gap <= delta = min(0.01 range, 1/4 min gap)) carrying "
     ">= 1% of the clustered TV, located in [x_1 - delta, x_N + delta] (paper_D.md §3.4)"},
    {"1", "TV(f')",
     "second-order total variation along the data line: sum over exactly coincident knots of "
     "|sum of their jumps|"},
    {"1", "V(f)",
     "canonical TV of the net's fitted values: sum_{i=2}^{N-1} |s_i - s_{i-1}|, s_i the slopes "
     "between consecutive fitted values (<= TV(f'))"},
    {"1", "P / V(f)",
     "path norm over V(f) (>= 1; 1: a min-TV interpolant of its own predictions); NaN when V(f) < "
     "1e-6 max|y| / range"},
    {"1", "W / P", "weight-decay term over path norm (>= 1; 1: balanced units)"},
    {"1", "misplaced knot mass",
     "share of the clustered jump mass outside the set where a PN optimum with the net's fitted "
     "values may put knots (paper_D.md §3.6; 0 at every PN optimum)"},
    {"1", "unit imbalance",
     "max_k |v_k^2 - |w_k|^2 (- b_k^2 in bf)| / max_k (v_k^2 + |w_k|^2 (+ b_k^2)) (0 at every "
     "stationary point)"},
    {"1", "first-layer alignment",
     "|W_1 U|_F^2 / |W_1|_F^2, U the planted directions (u on a line, u_1 and u_2 for index "
     "data); NaN for d = 1"},
};

}  // namespace

splines::Columns splines::declare(const Problem& problem, grid::ColumnSet& columns) {
  const grid::Dimension points{"log_point", static_cast<std::size_t>(nn::schedule_length(
                                                problem.steps, problem.log_points))};
  const grid::Dimension layers{"layer", static_cast<std::size_t>(problem.depth)};
  const grid::Dimension data_points{"point", static_cast<std::size_t>(problem.n_points)};
  const grid::Dimension grid_points{"grid_point", static_cast<std::size_t>(problem.grid_points)};
  Columns ids;
  for (std::size_t q = 0; q < metric_count; ++q)
    ids.metric[q] =
        columns.metric(metric_name(static_cast<Metric>(q)), texts[q].units, texts[q].long_name,
                       cat(texts[q].description, ", after the last step"));
  ids.objective_ratio =
      columns.metric("objective_ratio", "1", "J / J*",
                     "objective over theory_objective (NaN where J* is NaN or 0)");
  ids.lambda = columns.metric("lambda", "1", "lambda",
                              "the weight-decay strength of the task: wd, or wd_rel * lambda_max");
  ids.fit_gap = columns.metric(
      "fit_gap", "1", "max |f(x_i) - z*_i|",
      "largest distance of the net's fitted values from the optimum's (pn and bf: z* of J*)");
  ids.theory_objective = columns.theory(
      "theory_objective", "objective", "1", "J*",
      "global minimum of the training objective from the task's data (paper_D.md §4.3): pn exact "
      "(any width >= N - 2, a lower bound for every width), ses J*_SES (numerical, ~1e-15 "
      "relative), bf the pn value as a lower bound; NaN for depth > 2 or index data");
  ids.theory_tv =
      columns.theory("theory_tv", "", "1", "V(y)",
                     "min TV(f') over interpolants of the data (paper_D.md §4.1), exact; "
                     "the value tv approaches as lambda -> 0");
  ids.theory_tv_optimum = columns.theory(
      "theory_tv_optimum", "tv", "1", "V(z*)",
      "TV(f') of every pn optimum: |D z*|_1 of the optimal fitted values z*, exact (pn only)");
  ids.theory_knots = columns.theory(
      "theory_knots", "knots_effective", "knots", "sparsest knot count of the optimum",
      "fewest knots of a pn optimum (a min-TV interpolant of z*): sum over runs of same-sign "
      "slope changes of ceil(run/2), exact");
  ids.lambda_max = columns.theory("lambda_max", "", "1", "lambda_max",
                                  "smallest lambda at which the pn optimum is the least-squares "
                                  "line, (2/N)|(DD^T)^-1 D y|_inf");
  for (std::size_t q = 0; q < curve_metrics.size(); ++q) {
    const Metric m = curve_metrics[q];
    ids.curve[q] = columns.curve(cat("curve_", metric_name(m)), points, texts[m].units,
                                 texts[m].long_name, cat(texts[m].description, ", at curve_step"));
  }
  ids.curve_step = columns.curve("curve_step", points, "steps", "optimizer step",
                                 "the evaluation steps of the curves: 0, then log-spaced to steps");
  ids.stable_rank = columns.curve("stable_rank", layers, "1", "stable rank",
                                  "|W_l|_F^2 / |W_l|_2^2 of each weight matrix, input layer first");
  ids.numerical_rank = columns.curve(
      "numerical_rank", layers, "1", "numerical rank",
      "number of singular values of W_l above 1e-2 of the largest, input layer first");
  ids.data_x = columns.curve("data_x", data_points, "1", "data position t_i",
                             "the training inputs' coordinate along the line (x_i = t_i u), "
                             "sorted; u_1 . x_i for index data");
  ids.data_y = columns.curve("data_y", data_points, "1", "data target y_i", "the training targets");
  ids.function_x = columns.curve("function_x", grid_points, "1", "position t",
                                 "where the learned function is evaluated: evenly in [-1.2, 1.2]");
  ids.function = columns.curve("function", grid_points, "1", "learned function f(t u)",
                               "the trained net along the data line (NaN for index data)");
  const grid::Dimension knot_slots{"knot", static_cast<std::size_t>(problem.width)};
  ids.knot_location = columns.curve("knot_location", knot_slots, "1", "effective knot location",
                                    "locations t of the effective knots (cluster centres) along "
                                    "the line, increasing, NaN-padded (one hidden layer)");
  ids.knot_jump = columns.curve("knot_jump", knot_slots, "1", "effective knot jump",
                                "jump of f' at each effective knot (signed cluster sum)");
  ids.weights = columns.weights(parameter_count(problem),
                                "the parameters: per layer W (row-major) then its bias (hidden "
                                "layers; the ses output layer), then the skip a (d) and c");
  return ids;
}

namespace {

class Splines final : public Experiment {
 public:
  std::string_view name() const override { return "splines"; }
  std::string_view summary() const override {
    return "ReLU nets with weight decay learn sparse linear splines: global optimum J*, knots, "
           "path norm and TV(f'), low-rank deep layers (Parhi & Nowak 2021/22)";
  }
  const config::Schema& schema() const override { return schema_; }

  void resolve(config::ParamSet& params) const override {
    const bool wd_given = !params.is_auto("wd"), rel_given = !params.is_auto("wd_rel");
    if (wd_given && rel_given)
      throw config_error(cat("wd = ", params.real("wd"), " and wd_rel = ", params.real("wd_rel"),
                             ": give one of the two (wd sets lambda, wd_rel sets lambda / "
                             "lambda_max of each task's data)"));
    params.set("wd", wd_given ? params.real("wd") : rel_given ? 0.0 : 1e-2);
    params.set("wd_rel", rel_given ? params.real("wd_rel") : 0.0);
    if (params.is_auto("lr")) params.set("lr", params.choice("optimizer") == "adam" ? 1e-3 : 5e-2);
    if (!(params.real("lr") > 0))
      throw config_error(cat("lr = ", params.real("lr"), ": the learning rate must be positive"));
    const std::string& data = params.choice("data");
    const std::int64_t d = params.integer("d");
    if (data == "index" && d < 2)
      throw config_error(cat("data = index with d = ", d,
                             ": the index target |u_1 . x| + (u_2 . x)^2/2 needs d >= 2"));
    if (data == "index" && rel_given && params.real("wd_rel") > 0)
      throw config_error(
          "wd_rel with data = index: lambda_max is defined for data on a line "
          "(grid, linear) — give wd instead");
    if (data != "index" && params.integer("n_points") < 2)
      throw config_error(
          cat("n_points = ", params.integer("n_points"), ": a spline fit needs at least 2 points"));
  }

  double cost(const config::ParamSet& params) const override {
    const Problem p = problem_of(params);
    // FLOPs (paper_D.md §8): per full-batch step forward + backward ≈ 6·N·P + 3·N·(units), the
    // update 12·P (Adam) or 4·P (GD, decay included); per evaluation point a double forward
    // (2·N·P), knots and clusters (~50·K); once the SVDs of the layers; the theory ~1e4·N².
    const double n = static_cast<double>(p.n_points), k = static_cast<double>(p.width),
                 params_count = static_cast<double>(parameter_count(p)),
                 units = k * static_cast<double>(p.depth - 1) + 1;
    const double step = 6 * n * params_count + 3 * n * units + (p.adam ? 12 : 4) * params_count;
    const auto points = static_cast<double>(nn::schedule_length(p.steps, p.log_points));
    const double svd = static_cast<double>(p.depth) * 10 * k * k * std::min<double>(k, 32);
    const double evaluate = points * (2 * n * params_count + 50 * k) + svd;
    return static_cast<double>(p.steps) * step + evaluate + 1e4 * n * n +
           3 * static_cast<double>(p.grid_points) * params_count;
  }

  // Calibration (bench/splines/run.sh): cost() of the defaults (4.2e8 FLOPs) times the tasks per
  // CPU second of run() on packs of the defaults, one core of the reference machine (AMD EPYC
  // Zen 4), release build: 60 tasks/s in double (2.5e10 FLOP/s; 89 in float), under load.
  double nominal_flops() const override { return 2.5e10; }

  void columns(const config::ParamSet& params, grid::ColumnSet& columns) const override {
    declare(problem_of(params), columns);
  }

  // The data depend on the seed and the data parameters, the initial weights on the seed and the
  // architecture: cells that differ in lambda, mode or optimizer are paired.
  StreamKeys streams() const override {
    StreamKeys keys;
    keys.only(rng::Purpose::data, {"n_points", "d", "data"});
    keys.only(rng::Purpose::init, {"width", "depth", "d", "init_scale"});
    return keys.base(stream_key);
  }

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
      {"width",
       ParamType::integer,
       "100",
       "units",
       "K: hidden units per hidden layer",
       1,
       100000,
       {},
       false},
      {"depth",
       ParamType::integer,
       "2",
       "layers",
       "layers of weights (2: one hidden layer, the 1-D theory; more: a deep MLP)",
       2,
       64,
       {},
       false},
      {"d",
       ParamType::integer,
       "1",
       "1",
       "input dimension (grid and linear data lie on a line x = t u in R^d)",
       1,
       100000,
       {},
       false},
      {"n_points",
       ParamType::integer,
       "8",
       "samples",
       "N: training points (full batch)",
       1,
       1000000,
       {},
       false},
      {"wd",
       ParamType::real,
       "auto",
       "1",
       "lambda: weight-decay strength, J = mse + lambda W (auto: 1e-2 unless wd_rel is given)",
       0,
       1e6,
       {},
       true},
      {"wd_rel",
       ParamType::real,
       "auto",
       "1",
       "lambda / lambda_max of each task's data (replaces wd; auto or 0: lambda = wd)",
       0,
       1e6,
       {},
       true},
      {"reg_mode",
       ParamType::choice,
       "pn",
       "",
       "pn: skip a x + c and biases free (Parhi-Nowak); ses: no skip, output bias free "
       "(Savarese et al.; a plain MLP); bf: pn with the hidden biases decayed too "
       "(Boursier-Flammarion)",
       -inf,
       inf,
       {"pn", "ses", "bf"},
       false},
      {"optimizer",
       ParamType::choice,
       "adam",
       "",
       "full-batch adam (beta 0.9, 0.999, eps 1e-8) or gd; L2 weight decay in the gradient",
       -inf,
       inf,
       {"adam", "gd"},
       false},
      {"lr",
       ParamType::real,
       "auto",
       "1",
       "learning rate (auto: 1e-3 for adam, 5e-2 for gd; gd needs lr * steps >~ 2.5 / lambda)",
       0,
       1e6,
       {},
       true},
      {"steps",
       ParamType::integer,
       "20000",
       "steps",
       "optimizer steps (full batch)",
       1,
       1e9,
       {},
       false},
      {"data",
       ParamType::choice,
       "grid",
       "",
       "grid: jittered points, y ~ U(-1,1); linear: y = 2x + 0.1 U(-1,1); index: x ~ N(0, I_d), "
       "y = |u_1 . x| + (u_2 . x)^2 / 2",
       -inf,
       inf,
       {"grid", "linear", "index"},
       false},
      {"init_scale",
       ParamType::real,
       "1",
       "1",
       "multiplies the PyTorch default initialisation U(+-1/sqrt(fan_in)) of weights and hidden "
       "biases (skip and output bias start at 0)",
       0,
       1e6,
       {},
       false},
      {"log_points",
       ParamType::integer,
       "30",
       "points",
       "curve length: evaluation steps log-spaced in [0, steps]",
       2,
       100000,
       {},
       false},
      {"grid_points",
       ParamType::integer,
       "101",
       "points",
       "length of the `function` curve: the learned function on [-1.2, 1.2]",
       2,
       100000,
       {},
       false},
      {"precision",
       ParamType::choice,
       "double",
       "",
       "floating-point type of the training (metrics and theory in double)",
       -inf,
       inf,
       {"double", "float"},
       false},
  }};
};

}  // namespace

const Experiment& splines_experiment() {
  static const Splines experiment;
  return experiment;
}

}  // namespace nnsweep::experiments
