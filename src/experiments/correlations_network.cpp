// The full_network sampler of `correlations`: explicit weights W ~ N(0, C_W/n_{l−1}) and biases
// b ~ N(0, C_b), the forward pass together with forward-mode derivatives along all n0 input
// directions. Each weight is drawn once and multiplies the k = 1 + n0 rows (value, derivatives)
// of its input unit; T_{L+1} comes from the last hidden layer, the outputs from real weights.
// The reference the exact chain is tested against; its throughput is bound by the normals.
#include <algorithm>
#include <cmath>
#include <vector>

#include "correlations_block.hpp"

namespace nnsweep::experiments::correlations {

namespace {

// Layer activations of one block: unit j's k rows (σ(z_j), σ'(z_j)∂z_j/∂x_1, …) at
// [(j·k + r)·W + l]; normals are drawn a chunk of weights at a time (16 KiB, in L1).
template <typename T>
struct Buffers {
  static constexpr std::size_t chunk = 256;
  explicit Buffers(const Problem& p)
      : k(static_cast<int>(1 + p.n0)),
        input(size(
            std::max<std::int64_t>(p.n0, *std::max_element(p.widths.begin(), p.widths.end())))),
        output(input.size()),
        normals(chunk * lanes<T>) {}
  std::size_t size(std::int64_t units) const {
    return static_cast<std::size_t>(units) * static_cast<std::size_t>(k) * lanes<T>;
  }
  int k;
  std::vector<T> input, output, normals;
};

// acc[r0 + r] += Σ_j g_j·x_j[r0 + r] for r < Rows: Rows·W accumulators stay in registers.
template <typename T, int Rows>
void dot_rows(const T* g, const T* x, std::size_t count, int k, int r0, T* acc) {
  constexpr int w = lanes<T>;
  T a[Rows][w] = {};
  for (std::size_t j = 0; j < count; ++j) {
    const T* gj = g + j * w;
    const T* xj = x + (j * static_cast<std::size_t>(k) + static_cast<std::size_t>(r0)) * w;
    for (int r = 0; r < Rows; ++r)
      for (int l = 0; l < w; ++l) a[r][l] += gj[l] * xj[r * w + l];
  }
  for (int r = 0; r < Rows; ++r)
    for (int l = 0; l < w; ++l) acc[(r0 + r) * w + l] += a[r][l];
}

// The first `rows` rows of Σ_j g_j x_j, in blocks of up to five rows (value + four directions).
template <typename T>
void dot(const T* g, const T* x, std::size_t count, int k, int rows, T* acc) {
  for (int r0 = 0; r0 < rows; r0 += 5) {
    switch (std::min(5, rows - r0)) {
      case 1:
        dot_rows<T, 1>(g, x, count, k, r0, acc);
        break;
      case 2:
        dot_rows<T, 2>(g, x, count, k, r0, acc);
        break;
      case 3:
        dot_rows<T, 3>(g, x, count, k, r0, acc);
        break;
      case 4:
        dot_rows<T, 4>(g, x, count, k, r0, acc);
        break;
      default:
        dot_rows<T, 5>(g, x, count, k, r0, acc);
        break;
    }
  }
}

// One unit of a dense layer: y[r] = √(C_W/n_in)·Σ_j g_j x_j[r] (+ √C_b·b for the value row),
// weights drawn in input order, then the bias (none when C_b = 0).
template <typename T>
void dense_unit(const Problem& p, Generator<T>& generator, const T* x, std::int64_t n_in, int rows,
                Buffers<T>& buf, T* y) {
  constexpr int w = lanes<T>;
  std::fill_n(y, static_cast<std::size_t>(rows) * w, T(0));
  const auto n = static_cast<std::size_t>(n_in);
  for (std::size_t j0 = 0; j0 < n; j0 += Buffers<T>::chunk) {
    const std::size_t count = std::min(Buffers<T>::chunk, n - j0);
    generator.normals(buf.normals.data(), count);
    dot(buf.normals.data(), x + j0 * static_cast<std::size_t>(buf.k) * w, count, buf.k, rows, y);
  }
  const T scale = static_cast<T>(std::sqrt(p.cw / static_cast<double>(n_in)));
  for (int i = 0; i < rows * w; ++i) y[i] *= scale;
  if (p.cb > 0) {
    T b[w];
    generator.normals(b, 1);
    const T sd = static_cast<T>(std::sqrt(p.cb));
    for (int l = 0; l < w; ++l) y[l] += sd * b[l];
  }
}

// (z, ∂z) → (σ(z), σ'(z)∂z) in place, for units [0, n).
template <typename T, typename Sigma>
void activate(T alpha, std::int64_t n, int k, T* y) {
  constexpr int w = lanes<T>;
  for (std::int64_t j = 0; j < n; ++j) {
    T* row = y + static_cast<std::size_t>(j) * static_cast<std::size_t>(k) * w;
    T slope[w];
    activate_lanes<T, Sigma>(row, alpha, row, slope);
    for (int r = 1; r < k; ++r)
      for (int l = 0; l < w; ++l) row[r * w + l] *= slope[l];
  }
}

// T = C_b e₀e₀ᵀ + (C_W/n)·Σ_j φ_jφ_jᵀ over the n activated units of the last hidden layer.
template <typename T>
void last_covariance(const Problem& p, const T* phi, std::int64_t n, int k, T* t) {
  constexpr int w = lanes<T>;
  for (int r = 0; r < k; ++r)
    for (int q = r; q < k; ++q) {
      T acc[w] = {};
      for (std::int64_t j = 0; j < n; ++j) {
        const T* row = phi + static_cast<std::size_t>(j) * static_cast<std::size_t>(k) * w;
        for (int l = 0; l < w; ++l) acc[l] += row[r * w + l] * row[q * w + l];
      }
      std::copy_n(acc, w, t + (r * k + q) * w);
    }
  next_covariance(p, n, k, t);
}

template <typename T, typename Sigma>
void network_block(const Problem& p, Generator<T>& generator, Buffers<T>& buf, T* t,
                   OutputSums<T>& sums) {
  constexpr int w = lanes<T>;
  const int k = buf.k;
  const T alpha = static_cast<T>(p.activation.alpha);
  // The input as a layer of n0 units: x_p = √(|x|²/n0) and ∂x_p/∂x_q = δ_pq.
  const T x = static_cast<T>(std::sqrt(p.x_norm2 / static_cast<double>(p.n0)));
  std::fill(buf.input.begin(), buf.input.end(), T(0));
  for (int unit = 0; unit < p.n0; ++unit) {
    std::fill_n(buf.input.data() + static_cast<std::size_t>(unit * k) * w, w, x);
    std::fill_n(buf.input.data() + static_cast<std::size_t>(unit * k + 1 + unit) * w, w, T(1));
  }
  std::int64_t n_in = p.n0;
  for (const std::int64_t n : p.widths) {
    for (std::int64_t i = 0; i < n; ++i)
      dense_unit(p, generator, buf.input.data(), n_in, k, buf,
                 buf.output.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(k) * w);
    activate<T, Sigma>(alpha, n, k, buf.output.data());
    std::swap(buf.input, buf.output);
    n_in = n;
  }
  last_covariance(p, buf.input.data(), n_in, k, t);
  for (std::int64_t i = 0; i < p.n_out; ++i) {
    T z[w];
    dense_unit(p, generator, buf.input.data(), n_in, 1, buf, z);
    sums.add(z);
  }
}

}  // namespace

template <typename T>
void sample_network(const Problem& p, const Replica& replica, std::int64_t first, std::size_t count,
                    double* obs) {
  Buffers<T> buf(p);
  std::vector<T> t(static_cast<std::size_t>(buf.k) * static_cast<std::size_t>(buf.k) * lanes<T>);
  nn::dispatch(p.activation, [&](auto sigma) {
    using Sigma = decltype(sigma);
    for (std::size_t b = 0; b < count; b += lanes<T>) {
      Generator<T> generator;
      seed_block(generator, replica, first + static_cast<std::int64_t>(b));
      OutputSums<T> sums;
      network_block<T, Sigma>(p, generator, buf, t.data(), sums);
      observe_block(t.data(), buf.k, sums, p.n_out, obs + b * observable_count);
    }
  });
}

template void sample_network<float>(const Problem&, const Replica&, std::int64_t, std::size_t,
                                    double*);
template void sample_network<double>(const Problem&, const Replica&, std::int64_t, std::size_t,
                                     double*);

}  // namespace nnsweep::experiments::correlations
