#pragma once
// Gauss–Hermite quadrature for Gaussian averages ⟨f⟩_K = E f(√K g), g ~ N(0,1): the one numerical
// integral every finite-width theory column reduces to. Rules are computed once per order and
// cached; they stay accurate (nodes and relative weights, tails included) up to order ~1000.
#include <functional>
#include <vector>

namespace nnsweep::theory {

// Probabilists' Gauss–Hermite rule: E f(g), g ~ N(0,1) ≈ Σ_i weights[i] f(nodes[i]), weights sum
// to 1. Exact for polynomials of degree ≤ 2·order − 1. Nodes ascending and exactly symmetric
// (nodes[i] = −nodes[order−1−i], equal weights), so odd integrands give exactly 0 and functions
// with a kink at 0 such as max(z, αz) are integrated as exactly as their two polynomial halves.
struct GaussHermite {
  std::vector<double> nodes, weights;
};

// The rule of `order` points (1 ≤ order ≤ 2000), computed on first use and cached; thread-safe.
// The reference stays valid for the life of the program.
const GaussHermite& gauss_hermite(int order);

// ⟨f⟩_K = E f(√K g) for K = `variance` ≥ 0, with the `order`-point rule.
double gaussian_average(const std::function<double(double)>& f, double variance, int order = 160);

}  // namespace nnsweep::theory
