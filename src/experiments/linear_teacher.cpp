// linear_teacher: parameters, columns and cost model (the kernel is linear_teacher_train.cpp).
#include "nnsweep/experiments/linear_teacher.hpp"
#include "nnsweep/experiments/precision.hpp"

#include <cmath>
#include <limits>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/pack.hpp"
#include "nnsweep/nn/schedule.hpp"

namespace nnsweep::experiments {

namespace linear_teacher {

Problem problem_of(const config::ParamSet& params) {
  Problem p;
  p.k = params.integer("width");
  p.alpha = params.real("alpha");
  p.sigma0 = params.real("sigma0");
  p.gamma = params.real("gamma");
  p.d = params.integer("d");
  p.n_train = params.integer("n_train");
  p.n_test = params.integer("n_test");
  p.lr = params.real("lr");
  p.batch = params.integer("batch");
  p.epochs = params.integer("epochs");
  p.loss = nn::parse_loss(params.choice("loss"));
  p.train_second_layer = params.choice("second_layer") == "trained";
  p.log_points = params.integer("log_points");
  p.single_precision = params.choice("precision") == "float";
  return p;
}

}  // namespace linear_teacher

namespace {

using config::ParamSpec;
using config::ParamType;
using namespace linear_teacher;

constexpr double inf = std::numeric_limits<double>::infinity();

// Fraction of candidate inputs x ~ N(0, I/d) that pass the margin |⟨w*, x⟩| >= γ.
double acceptance(double gamma, std::int64_t d) {
  return std::erfc(gamma * std::sqrt(static_cast<double>(d) / 2));
}

struct ColumnText {
  const char* long_name;
  const char* description;
};
// Column texts per metric (same order as linear_teacher::Metric); definitions of papers_AB.md A.4.
constexpr ColumnText texts[metric_count] = {
    {"training loss",
     "mean over the training set of the training loss: softplus(-y N(x)) (logistic) or max(0, 1 - "
     "y N(x)) (hinge)"},
    {"training error", "fraction of training points with y N(x) <= 0"},
    {"test error",
     "fraction of the n_test fresh points of the data distribution (margin-rejected, teacher "
     "labels) with y N(x) <= 0"},
    {"mean teacher alignment",
     "mean over the 2k hidden units of a_i = s_i <w_i/|w_i|, w*> (s_i = +1 for the first k units, "
     "-1 for the others; |w*| = 1)"},
    {"least teacher alignment", "min over the hidden units of a_i = s_i <w_i/|w_i|, w*>"},
    {"mean cluster cohesion",
     "mean over units of <w_i/|w_i|, c_g>, c_g = normalised sum of the unit vectors w_j/|w_j| of "
     "the unit's sign group g"},
    {"least cluster cohesion",
     "min over units of <w_i/|w_i|, c_g> (1: every group is one direction)"},
    {"cluster spread",
     "max over groups g and units i in g of |w_i - m_g| / |m_g|, m_g = mean of the group's weight "
     "vectors"},
    {"agreement with the linear rule (data)",
     "fraction of the n_test test points where sign N(x) = sign <m_+ - m_-, x> (linearity of the "
     "decision boundary)"},
    {"agreement with the linear rule (Gaussian)",
     "the same on n_test probes x ~ N(0, I/d) without margin rejection, scaled like the data "
     "(probes the boundary region)"},
    {"pattern agreement",
     "min over the two groups of the fraction of training points on which all units of the group "
     "have the same sign of <w_i, x>"},
    {"rank ratio", "|W|_2 / |W|_F of the 2k x d first-layer matrix (1: rank one)"},
    {"antipodality", "cos(m_+, -m_-): 1 when the two cluster means point in opposite directions"},
};

}  // namespace

linear_teacher::Columns linear_teacher::declare(const Problem& problem, grid::ColumnSet& columns) {
  const grid::Dimension points{"log_point", static_cast<std::size_t>(nn::schedule_length(
                                                problem.epochs, problem.log_points))};
  Columns ids;
  for (std::size_t q = 0; q < metric_count; ++q)
    ids.metric[q] = columns.metric(metric_name(static_cast<Metric>(q)), "1", texts[q].long_name,
                                   cat(texts[q].description, ", after the last epoch"));
  ids.zero_error_epoch = columns.metric(
      "zero_error_epoch", "epoch", "first zero-error epoch",
      "first epoch (0 = at initialisation) at whose end the training error is 0; NaN if never "
      "within `epochs`");
  for (std::size_t q = 0; q < metric_count; ++q)
    ids.curve[q] = columns.curve(cat("curve_", metric_name(static_cast<Metric>(q))), points, "1",
                                 texts[q].long_name,
                                 cat(texts[q].description, ", at the epochs of curve_epoch"));
  ids.curve_epoch = columns.curve(
      "curve_epoch", points, "epoch", "epoch",
      "the evaluation epochs of the curves: 0, then log-spaced up to `epochs` (every epoch while "
      "log spacing would repeat one)");
  const auto hidden = static_cast<std::size_t>(2 * problem.k);
  ids.weights = columns.weights(hidden * static_cast<std::size_t>(problem.d) + hidden,
                                "w (2k x d, row-major: unit i's weights in row i, the first k "
                                "units of sign +1), then the second layer v (2k)");
  return ids;
}

namespace {

class LinearTeacher final : public Experiment {
 public:
  std::string_view name() const override { return "linear_teacher"; }
  std::string_view summary() const override {
    return "two-layer Leaky-ReLU nets trained by SGD on linearly separable data: global "
           "convergence, two clusters, a linear boundary "
           "(Sarussi, Brutzkus & Globerson 2021)";
  }
  const config::Schema& schema() const override { return schema_; }

  void resolve(config::ParamSet& params) const override {
    const std::int64_t depth = params.integer("depth");
    if (depth != 2)
      throw config_error(cat(
          "depth = ", depth,
          ": linear_teacher implements depth = 2 (one hidden layer of 2k units and the output) — "
          "deeper networks are a planned extension; set depth = 2"));
    if (!(params.real("lr") > 0))
      throw config_error(cat("lr = ", params.real("lr"), ": the learning rate must be positive"));
    if (!(params.real("sigma0") > 0))
      throw config_error(
          cat("sigma0 = ", params.real("sigma0"),
              ": must be positive (sigma0 = 0 starts every unit of a group at the same "
              "point, which makes clustering trivial)"));
    const double gamma = params.real("gamma");
    const std::int64_t d = params.integer("d");
    const double accepted = acceptance(gamma, d);
    if (accepted < 1e-3)
      throw config_error(cat("gamma = ", gamma, " with d = ", d, ": only ", accepted,
                             " of the inputs x ~ N(0, I/d) have |<w*, x>| >= gamma "
                             "(the margin) — lower gamma below about ",
                             2.3 / std::sqrt(static_cast<double>(d)), " or lower d"));
  }

  double cost(const config::ParamSet& params) const override {
    const Problem p = problem_of(params);
    // FLOPs (papers_AB.md A.8): per training sample, forward 2·2k·d + 2·2k and the fused
    // gradient/update 2·2k·d + 2·2k; per evaluation point, forwards on n + 2m points, pattern
    // agreement (2·2k·d per training point) and the linear rule (2d per test and probe point);
    // training-error checks on the first epochs; ~30 FLOPs per normal of the data.
    const auto k = static_cast<double>(p.k), d = static_cast<double>(p.d),
               n = static_cast<double>(p.n_train), m = static_cast<double>(p.n_test),
               epochs = static_cast<double>(p.epochs);
    const double forward = 4 * k * d + 4 * k;
    const double train = epochs * n * 2 * forward;
    const auto points = static_cast<double>(nn::schedule_length(p.epochs, p.log_points));
    const double evaluate = points * ((n + 2 * m) * forward + n * 4 * k * d + 2 * m * 2 * d);
    const double checks = std::min(epochs, 20.0) * n * forward;
    const double data = 30 * d * ((n + m) / acceptance(p.gamma, p.d) + m);
    return train + evaluate + checks + data;
  }

  // Calibration (bench/engine/run.sh prints it): cost() of the defaults divided by the CPU time
  // of run() on one pack of seeds of the defaults, one core of the reference machine (AMD EPYC
  // Zen 4, release build): 8.8e8 FLOPs in 0.021 s per task in double (4.2e10 FLOP/s, on the
  // training driver; 0.025 s before it); float runs 1.7x faster (7.1e10), which this
  // per-experiment figure does not distinguish.
  double nominal_flops() const override { return 4.2e10; }

  void columns(const config::ParamSet& params, grid::ColumnSet& columns) const override {
    declare(problem_of(params), columns);
  }

  // Teacher, data, initial normals and batch order depend on the seed alone (its stream index),
  // under this experiment's fixed key: cells that differ only in training parameters are paired.
  StreamKeys streams() const override {
    StreamKeys keys;
    for (const auto purpose : {rng::Purpose::data, rng::Purpose::test_data, rng::Purpose::init,
                               rng::Purpose::batch_order})
      keys.only(purpose, {});
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
       "50",
       "units",
       "k: hidden units per sign (2k hidden units in all)",
       1,
       100000,
       {},
       false},
      {"depth",
       ParamType::integer,
       "2",
       "layers",
       "layers of weights; only 2 (one hidden layer) is implemented",
       1,
       64,
       {},
       false},
      {"alpha",
       ParamType::real,
       "0.1",
       "1",
       "negative slope of the leaky ReLU max(z, alpha z) (0: ReLU, outside the theory)",
       0,
       1,
       {},
       false},
      {"sigma0",
       ParamType::real,
       "0.01",
       "1",
       "initial scale: w_i ~ N(0, sigma0^2/d I), so |w_i| is about sigma0",
       0,
       1000,
       {},
       false},
      {"gamma",
       ParamType::real,
       "0.2",
       "1",
       "margin: inputs with |<w*, x>| < gamma are redrawn (before rescaling by the largest "
       "training norm)",
       0,
       10,
       {},
       false},
      {"d", ParamType::integer, "10", "1", "input dimension", 1, 100000, {}, false},
      {"n_train",
       ParamType::integer,
       "200",
       "samples",
       "training set size n",
       1,
       10000000,
       {},
       false},
      {"n_test",
       ParamType::integer,
       "5000",
       "samples",
       "fresh points for test_error and agr_d, and as many Gaussian probes for agr_g",
       1,
       10000000,
       {},
       false},
      {"lr", ParamType::real, "0.1", "1", "SGD learning rate (constant)", 0, 1e6, {}, false},
      {"batch",
       ParamType::integer,
       "1",
       "samples",
       "mini-batch size, reshuffled each epoch, last partial batch kept (>= n_train: full-batch "
       "GD)",
       1,
       1e9,
       {},
       false},
      {"epochs",
       ParamType::integer,
       "200",
       "epochs",
       "training epochs (passes over the training set)",
       1,
       1e8,
       {},
       false},
      {"loss",
       ParamType::choice,
       "logistic",
       "",
       "training loss: logistic = softplus(-y N(x)), hinge = max(0, 1 - y N(x))",
       -inf,
       inf,
       {"logistic", "hinge"},
       false},
      {"second_layer",
       ParamType::choice,
       "fixed",
       "",
       "second layer: fixed at +-1/sqrt(2k), or trained from there",
       -inf,
       inf,
       {"fixed", "trained"},
       false},
      {"log_points",
       ParamType::integer,
       "30",
       "points",
       "curve length: evaluation epochs log-spaced in [0, epochs] (all epochs if fewer)",
       2,
       100000,
       {},
       false},
      {"precision",
       ParamType::choice,
       "double",
       "",
       "floating-point type of the training (metrics accumulate in double)",
       -inf,
       inf,
       {"double", "float"},
       false},
  }};
};

}  // namespace

const Experiment& linear_teacher_experiment() {
  static const LinearTeacher experiment;
  return experiment;
}

}  // namespace nnsweep::experiments
