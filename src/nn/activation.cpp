#include "nnsweep/nn/activation.hpp"

#include "nnsweep/core/error.hpp"

namespace nnsweep::nn {

namespace {
struct Named {
  const char* name;
  ActivationKind kind;
};
constexpr Named table[] = {
    {"identity", ActivationKind::identity},
    {"relu", ActivationKind::relu},
    {"leaky_relu", ActivationKind::leaky_relu},
    {"tanh", ActivationKind::tanh},
    {"softplus", ActivationKind::softplus},
    {"sigmoid", ActivationKind::sigmoid},
    {"erf", ActivationKind::erf},
    {"gelu", ActivationKind::gelu},
    {"g", ActivationKind::g},
};
}  // namespace

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& entry : table) out.emplace_back(entry.name);
    out.emplace_back("linear");
    return out;
  }();
  return names;
}

std::string_view activation_name(ActivationKind kind) {
  for (const auto& entry : table)
    if (entry.kind == kind) return entry.name;
  return "?";
}

Activation parse_activation(std::string_view name, double alpha) {
  if (name == "linear") return {ActivationKind::identity, 0};
  for (const auto& entry : table)
    if (name == entry.name)
      return {entry.kind, entry.kind == ActivationKind::leaky_relu ? alpha : 0};
  throw config_error(cat("activation = ", name, ": unknown activation — use one of ",
                         join(activation_names(), ", ")));
}

bool is_homogeneous(ActivationKind kind) {
  return kind == ActivationKind::identity || kind == ActivationKind::relu ||
         kind == ActivationKind::leaky_relu;
}

double negative_slope(const Activation& a) {
  switch (a.kind) {
    case ActivationKind::identity:
      return 1;
    case ActivationKind::relu:
      return 0;
    case ActivationKind::leaky_relu:
      return a.alpha;
    default:
      throw error(cat("internal: ", activation_name(a.kind), " is not piecewise linear"));
  }
}

double value(const Activation& a, double x) {
  return dispatch(a, [&](auto f) { return decltype(f)::value(x, a.alpha); });
}

double derivative(const Activation& a, double x) {
  return dispatch(a, [&](auto f) { return decltype(f)::derivative(x, a.alpha); });
}

double second_derivative(const Activation& a, double x) {
  return dispatch(a, [&](auto f) { return decltype(f)::second_derivative(x, a.alpha); });
}

}  // namespace nnsweep::nn
