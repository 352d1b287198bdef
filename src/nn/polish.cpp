#include "nnsweep/nn/polish.hpp"
#include "nnsweep/core/assert.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "nnsweep/core/error.hpp"

namespace nnsweep::nn {

std::string_view polish_method_name(PolishMethod method) {
  return method == PolishMethod::newton ? "newton" : "lm";
}

PolishMethod parse_polish_method(std::string_view name) {
  for (PolishMethod method : {PolishMethod::newton, PolishMethod::levenberg_marquardt})
    if (name == polish_method_name(method)) return method;
  throw config_error(cat("polish = ", name, ": unknown method — use newton or lm"));
}

std::string_view polish_outcome_name(PolishOutcome outcome) {
  switch (outcome) {
    case PolishOutcome::converged:
      return "converged";
    case PolishOutcome::budget:
      return "budget";
    case PolishOutcome::non_finite:
      return "non_finite";
    case PolishOutcome::channel:
      break;
  }
  return "channel";
}

PolishResult polish(const Objective& objective, Eigen::VectorXd& u, const PolishOptions& options) {
  const Eigen::Index n = objective.dimension();
  NNSWEEP_ASSERT(u.size() == n, "polish: start of size ", u.size(), " — the objective has ", n,
                 " coordinates");
  NNSWEEP_CHECK(options.gradient_tolerance >= 0 && options.max_steps >= 1 &&
                    options.initial_damping > 0 && options.min_damping > 0 &&
                    options.max_backtracks >= 1,
                "polish options: tolerance ", options.gradient_tolerance, ", max_steps ",
                options.max_steps, ", damping ", options.initial_damping, " (floor ",
                options.min_damping, "), backtracks ", options.max_backtracks,
                " — need tolerance >= 0, positive damping, at least one step and one backtrack");
  const Curvature kind =
      options.method == PolishMethod::newton ? Curvature::hessian : Curvature::gauss_newton;
  constexpr double armijo = 1e-4, ceiling = 1e15;
  constexpr double rounding = 64 * std::numeric_limits<double>::epsilon();
  PolishResult result;
  Eigen::VectorXd g, g_trial, trial, p;
  Eigen::MatrixXd c;
  double f = objective.curvature(u, kind, g, c);
  result.steps = 1;
  double mu = -1;
  while (true) {
    const double g_norm = g.size() == 0 ? 0.0 : g.lpNorm<Eigen::Infinity>();
    result.value = f;
    result.gradient_norm = g_norm;
    if (!std::isfinite(f) || !std::isfinite(g_norm)) {
      result.outcome = PolishOutcome::non_finite;
      break;
    }
    if (g_norm <= options.gradient_tolerance) {
      result.outcome = PolishOutcome::converged;
      break;
    }
    if (!c.allFinite()) {
      result.outcome = PolishOutcome::non_finite;
      break;
    }
    if (result.steps >= options.max_steps) {
      result.outcome = PolishOutcome::budget;
      break;
    }
    const double scale = 1 + c.diagonal().cwiseAbs().maxCoeff();
    mu = mu < 0 ? options.initial_damping * scale : mu;
    mu = std::clamp(mu, options.min_damping * scale, ceiling * scale);
    bool accepted = false;
    while (!accepted) {
      Eigen::MatrixXd damped = c;
      damped.diagonal().array() += mu;
      const Eigen::LLT<Eigen::MatrixXd> llt(damped);
      if (llt.info() == Eigen::Success) {
        p = llt.solve(-g);
        const double slope = g.dot(p);
        double t = 1;
        for (int k = 0; k < options.max_backtracks && slope < 0; ++k, t *= 0.5) {
          trial = u + t * p;
          const double f_trial = objective.value(trial);
          ++result.evaluations;
          if (!std::isfinite(f_trial)) continue;
          if (f_trial <= f + armijo * t * slope) {
            accepted = true;
          } else if (std::fabs(f_trial - f) <=
                     rounding * std::max(std::fabs(f), std::fabs(f_trial))) {
            // The decrease is below the rounding of f: judge the step by the gradient instead.
            objective.gradient(trial, g_trial);
            ++result.evaluations;
            accepted = g_trial.allFinite() && g_trial.lpNorm<Eigen::Infinity>() < g_norm;
          }
          if (accepted) break;
        }
        if (accepted) {
          u.swap(trial);
          mu = t == 1 ? std::max(mu / 4, options.min_damping * scale) : mu * 2;
          break;
        }
      }
      mu *= 10;
      if (mu > ceiling * scale) break;
    }
    result.damping = mu;
    if (!accepted) {  // no step lowers f at any damping: stuck
      result.outcome = PolishOutcome::budget;
      break;
    }
    f = objective.curvature(u, kind, g, c);
    ++result.steps;
  }
  result.damping = std::max(mu, 0.0);
  return result;
}

NetworkObjective::NetworkObjective(const ReferenceModel& model, const Samples& data,
                                   Eigen::VectorXd theta)
    : model_(model), data_(data), theta_(std::move(theta)) {
  NNSWEEP_ASSERT(theta_.size() == model_.size(), "parameter vector of size ", theta_.size(),
                 " — the network's layout has ", model_.size(), " parameters");
}

Eigen::Index NetworkObjective::dimension() const {
  return model_.free_size();
}

Eigen::VectorXd NetworkObjective::start() const {
  return model_.to_free(theta_);
}

Eigen::VectorXd NetworkObjective::full(const Eigen::VectorXd& u) const {
  Eigen::VectorXd out = theta_;
  model_.from_free(u, out);
  return out;
}

double NetworkObjective::value(const Eigen::VectorXd& u) const {
  return model_.value(full(u), data_);
}

double NetworkObjective::gradient(const Eigen::VectorXd& u, Eigen::VectorXd& gradient) const {
  const ReferenceModel::Evaluation e = model_.evaluate(full(u), data_);
  gradient = model_.to_free(e.gradient);
  return e.value;
}

double NetworkObjective::curvature(const Eigen::VectorXd& u, Curvature kind,
                                   Eigen::VectorXd& gradient, Eigen::MatrixXd& curvature) const {
  ReferenceModel::Evaluation e = model_.evaluate(full(u), data_, kind);
  gradient = model_.to_free(e.gradient);
  curvature = std::move(e.curvature);
  return e.value;
}

}  // namespace nnsweep::nn
