#include "nnsweep/nn/reference.hpp"
#include "nnsweep/core/assert.hpp"

#include <Eigen/Dense>
#include <cmath>

#include "nnsweep/core/error.hpp"
#include "nnsweep/nn/activation.hpp"
#include "nnsweep/nn/loss.hpp"

namespace nnsweep::nn {

namespace {

using Index = Eigen::Index;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMap = Eigen::Map<const RowMatrix>;

// ∂²ℓ/∂o² of the losses of nn/loss.hpp (hinge: 0 on both sides of its kink).
double loss_second_derivative(LossKind kind, double o, double y) {
  switch (kind) {
    case LossKind::logistic: {
      const double s = fastmath::sigmoid(-y * o);
      return y * y * s * (1 - s);
    }
    case LossKind::hinge:
      return 0;
    case LossKind::mse:
      break;
  }
  return 2;
}

double loss_derivative(LossKind kind, double o, double y) {
  return loss::dispatch(kind, [&](auto f) { return decltype(f)::derivative(o, y); });
}

Index idx(std::size_t i) {
  return static_cast<Index>(i);
}

}  // namespace

ReferenceModel::ReferenceModel(const NetworkSpec& network, LossKind loss)
    : network_(network), loss_(loss), layout_(network) {
  TrainSpec spec;
  spec.network = network;
  spec.loss = loss;
  validate(spec);
  free_of_.assign(layout_.size, -1);
  for (const ParamGroup& group : layout_.groups) {
    if (!group.trainable) continue;
    for (std::size_t q = group.offset; q < group.offset + group.count; ++q) {
      free_of_[q] = static_cast<Index>(free_.size());
      free_.push_back(idx(q));
    }
  }
}

Eigen::VectorXd ReferenceModel::to_free(const Eigen::VectorXd& full) const {
  check(full, nullptr);
  Eigen::VectorXd out(free_size());
  for (Index k = 0; k < free_size(); ++k) out[k] = full[free_[static_cast<std::size_t>(k)]];
  return out;
}

void ReferenceModel::from_free(const Eigen::VectorXd& free, Eigen::VectorXd& full) const {
  check(full, nullptr);
  NNSWEEP_ASSERT(free.size() == free_size(), "free parameter vector of size ", free.size(),
                 " — the network has ", free_size(), " trainable parameters");
  for (Index k = 0; k < free_size(); ++k) full[free_[static_cast<std::size_t>(k)]] = free[k];
}

double ReferenceModel::divisor(Index samples) const {
  return static_cast<double>(samples) *
         (loss_ == LossKind::mse ? static_cast<double>(network_.output()) : 1.0);
}

void ReferenceModel::check(const Eigen::VectorXd& theta, const Samples* data) const {
  NNSWEEP_ASSERT(theta.size() == size(), "parameter vector of size ", theta.size(),
                 " — the network's layout has ", size(), " parameters");
  if (data == nullptr) return;
  NNSWEEP_ASSERT(data->x.cols() == network_.input && data->y.cols() == network_.output() &&
                     data->y.rows() == data->x.rows() && data->x.rows() >= 1,
                 "samples of shape x ", data->x.rows(), "×", data->x.cols(), ", y ", data->y.rows(),
                 "×", data->y.cols(), " — need n×", network_.input, " and n×", network_.output(),
                 " with n >= 1");
}

namespace {

// One sample's forward pass (and, on request, the forward-mode tangents of every layer with
// respect to the free parameters), then its backward pass and the tangents of that.
class Pass {
 public:
  // free_of: layout index → free coordinate (−1 for fixed parameters).
  Pass(const ReferenceModel& model, const Eigen::VectorXd& theta, const std::vector<Index>& free_of)
      : model_(model),
        net_(model.network()),
        layout_(model.layout()),
        theta_(theta),
        free_of_(free_of) {
    const auto depth = static_cast<std::size_t>(net_.depth());
    a_.resize(depth);
    z_.resize(depth);
    a_tangent_.resize(depth);
    z_tangent_.resize(depth);
  }

  ConstRowMap weights(int l) const {
    const auto ul = static_cast<std::size_t>(l);
    return {theta_.data() + layout_.weights[ul], net_.layers[ul].width, net_.fan_in(l)};
  }
  Index free_of(std::size_t layout_index) const { return free_of_[layout_index]; }

  // f(x); with `tangents`, also ∂z_l/∂θ_free and ∂a_l/∂θ_free for every layer (a_0 = x has none).
  Eigen::VectorXd forward(const Eigen::VectorXd& x, bool tangents) {
    const int depth = net_.depth();
    const Index free = model_.free_size();
    Eigen::VectorXd in = x;
    for (int l = 0; l < depth; ++l) {
      const auto ul = static_cast<std::size_t>(l);
      const LayerSpec& layer = net_.layers[ul];
      a_[ul] = in;
      Eigen::VectorXd z = weights(l) * in;
      if (layer.bias) z += theta_.segment(idx(layout_.bias[ul]), layer.width);
      if (tangents) {
        RowMatrix& zt = z_tangent_[ul];
        if (l == 0)
          zt.setZero(layer.width, free);
        else
          zt.noalias() = weights(l) * a_tangent_[ul];
        if (layer.trainable) {
          const int fan_in = net_.fan_in(l);
          for (int i = 0; i < layer.width; ++i) {
            for (int j = 0; j < fan_in; ++j)
              zt(i, free_of(layout_.weights[ul] + static_cast<std::size_t>(i * fan_in + j))) +=
                  in[j];
            if (layer.bias) zt(i, free_of(layout_.bias[ul] + static_cast<std::size_t>(i))) += 1;
          }
        }
      }
      z_[ul] = z;
      if (l + 1 == depth) break;
      Eigen::VectorXd next(layer.width), slope(layer.width);
      dispatch(net_.activation, [&](auto f) {
        using F = decltype(f);
        for (int i = 0; i < layer.width; ++i) {
          next[i] = F::value(z[i], net_.activation.alpha);
          slope[i] = F::derivative(z[i], net_.activation.alpha);
        }
      });
      if (tangents) a_tangent_[ul + 1] = slope.asDiagonal() * z_tangent_[ul];
      in = next;
    }
    Eigen::VectorXd out = z_.back();
    if (net_.skip) {
      const int outputs = net_.output();
      out += ConstRowMap(theta_.data() + layout_.skip_weights, outputs, net_.input) * x +
             theta_.segment(idx(layout_.skip_bias), outputs);
      if (tangents && net_.skip_trainable)
        for (int o = 0; o < outputs; ++o) {
          for (int j = 0; j < net_.input; ++j)
            z_tangent_.back()(o, free_of(layout_.skip_weights +
                                         static_cast<std::size_t>(o * net_.input + j))) += x[j];
          z_tangent_.back()(o, free_of(layout_.skip_bias + static_cast<std::size_t>(o))) += 1;
        }
    }
    return out;
  }
  const RowMatrix& output_tangent() const { return z_tangent_.back(); }

  // Adds this sample's gradient (δ_out = ∂L/∂f) to `grad` and, with `hess`, the rows
  // ∂(∇L)_p/∂θ_free given the output tangent delta_out_tangent = ∂δ_out/∂θ_free (which needs
  // forward(x, true) first).
  void backward(const Eigen::VectorXd& x, const Eigen::VectorXd& delta_out, Eigen::VectorXd& grad,
                const RowMatrix* delta_out_tangent, RowMatrix* hess) {
    const int depth = net_.depth();
    Eigen::VectorXd delta = delta_out;
    RowMatrix delta_t;
    if (hess != nullptr) delta_t = *delta_out_tangent;
    if (net_.skip && net_.skip_trainable) {
      for (int o = 0; o < net_.output(); ++o) {
        for (int j = 0; j < net_.input; ++j) {
          const std::size_t p = layout_.skip_weights + static_cast<std::size_t>(o * net_.input + j);
          grad[idx(p)] += delta[o] * x[j];
          if (hess != nullptr) hess->row(free_of(p)) += x[j] * delta_t.row(o);
        }
        const std::size_t p = layout_.skip_bias + static_cast<std::size_t>(o);
        grad[idx(p)] += delta[o];
        if (hess != nullptr) hess->row(free_of(p)) += delta_t.row(o);
      }
    }
    for (int l = depth - 1; l >= 0; --l) {
      const auto ul = static_cast<std::size_t>(l);
      const LayerSpec& layer = net_.layers[ul];
      const int fan_in = net_.fan_in(l);
      const Eigen::VectorXd& a_in = a_[ul];
      if (layer.trainable) {
        for (int i = 0; i < layer.width; ++i) {
          for (int j = 0; j < fan_in; ++j) {
            const std::size_t p = layout_.weights[ul] + static_cast<std::size_t>(i * fan_in + j);
            grad[idx(p)] += delta[i] * a_in[j];
            if (hess != nullptr) {
              // ∂(δ_i a_j) = a_j ∂δ_i + δ_i ∂a_j (the input x has no tangent).
              auto row = hess->row(free_of(p));
              row += a_in[j] * delta_t.row(i);
              if (l > 0) row += delta[i] * a_tangent_[ul].row(j);
            }
          }
          if (layer.bias) {
            const std::size_t p = layout_.bias[ul] + static_cast<std::size_t>(i);
            grad[idx(p)] += delta[i];
            if (hess != nullptr) hess->row(free_of(p)) += delta_t.row(i);
          }
        }
      }
      if (l == 0) break;
      // δ_below = σ'(z) ⊙ Wᵀδ; its tangent σ'(z) ⊙ (Wᵀ∂δ + (∂W)ᵀδ) + σ''(z) ⊙ Wᵀδ ⊙ ∂z.
      const Eigen::VectorXd back = weights(l).transpose() * delta;
      RowMatrix back_t;
      if (hess != nullptr) {
        back_t.noalias() = weights(l).transpose() * delta_t;
        if (layer.trainable)
          for (int i = 0; i < layer.width; ++i)
            for (int j = 0; j < fan_in; ++j)
              back_t(j, free_of(layout_.weights[ul] + static_cast<std::size_t>(i * fan_in + j))) +=
                  delta[i];
      }
      const Eigen::VectorXd& z_below = z_[ul - 1];
      Eigen::VectorXd below(fan_in), slope(fan_in), curve(fan_in);
      dispatch(net_.activation, [&](auto f) {
        using F = decltype(f);
        for (int j = 0; j < fan_in; ++j) {
          slope[j] = F::derivative(z_below[j], net_.activation.alpha);
          curve[j] = F::second_derivative(z_below[j], net_.activation.alpha);
        }
      });
      below = slope.cwiseProduct(back);
      if (hess != nullptr) {
        RowMatrix next = slope.asDiagonal() * back_t;
        next += curve.cwiseProduct(back).asDiagonal() * z_tangent_[ul - 1];
        delta_t.swap(next);
      }
      delta.swap(below);
    }
  }

 private:
  const ReferenceModel& model_;
  const NetworkSpec& net_;
  const Layout& layout_;
  const Eigen::VectorXd& theta_;
  const std::vector<Index>& free_of_;
  std::vector<Eigen::VectorXd> a_, z_;  // a_[l]: input of layer l; z_[l]: its pre-activation
  std::vector<RowMatrix> a_tangent_, z_tangent_;  // a_tangent_[0] unused (the input is fixed)
};

}  // namespace

Eigen::VectorXd ReferenceModel::output(const Eigen::VectorXd& theta,
                                       const Eigen::VectorXd& x) const {
  check(theta, nullptr);
  NNSWEEP_ASSERT(x.size() == network_.input, "input of size ", x.size(), " — the network takes ",
                 network_.input);
  Pass pass(*this, theta, free_of_);
  return pass.forward(x, false);
}

Eigen::MatrixXd ReferenceModel::outputs(const Eigen::VectorXd& theta,
                                        const Eigen::MatrixXd& x) const {
  check(theta, nullptr);
  NNSWEEP_ASSERT(x.cols() == network_.input, "inputs with ", x.cols(),
                 " columns — the network takes ", network_.input);
  Pass pass(*this, theta, free_of_);
  Eigen::MatrixXd out(x.rows(), network_.output());
  for (Index s = 0; s < x.rows(); ++s) out.row(s) = pass.forward(x.row(s).transpose(), false);
  return out;
}

Eigen::MatrixXd ReferenceModel::jacobian(const Eigen::VectorXd& theta,
                                         const Eigen::VectorXd& x) const {
  check(theta, nullptr);
  NNSWEEP_ASSERT(x.size() == network_.input, "input of size ", x.size(), " — the network takes ",
                 network_.input);
  Pass pass(*this, theta, free_of_);
  pass.forward(x, true);
  return pass.output_tangent();
}

double ReferenceModel::value(const Eigen::VectorXd& theta, const Samples& data) const {
  check(theta, &data);
  Pass pass(*this, theta, free_of_);
  double sum = 0;
  for (Index s = 0; s < data.size(); ++s) {
    const Eigen::VectorXd out = pass.forward(data.x.row(s).transpose(), false);
    for (int o = 0; o < network_.output(); ++o) sum += loss::value(loss_, out[o], data.y(s, o));
  }
  return sum * (1 / divisor(data.size()));  // as evaluate(): the same bits
}

ReferenceModel::Evaluation ReferenceModel::evaluate(const Eigen::VectorXd& theta,
                                                    const Samples& data,
                                                    Curvature curvature) const {
  check(theta, &data);
  Pass pass(*this, theta, free_of_);
  const double scale = 1 / divisor(data.size());
  const int outputs = network_.output();
  const Index free = free_size();
  Evaluation result;
  result.gradient.setZero(size());
  RowMatrix curv;
  if (curvature != Curvature::none) curv.setZero(free, free);
  double sum = 0;
  Eigen::VectorXd delta(outputs), second(outputs);
  RowMatrix delta_t;
  for (Index s = 0; s < data.size(); ++s) {
    const Eigen::VectorXd x = data.x.row(s).transpose();
    const Eigen::VectorXd out = pass.forward(x, curvature != Curvature::none);
    for (int o = 0; o < outputs; ++o) {
      const double y = data.y(s, o);
      sum += loss::value(loss_, out[o], y);
      delta[o] = scale * loss_derivative(loss_, out[o], y);
      second[o] = scale * loss_second_derivative(loss_, out[o], y);
    }
    if (curvature == Curvature::gauss_newton) {
      const RowMatrix& jac = pass.output_tangent();
      curv.noalias() += jac.transpose() * second.asDiagonal() * jac;
    }
    if (curvature == Curvature::hessian) {
      delta_t.noalias() = second.asDiagonal() * pass.output_tangent();
      pass.backward(x, delta, result.gradient, &delta_t, &curv);
    } else {
      pass.backward(x, delta, result.gradient, nullptr, nullptr);
    }
  }
  result.value = sum * scale;
  if (curvature != Curvature::none) result.curvature = curv;
  return result;
}

}  // namespace nnsweep::nn
