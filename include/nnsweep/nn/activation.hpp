#pragma once
// Activation functions with exact derivatives, shared by the random-network samplers, the
// training engine and the theory columns. Each activation is a functor type with static
// value/derivative templates on the scalar type, so kernels dispatch ONCE per call (dispatch())
// and their inner loops over SIMD lanes inline and vectorize. Values use core/fastmath.hpp, not
// libm, except erf-based ones (erf, gelu), which call std::erf per lane.
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nnsweep/core/fastmath.hpp"

namespace nnsweep::nn {

enum class ActivationKind { identity, relu, leaky_relu, tanh, softplus, sigmoid, erf, gelu, g };

// An activation and its parameter: the negative slope α of leaky_relu (ignored by the others).
struct Activation {
  ActivationKind kind = ActivationKind::relu;
  double alpha = 0;
};

// Names as written in specs: identity (alias linear), relu, leaky_relu, tanh, softplus, sigmoid,
// erf, gelu, g (= sigmoid(4x) + softplus(x), the count-faithful activation of Şimşek et al.).
const std::vector<std::string>& activation_names();
std::string_view activation_name(ActivationKind kind);
// Throws config_error naming the valid choices.
Activation parse_activation(std::string_view name, double alpha = 0);

// σ(cz) = cσ(z) for c > 0: the piecewise-linear activations with exact finite-width laws.
bool is_homogeneous(ActivationKind kind);
// Slope for z < 0 of a homogeneous activation (identity 1, relu 0, leaky_relu α).
double negative_slope(const Activation& a);

namespace act {

// Every functor: value(x, α), derivative(x, α), second_derivative(x, α). At the kink, σ'(0) is
// the left derivative: 0 for relu, α for leaky_relu (a measure-zero choice; tests/unit/nn pins
// it). The piecewise-linear ones have σ'' = 0 everywhere, the kink included: the Dirac mass of
// σ'' at 0 is dropped, so Hessians are those of the linear piece each pre-activation lies on
// (exact away from the measure-zero set where some pre-activation is exactly 0).
struct Identity {
  template <typename T>
  static T value(T x, T) {
    return x;
  }
  template <typename T>
  static T derivative(T, T) {
    return T(1);
  }
  template <typename T>
  static T second_derivative(T, T) {
    return T(0);
  }
};
struct Relu {
  template <typename T>
  static T value(T x, T) {
    return x > T(0) ? x : T(0);
  }
  template <typename T>
  static T derivative(T x, T) {
    return x > T(0) ? T(1) : T(0);
  }
  template <typename T>
  static T second_derivative(T, T) {
    return T(0);
  }
};
struct LeakyRelu {
  template <typename T>
  static T value(T x, T alpha) {
    return x > T(0) ? x : alpha * x;
  }
  template <typename T>
  static T derivative(T x, T alpha) {
    return x > T(0) ? T(1) : alpha;
  }
  template <typename T>
  static T second_derivative(T, T) {
    return T(0);
  }
};
struct Tanh {
  template <typename T>
  static T value(T x, T) {
    return fastmath::tanh(x);
  }
  template <typename T>
  static T derivative(T x, T) {
    const T t = fastmath::tanh(x);
    return T(1) - t * t;
  }
  template <typename T>
  static T second_derivative(T x, T) {
    const T t = fastmath::tanh(x);
    return T(-2) * t * (T(1) - t * t);
  }
};
struct Softplus {
  template <typename T>
  static T value(T x, T) {
    return fastmath::softplus(x);
  }
  template <typename T>
  static T derivative(T x, T) {
    return fastmath::sigmoid(x);
  }
  template <typename T>
  static T second_derivative(T x, T) {
    const T s = fastmath::sigmoid(x);
    return s * (T(1) - s);
  }
};
struct Sigmoid {
  template <typename T>
  static T value(T x, T) {
    return fastmath::sigmoid(x);
  }
  template <typename T>
  static T derivative(T x, T) {
    const T s = fastmath::sigmoid(x);
    return s * (T(1) - s);
  }
  template <typename T>
  static T second_derivative(T x, T) {
    const T s = fastmath::sigmoid(x);
    return s * (T(1) - s) * (T(1) - T(2) * s);
  }
};
struct Erf {
  template <typename T>
  static T value(T x, T) {
    return std::erf(x);
  }
  template <typename T>
  static T derivative(T x, T) {
    return T(1.1283791670955126) * fastmath::exp(-x * x);  // 2/√π e^{−x²}
  }
  template <typename T>
  static T second_derivative(T x, T) {
    return T(-2.2567583341910252) * x * fastmath::exp(-x * x);  // −2x·2/√π e^{−x²}
  }
};
struct Gelu {  // x Φ(x)
  template <typename T>
  static T value(T x, T) {
    return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
  }
  template <typename T>
  static T derivative(T x, T) {
    const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.7071067811865476)));
    return cdf + x * T(0.3989422804014327) * fastmath::exp(T(-0.5) * x * x);
  }
  template <typename T>
  static T second_derivative(T x, T) {
    return T(0.3989422804014327) * fastmath::exp(T(-0.5) * x * x) * (T(2) - x * x);  // φ(2 − x²)
  }
};
struct G {  // sigmoid(4x) + softplus(x): neither odd nor even-plus-linear, g(0) ≠ 0
  // The cost of the `symmetry` experiment's training is this activation, so: one exponential
  // and one division per call. With e = e^{−|x|} ∈ (0, 1] and e⁴ = (e²)²,
  //   σ(4x) = (x > 0 ? 1 : e⁴)/(1 + e⁴),  σ(x) = (x > 0 ? 1 : e)/(1 + e),
  //   softplus(x) = max(x, 0) + log1p(e),  log1p(e) = 2 atanh(t) = 2 Σ_k t^{2k+1}/(2k + 1),
  // t = e/(2 + e) ∈ (0, 1/3] (terms to k = 16: t^{34}/33 < 2^{−53}·t), relatively accurate for
  // tiny e; the two quotients of each function share one division.
  template <typename T>
  static T log1p_series(T t) {
    const T t2 = t * t;
    T p = T(1.0 / 33);
    for (int k = 15; k >= 0; --k) p = std::fma(p, t2, T(1.0 / (2 * k + 1)));
    return T(2) * t * p;
  }
  template <typename T>
  static T value(T x, T) {
    const T e = fastmath::exp(-std::fabs(x)), e2 = e * e, e4 = e2 * e2;
    const T p = T(1) + e4, q = T(2) + e, inv = T(1) / (p * q);
    const T s4 = (x > T(0) ? T(1) : e4) * q * inv;
    return s4 + ((x > T(0) ? x : T(0)) + log1p_series(e * p * inv));
  }
  template <typename T>
  static T derivative(T x, T) {
    const T e = fastmath::exp(-std::fabs(x)), e2 = e * e, e4 = e2 * e2;
    const T p = T(1) + e4, q = T(1) + e, inv = T(1) / (p * q);
    const T s4 = (x > T(0) ? T(1) : e4) * q * inv, s = (x > T(0) ? T(1) : e) * p * inv;
    return T(4) * s4 * (T(1) - s4) + s;
  }
  template <typename T>
  static T second_derivative(T x, T) {
    const T e = fastmath::exp(-std::fabs(x)), e2 = e * e, e4 = e2 * e2;
    const T s4 = (x > T(0) ? T(1) : e4) / (T(1) + e4), s = (x > T(0) ? T(1) : e) / (T(1) + e);
    return T(16) * s4 * (T(1) - s4) * (T(1) - T(2) * s4) + s * (T(1) - s);
  }
};

}  // namespace act

// Calls fn(F{}) with the functor type F of `a`: one switch per kernel call, none per element.
template <typename Fn>
decltype(auto) dispatch(const Activation& a, Fn&& fn) {
  switch (a.kind) {
    case ActivationKind::identity:
      return std::forward<Fn>(fn)(act::Identity{});
    case ActivationKind::relu:
      return std::forward<Fn>(fn)(act::Relu{});
    case ActivationKind::leaky_relu:
      return std::forward<Fn>(fn)(act::LeakyRelu{});
    case ActivationKind::tanh:
      return std::forward<Fn>(fn)(act::Tanh{});
    case ActivationKind::softplus:
      return std::forward<Fn>(fn)(act::Softplus{});
    case ActivationKind::sigmoid:
      return std::forward<Fn>(fn)(act::Sigmoid{});
    case ActivationKind::erf:
      return std::forward<Fn>(fn)(act::Erf{});
    case ActivationKind::gelu:
      return std::forward<Fn>(fn)(act::Gelu{});
    case ActivationKind::g:
      break;
  }
  return std::forward<Fn>(fn)(act::G{});
}

// Scalar (double) evaluation, for theory columns and tests.
double value(const Activation& a, double x);
double derivative(const Activation& a, double x);
double second_derivative(const Activation& a, double x);

}  // namespace nnsweep::nn
