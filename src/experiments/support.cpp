// support: parameters, columns, stream keys and cost model (the kernels are support_train.cpp).
#include "nnsweep/experiments/support.hpp"
#include "nnsweep/experiments/precision.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <variant>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/lanes.hpp"
#include "nnsweep/nn/schedule.hpp"

namespace nnsweep::experiments {

namespace support {

namespace {

Target parse_target(const std::string& name) {
  if (name == "sine") return Target::sine;
  if (name == "staircase") return Target::staircase;
  return Target::linear;
}

}  // namespace

Problem problem_of(const config::ParamSet& params) {
  Problem p;
  p.model = params.choice("model") == "toy" ? Model::toy : Model::mlp;
  p.n_train = params.integer("n_train");
  p.d = params.integer("d");
  p.relevant = params.integer("relevant");
  p.width = params.integer("width");
  p.depth = params.integer("depth");
  p.activation = nn::parse_activation(params.choice("activation")).kind;
  p.target = parse_target(params.choice("target"));
  p.label_noise = params.real("label_noise");
  p.batch = params.integer("batch");
  p.lr = params.real("lr");
  p.steps = params.integer("steps");
  p.clip = params.real("clip");
  p.wd = params.real("wd");
  p.log_points = params.integer("log_points");
  p.toy_a = params.real("toy_a");
  p.toy_b = params.real("toy_b");
  p.single_precision = p.model == Model::mlp && params.choice("precision") == "float";
  return p;
}

}  // namespace support

namespace {

using config::ParamSpec;
using config::ParamType;
using namespace support;

constexpr double inf = std::numeric_limits<double>::infinity();

struct ColumnText {
  const char* long_name;
  const char* description;
};
// Per Metric (same order).
constexpr ColumnText texts[metric_count] = {
    {"irrelevant weight norm",
     "I = |W1[:, r:d]|_F, the Frobenius norm of the first-layer weights on the irrelevant inputs "
     "(mlp; NaN for the toy)"},
    {"relevant weight norm", "|W1[:, 0:r]|_F, the first-layer weights on the relevant inputs"},
    {"support ratio",
     "S = max_{j>=r} |W1[:, j]| / min_{j<r} |W1[:, j]| (column norms; S < 0.1: support "
     "recovered)"},
    {"full-batch MSE",
     "mean over the N = 2 n_train training points of (f(x) - y)^2 (mlp), or over the n_train "
     "points (toy)"},
};

}  // namespace

support::Columns support::declare(const Problem& problem, grid::ColumnSet& columns) {
  const grid::Dimension points{"log_point", static_cast<std::size_t>(nn::schedule_length(
                                                problem.steps, problem.log_points))};
  const auto d = static_cast<std::size_t>(problem.d);
  Columns ids;
  ids.rho = columns.metric("rho", "1", "irrelevant norm ratio",
                           "rho = I(T)/I(0): the irrelevant weight norm after the last step over "
                           "its value at initialisation (mlp)");
  for (std::size_t q = 0; q < metric_count; ++q)
    ids.metric[q] = columns.metric(metric_name(static_cast<Metric>(q)), "1", texts[q].long_name,
                                   cat(texts[q].description, ", after the last step"));
  ids.toy_gap = columns.metric("toy_gap", "1", "toy gap a^2 - b^2",
                               "toy: D = a^2 - b^2 after the last step (conserved by gradient "
                               "flow; NaN for the mlp)");
  ids.toy_law_error = columns.metric(
      "toy_law_error", "1", "toy law deviation",
      "toy: largest |D_{t+1} - D_t((1 - lr wd)^2 - 4 lr^2 c_t^2 m_t^2)| / |D_t| over the steps "
      "with "
      "|D_t| >= 0.01 (m_t = batch mean of (abx - y)x, c_t the clipping factor): rounding only");
  ids.decay_rate = columns.metric(
      "decay_rate", "1/step", "measured decay rate of D",
      "toy: -ln(D_T / D_{T-h}) / h over the second half of the run, h = floor(steps/2) (the first "
      "half is the burn-in)");
  ids.theory_decay_rate =
      columns.theory("theory_decay_rate", "decay_rate", "1/step", "eta/b law of the decay rate",
                     "toy: 4 lr^2 Var_i(r_i x_i) (n - b)/(b (n - 1)), r_i = x_i - y, on the task's "
                     "own data at the "
                     "minimum manifold ab = 1 (leading order in lr; 0 for full-batch GD)");
  ids.lr_over_batch = columns.derived("lr_over_batch", "1", "lr / batch",
                                      "eta/b with b the batch actually used (min(batch, N))");
  ids.curve_step = columns.curve("curve_step", points, "step", "step",
                                 "the optimizer steps of the curves: 0, then log-spaced up to "
                                 "`steps` (every step while log spacing would repeat one)");
  for (std::size_t q = 0; q < metric_count; ++q)
    ids.curve[q] = columns.curve(cat("curve_", metric_name(static_cast<Metric>(q))), points, "1",
                                 texts[q].long_name,
                                 cat(texts[q].description, ", at the steps of curve_step"));
  ids.curve_toy_gap = columns.curve("curve_toy_gap", points, "1", "toy gap a^2 - b^2",
                                    "toy: D = a^2 - b^2 at the steps of curve_step");
  ids.gram = columns.array("gram", {"input_i", d}, {"input_j", d}, "1", "Gram matrix |W1^T W1|",
                           "|W1^T W1| (d x d) after the last step: support found when only the "
                           "r x r block of relevant inputs is non-zero (mlp)");
  ids.stable_rank = columns.curve(
      "stable_rank", {"layer", static_cast<std::size_t>(problem.depth + 1)}, "1", "stable rank",
      "|W_l|_F^2 / |W_l|_2^2 of each weight matrix (hidden layers, then the output) after the last "
      "step (mlp)");
  std::size_t count = static_cast<std::size_t>(problem.width) * d +
                      static_cast<std::size_t>(problem.depth - 1) *
                          static_cast<std::size_t>(problem.width * problem.width) +
                      static_cast<std::size_t>(problem.width);
  if (problem.model == Model::toy) count = std::max<std::size_t>(count, 2);
  ids.weights = columns.weights(
      count,
      "mlp: W1 (width x d), W2 ... W_depth (width x width), then the output row (width), each "
      "row-major (rows = units of the layer above); toy: a, b");
  return ids;
}

namespace {

// The parameters the initialisation and the data depend on (besides the seed).
const std::vector<std::string> init_keys = {"model", "d", "width", "depth"};
const std::vector<std::string> data_keys = {"model", "n_train", "d"};

class Support final : public Experiment {
 public:
  std::string_view name() const override { return "support"; }
  std::string_view summary() const override {
    return "mini-batch SGD zeroes the first-layer weights on irrelevant inputs, full-batch GD "
           "keeps them: an implicit regularisation of order lr/batch "
           "(Beneventano, Pinto & Poggio 2024)";
  }
  const config::Schema& schema() const override { return schema_; }

  void resolve(config::ParamSet& params) const override {
    const bool toy = params.choice("model") == "toy";
    const std::int64_t n = params.integer("n_train");
    const std::int64_t points = toy ? n : 2 * n;
    if (std::holds_alternative<std::string>(params.value(*schema_.find("batch"))))
      params.set("batch", points);  // batch = full
    const std::int64_t d = params.integer("d"), r = params.integer("relevant");
    if (r > d)
      throw config_error(cat("relevant = ", r, " with d = ", d,
                             ": the relevant inputs are coordinates 0..r-1 of the d inputs — set "
                             "relevant <= d"));
    if (!(params.real("lr") > 0))
      throw config_error(cat("lr = ", params.real("lr"), ": the learning rate must be positive"));
    if (toy && n < 2)
      throw config_error(cat("n_train = ", n,
                             ": the toy needs at least 2 points (its data are rescaled to mean "
                             "x^2 = 1 and need a non-zero mean) — set n_train >= 2"));
    if (toy && params.choice("precision") == "float")
      throw config_error(
          "model = toy with precision = float: the toy always runs in double (its law is checked "
          "to rounding) — set precision = double");
  }

  double cost(const config::ParamSet& params) const override {
    const Problem p = problem_of(params);
    const auto steps = static_cast<double>(p.steps), b = static_cast<double>(p.effective_batch());
    const auto n = static_cast<double>(p.points());
    const auto curve = static_cast<double>(nn::schedule_length(p.steps, p.log_points));
    if (p.model == Model::toy) return steps * (10 * b + 30) + 20 * n;
    // papers_AB.md B.8: forward 2P + backward 4P per sample, clip + update ≈ 6P per step; the
    // evaluations a forward pass over the N training points; data ~30 FLOPs per normal.
    const auto width = static_cast<double>(p.width), d = static_cast<double>(p.d);
    const double parameters = d * width + static_cast<double>(p.depth - 1) * width * width + width;
    return steps * (6 * parameters * b + 6 * parameters) + curve * n * 2 * parameters + 30 * d * n;
  }

  // Calibration: cost() summed over jobs/examples/support.ini (6.6e11 FLOPs) over its CPU time
  // (18.6 s on 2 ranks, AMD EPYC Zen 4, release build, double): 3.5e10 FLOP/s. Batch-1 steps
  // run below it (per-step overhead), full-batch GD above.
  double nominal_flops() const override { return 3.5e10; }

  void columns(const config::ParamSet& params, grid::ColumnSet& columns) const override {
    declare(problem_of(params), columns);
  }

  void theory(const Cell& cell, grid::Row& row) const override {
    const Problem p = problem_of(cell.params);
    grid::ColumnSet columns(cell.options);
    const Columns ids = declare(p, columns);
    row.set(ids.lr_over_batch, p.lr / static_cast<double>(p.effective_batch()));
  }

  StreamKeys streams() const override {
    StreamKeys keys;
    keys.only(rng::Purpose::init, init_keys).only(rng::Purpose::data, data_keys);
    return keys.base(stream_key);
  }

  std::vector<std::string> replicates() const override { return {"seed", "batch_seed"}; }

  std::size_t preferred_pack(const config::ParamSet& params) const override {
    if (params.choice("model") == "toy") return 1;
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
      {"model",
       ParamType::choice,
       "mlp",
       "",
       "mlp: bias-free MLP d -> width x depth -> 1; toy: f = a b x on scalar data (always double)",
       -inf,
       inf,
       {"mlp", "toy"},
       false},
      {"n_train",
       ParamType::integer,
       "5000",
       "samples",
       "distinct points n; the mlp trains on N = 2n (each twice, labels f +- eps); the toy on n",
       1,
       1e8,
       {},
       false},
      {"d", ParamType::integer, "15", "1", "input dimension (mlp)", 1, 100000, {}, false},
      {"relevant",
       ParamType::integer,
       "5",
       "1",
       "r: the target depends on inputs 0..r-1 only; the others are irrelevant (mlp)",
       0,
       100000,
       {},
       false},
      {"width",
       ParamType::integer,
       "15",
       "units",
       "H: units per hidden layer (mlp)",
       1,
       100000,
       {},
       false},
      {"depth", ParamType::integer, "3", "layers", "hidden layers (mlp)", 1, 64, {}, false},
      {"activation",
       ParamType::choice,
       "identity",
       "",
       "activation of the hidden layers (mlp)",
       -inf,
       inf,
       {"identity", "relu"},
       false},
      {"target",
       ParamType::choice,
       "linear",
       "",
       "f(x) = sum_{j<r} x_j (linear), sin of it (sine), or sum_{j<r} x_j^(j+1) (staircase)",
       -inf,
       inf,
       {"linear", "sine", "staircase"},
       false},
      {"label_noise",
       ParamType::real,
       "0.001",
       "1",
       "eps: sd of the label noise; point i appears with labels f_i + eps_i and f_i - eps_i (mlp)",
       0,
       1e6,
       {},
       false},
      {"batch",
       ParamType::integer,
       "8",
       "samples",
       "mini-batch size b in training points (mlp: duplicated points), reshuffled each epoch, "
       "last partial batch kept; b >= N, or full: full-batch GD",
       1,
       1e9,
       {"full"},
       false},
      {"batch_seed",
       ParamType::integer,
       "0",
       "1",
       "replica of the batch order alone (init and data follow `seed`): a second replicate axis",
       0,
       1e15,
       {},
       false},
      {"lr", ParamType::real, "0.1", "1", "learning rate (constant)", 0, 1e6, {}, false},
      {"steps", ParamType::integer, "30000", "steps", "optimizer steps", 1, 1e10, {}, false},
      {"clip",
       ParamType::real,
       "1",
       "1",
       "global gradient-norm clipping: g <- g min(1, clip/(|g| + 1e-6)); 0: off",
       0,
       1e12,
       {},
       false},
      {"wd",
       ParamType::real,
       "0",
       "1",
       "coupled weight decay: g <- g + wd theta after clipping",
       0,
       1e6,
       {},
       false},
      {"log_points",
       ParamType::integer,
       "40",
       "points",
       "curve length: evaluation steps log-spaced in [0, steps] (all steps if fewer)",
       2,
       100000,
       {},
       false},
      {"toy_a", ParamType::real, "4", "1", "toy: initial a", -1e6, 1e6, {}, false},
      {"toy_b", ParamType::real, "2", "1", "toy: initial b", -1e6, 1e6, {}, false},
      {"precision",
       ParamType::choice,
       "double",
       "",
       "floating-point type of the mlp's training (metrics in double; the toy is always double)",
       -inf,
       inf,
       {"double", "float"},
       false},
  }};
};

}  // namespace

const Experiment& support_experiment() {
  static const Support experiment;
  return experiment;
}

}  // namespace nnsweep::experiments
