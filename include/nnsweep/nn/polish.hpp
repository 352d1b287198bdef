#pragma once
// Second-order polish in double: damped Newton or Levenberg–Marquardt (Gauss–Newton) with a
// backtracking line search, driving ‖∇f‖∞ below a tolerance within a step budget. It finishes
// what first-order training started (the `symmetry` experiment polishes students to
// ‖∇L‖∞ < 1e-10, where replica neurons merge). Failure is a result, not an exception.
//
// The objective contract (one place, as ensmallen's): an Objective maps u ∈ R^n to a value, its
// gradient, and a curvature matrix: the exact Hessian for Newton, or a positive semidefinite
// model of it (Gauss–Newton) for Levenberg–Marquardt. value() may return inf/NaN for points it
// cannot evaluate; the line search then backtracks.
//
// The iteration, from u: stop with `converged` when ‖g‖∞ <= gradient_tolerance; otherwise solve
// (C + μI)p = −g by Cholesky, raising μ until C + μI is positive definite (so indefinite Hessians
// near saddles give descent directions), and backtrack t = 1, ½, … on the Armijo condition
// f(u + tp) <= f(u) + 1e-4·t·gᵀp. Close to a minimiser the decrease can fall below the rounding
// of f; a trial whose value is equal to f(u) within rounding is then accepted when it lowers
// ‖g‖∞. A full step lowers μ (÷4), a shortened or failed one raises it (×2, ×10); μ stays within
// [min_damping, 1e15]·(1 + max|C_ii|) (the floor keeps steps along exactly flat directions, e.g.
// symmetry manifolds, from amplifying rounding). The first μ is initial_damping·(1 + max|C_ii|).
// Outcomes: converged; budget (max_steps curvature evaluations used, or μ at its ceiling with no
// acceptable step); non_finite (the value or gradient at the current point is not finite).
#include <Eigen/Core>
#include <string_view>

#include "nnsweep/nn/reference.hpp"

namespace nnsweep::nn {

class Objective {
 public:
  virtual ~Objective() = default;
  virtual Eigen::Index dimension() const = 0;
  virtual double value(const Eigen::VectorXd& u) const = 0;
  // Returns f(u) and sets gradient (size dimension()).
  virtual double gradient(const Eigen::VectorXd& u, Eigen::VectorXd& gradient) const = 0;
  // Returns f(u), sets the gradient and the curvature (dimension() square, symmetric to
  // rounding); kind is Curvature::hessian or Curvature::gauss_newton.
  virtual double curvature(const Eigen::VectorXd& u, Curvature kind, Eigen::VectorXd& gradient,
                           Eigen::MatrixXd& curvature) const = 0;
};

enum class PolishMethod {
  newton,               // exact Hessian (+ μI where it is not positive definite)
  levenberg_marquardt,  // Gauss–Newton + μI
};
// channel is never returned by polish() itself: an experiment that recognises a run leaving
// for infinity (|a| exploding while two w's merge: the "channels" of Şimşek et al.) reports it.
enum class PolishOutcome { converged, budget, non_finite, channel };
// "newton", "lm"; and "converged", "budget", "non_finite", "channel".
std::string_view polish_method_name(PolishMethod method);
PolishMethod parse_polish_method(std::string_view name);  // config_error naming the choices
std::string_view polish_outcome_name(PolishOutcome outcome);

struct PolishOptions {
  PolishMethod method = PolishMethod::levenberg_marquardt;
  double gradient_tolerance = 1e-10;  // on ‖∇f‖∞
  int max_steps = 100;                // curvature evaluations
  double initial_damping = 1e-3;      // relative to 1 + max|C_ii|
  double min_damping = 1e-12;         // floor of μ, relative to 1 + max|C_ii|
  int max_backtracks = 30;            // halvings per line search
};

struct PolishResult {
  PolishOutcome outcome = PolishOutcome::budget;
  int steps = 0;             // curvature evaluations
  int evaluations = 0;       // value and gradient evaluations besides those
  double value = 0;          // f at the returned point
  double gradient_norm = 0;  // ‖∇f‖∞ there
  double damping = 0;        // the last μ
};

// Polishes u in place (u is left at the last accepted point).
PolishResult polish(const Objective& objective, Eigen::VectorXd& u,
                    const PolishOptions& options = {});

// The reference model's loss over a data set as an Objective of the free parameters; the fixed
// ones stay at theta's values. Keeps references to model and data.
class NetworkObjective final : public Objective {
 public:
  NetworkObjective(const ReferenceModel& model, const Samples& data, Eigen::VectorXd theta);
  Eigen::Index dimension() const override;
  double value(const Eigen::VectorXd& u) const override;
  double gradient(const Eigen::VectorXd& u, Eigen::VectorXd& gradient) const override;
  double curvature(const Eigen::VectorXd& u, Curvature kind, Eigen::VectorXd& gradient,
                   Eigen::MatrixXd& curvature) const override;
  // The free coordinates of theta, and the full parameter vector at free coordinates u.
  Eigen::VectorXd start() const;
  Eigen::VectorXd full(const Eigen::VectorXd& u) const;

 private:
  const ReferenceModel& model_;
  const Samples& data_;
  Eigen::VectorXd theta_;
};

}  // namespace nnsweep::nn
