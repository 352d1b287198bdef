#pragma once
// A scalar (double, Eigen) reference model of the networks the packed engine trains: the same
// NetworkSpec, losses (nn/loss.hpp), batch mean and parameter layout (nn::Layout) as nn::Pack,
// with the loss value, its gradient, its exact Hessian and the per-sample Jacobian of the
// outputs. It is the second implementation the engine is tested against, and the model of the
// second-order polish (nn/polish.hpp). Clarity over speed: one sample at a time, dense Eigen.
//
// Coordinates. θ is always the full parameter vector of one replica in Layout order (fixed groups
// included, held at their values). The gradient is returned in the same full layout with zeros on
// fixed groups, as Pack::gradient. The Hessian, the Gauss–Newton matrix and the Jacobian are
// taken with respect to the trainable ("free") parameters only: column (and row) k belongs to the
// layout index free_indices()[k], so fixed groups are excluded, not zero-padded (a Newton step or
// an eigenvalue count sees no artificial zero directions). When every group is trainable the free
// coordinates are the layout itself.
//
// Loss. L(θ) = (1/m) Σ_s Σ_o ℓ(f_o(x_s; θ), y_so) with m = samples × (outputs for mse, 1 for
// logistic and hinge): Pack's mean divisor. ℓ'' is y²·σ(−yo)(1 − σ(−yo)) for logistic, 2 for mse
// and 0 for hinge; kinks (hinge at yo = 1, relu/leaky_relu at 0) take the engine's one-sided
// first derivative and second derivative 0 (nn/activation.hpp), so the Hessian is that of the
// smooth piece θ lies on.
#include <Eigen/Core>
#include <cstddef>
#include <vector>

#include "nnsweep/nn/network.hpp"

namespace nnsweep::nn {

// A data set: row s of x is sample s's input (input columns), row s of y its targets (output
// columns; ±1 for logistic and hinge).
struct Samples {
  Eigen::MatrixXd x, y;
  Eigen::Index size() const { return x.rows(); }
};

// What an evaluation computes besides the value and gradient.
enum class Curvature {
  none,
  hessian,       // the exact Hessian ∇²L
  gauss_newton,  // G = (1/m) Σ_s J_sᵀ diag(ℓ''(f(x_s), y_s)) J_s (= ∇²L at zero mse residual)
};

class ReferenceModel {
 public:
  // Throws config_error for an invalid network (nn::validate's checks of the network and loss).
  ReferenceModel(const NetworkSpec& network, LossKind loss);

  const NetworkSpec& network() const { return network_; }
  LossKind loss() const { return loss_; }
  const Layout& layout() const { return layout_; }
  Eigen::Index size() const { return static_cast<Eigen::Index>(layout_.size); }
  Eigen::Index free_size() const { return static_cast<Eigen::Index>(free_.size()); }
  // Layout index of free coordinate k, increasing in k.
  const std::vector<Eigen::Index>& free_indices() const { return free_; }
  // The free entries of a full-layout vector, and the inverse (fixed entries of `full` kept).
  Eigen::VectorXd to_free(const Eigen::VectorXd& full) const;
  void from_free(const Eigen::VectorXd& free, Eigen::VectorXd& full) const;

  // Network outputs: one sample (size output()), or every row of x (rows × output()).
  Eigen::VectorXd output(const Eigen::VectorXd& theta, const Eigen::VectorXd& x) const;
  Eigen::MatrixXd outputs(const Eigen::VectorXd& theta, const Eigen::MatrixXd& x) const;
  // ∂f_o(x)/∂θ_free: output() × free_size().
  Eigen::MatrixXd jacobian(const Eigen::VectorXd& theta, const Eigen::VectorXd& x) const;
  // The mean divisor m of the loss over `samples` rows.
  double divisor(Eigen::Index samples) const;

  double value(const Eigen::VectorXd& theta, const Samples& data) const;

  struct Evaluation {
    double value = 0;
    Eigen::VectorXd gradient;   // full layout, 0 on fixed groups
    Eigen::MatrixXd curvature;  // free_size() square (empty for Curvature::none)
  };
  // One pass over the data. The Hessian is assembled row by row as ∂(∇L)_p/∂θ (forward-mode
  // tangents of the backward pass), not symmetrised: it is symmetric to rounding (tested).
  Evaluation evaluate(const Eigen::VectorXd& theta, const Samples& data,
                      Curvature curvature = Curvature::none) const;
  Eigen::VectorXd gradient(const Eigen::VectorXd& theta, const Samples& data) const {
    return evaluate(theta, data).gradient;
  }
  Eigen::MatrixXd hessian(const Eigen::VectorXd& theta, const Samples& data) const {
    return evaluate(theta, data, Curvature::hessian).curvature;
  }
  Eigen::MatrixXd gauss_newton(const Eigen::VectorXd& theta, const Samples& data) const {
    return evaluate(theta, data, Curvature::gauss_newton).curvature;
  }

 private:
  void check(const Eigen::VectorXd& theta, const Samples* data) const;

  NetworkSpec network_;
  LossKind loss_;
  Layout layout_;
  std::vector<Eigen::Index> free_;
  std::vector<Eigen::Index> free_of_;  // layout index → free coordinate, −1 if fixed
};

}  // namespace nnsweep::nn
