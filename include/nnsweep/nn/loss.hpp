#pragma once
// Per-sample losses ℓ(o, y) of one network output o and their exact derivatives ∂ℓ/∂o, as
// functors templated on the scalar (like nn/activation.hpp) so that the engine's loops over
// lanes vectorize. Values use core/fastmath.hpp: a lane's bits do not depend on vectorization.
#include <cmath>

#include "nnsweep/core/fastmath.hpp"
#include "nnsweep/nn/network.hpp"

namespace nnsweep::nn::loss {

// softplus(−y o), computed stably; derivative −y·sigmoid(−y o).
struct Logistic {
  template <typename T>
  static T value(T o, T y) {
    return fastmath::softplus(-y * o);
  }
  template <typename T>
  static T derivative(T o, T y) {
    return -y * fastmath::sigmoid(-y * o);
  }
};
// max(0, 1 − y o); derivative −y where y o < 1, else 0 (the subgradient 0 at the kink).
struct Hinge {
  template <typename T>
  static T value(T o, T y) {
    const T m = T(1) - y * o;
    return m > T(0) ? m : T(0);
  }
  template <typename T>
  static T derivative(T o, T y) {
    return y * o < T(1) ? -y : T(0);
  }
};
// (o − y)², no ½; derivative 2(o − y).
struct Mse {
  template <typename T>
  static T value(T o, T y) {
    return (o - y) * (o - y);
  }
  template <typename T>
  static T derivative(T o, T y) {
    return T(2) * (o - y);
  }
};

// Calls fn(F{}) with the loss functor of `kind`.
template <typename Fn>
decltype(auto) dispatch(LossKind kind, Fn&& fn) {
  switch (kind) {
    case LossKind::logistic:
      return fn(Logistic{});
    case LossKind::hinge:
      return fn(Hinge{});
    case LossKind::mse:
      break;
  }
  return fn(Mse{});
}

// Scalar evaluation in double (metrics).
inline double value(LossKind kind, double o, double y) {
  return dispatch(kind, [&](auto f) { return decltype(f)::value(o, y); });
}

}  // namespace nnsweep::nn::loss
