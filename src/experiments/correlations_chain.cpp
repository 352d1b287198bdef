// The exact_chain sampler of `correlations`: the per-layer conditional Gaussian law of
// (z, ∂z/∂x_1..∂z/∂x_n0) (research/papers_CE.md E.2). Given T_l, the n_l units of layer l are iid
// y ~ N(0, T_l) and T_{l+1} = C_b e₀e₀ᵀ + (C_W/n_l) Σ_j φ(y_j)φ(y_j)ᵀ, φ(y) = (σ(y₀), σ'(y₀)y₁, …).
// For σ(z) = max(z, αz) the sum collapses to two Wisharts (see wishart_update), O(k³) per layer.
#include <algorithm>
#include <cmath>
#include <vector>

#include "correlations_block.hpp"

namespace nnsweep::experiments::correlations {

namespace {

// A pivot below this fraction of its diagonal is rounding noise of an exactly singular T (with
// C_b = 0 the first layer has z = xᵀ∇ₓz, and homogeneous σ keeps that relation at every depth):
// its column is dropped instead of amplifying the noise.
template <typename T>
constexpr T pivot_tolerance = sizeof(T) == 4 ? T(1e-4) : T(1e-12);

// Working memory of one block (k = 1 + n0; matrices k×k row-major, lanes innermost).
template <typename T>
struct Scratch {
  static constexpr std::size_t chunk = 32;  // units whose normals are drawn at once (fits in L1)
  explicit Scratch(int k_)
      : k(k_),
        t(matrix()),
        chol(matrix()),
        a1(matrix()),
        a2(matrix()),
        m1(matrix()),
        m2(matrix()),
        psi_sum(static_cast<std::size_t>(k_ + 1) * static_cast<std::size_t>(k_ + 1) * lanes<T>),
        normals(std::max(chunk * static_cast<std::size_t>(k_), below_diagonal()) * lanes<T>),
        psi(chunk * static_cast<std::size_t>(k_ + 1) * lanes<T>) {}
  std::size_t matrix() const {
    return static_cast<std::size_t>(k) * static_cast<std::size_t>(k) * lanes<T>;
  }
  // Entries below the diagonal of a k×k matrix: the normals of one Bartlett factor, drawn at
  // once (more than a chunk of units' worth once k > 2·chunk + 1).
  std::size_t below_diagonal() const {
    return static_cast<std::size_t>(k) * static_cast<std::size_t>(k - 1) / 2;
  }
  T* at(std::vector<T>& m, int r, int q) const {
    return m.data() + (static_cast<std::size_t>(r) * k + q) * lanes<T>;
  }

  int k;
  std::vector<T> t, chol, a1, a2, m1, m2, psi_sum, normals, psi;
};

// T_1 = C_b e₀e₀ᵀ + (C_W/n0)·[[|x|², xᵀ], [x, I]] with x = √(|x|²/n0)·(1, …, 1).
template <typename T>
void initial_covariance(const Problem& p, Scratch<T>& s) {
  const double scale = p.cw / static_cast<double>(p.n0),
               x = std::sqrt(p.x_norm2 / static_cast<double>(p.n0));
  for (int r = 0; r < s.k; ++r)
    for (int q = 0; q < s.k; ++q) {
      double v = 0;
      if (r == 0 && q == 0)
        v = p.cb + scale * p.x_norm2;
      else if (r == 0 || q == 0)
        v = scale * x;
      else if (r == q)
        v = scale;
      std::fill_n(s.at(s.t, r, q), lanes<T>, static_cast<T>(v));
    }
}

// Lower Cholesky factor of the positive semi-definite s.t, lane by lane.
template <typename T>
void cholesky(Scratch<T>& s) {
  constexpr int w = lanes<T>;
  const int k = s.k;
  std::fill(s.chol.begin(), s.chol.end(), T(0));
  for (int r = 0; r < k; ++r) {
    T inverse[w];
    T* crr = s.at(s.chol, r, r);
    const T* trr = s.at(s.t, r, r);
    for (int l = 0; l < w; ++l) {
      T d = trr[l];
      for (int q = 0; q < r; ++q) d -= s.at(s.chol, r, q)[l] * s.at(s.chol, r, q)[l];
      const bool pivot = d > pivot_tolerance<T> * trr[l];
      const T root = std::sqrt(pivot ? d : T(0));
      crr[l] = root;
      inverse[l] = pivot ? T(1) / root : T(0);
    }
    for (int i = r + 1; i < k; ++i) {
      T* cir = s.at(s.chol, i, r);
      const T* tir = s.at(s.t, i, r);
      for (int l = 0; l < w; ++l) {
        T d = tir[l];
        for (int q = 0; q < r; ++q) d -= s.at(s.chol, i, q)[l] * s.at(s.chol, r, q)[l];
        cir[l] = d * inverse[l];
      }
    }
  }
}

// Any σ, unit by unit. With y = chol·g only y₀ = chol₀₀g₀ goes through σ, so φ(y) = Bψ with
// ψ = (σ(y₀), σ'(y₀)g₀, …, σ'(y₀)g_{k−1}) and B = [[1, 0], [0, chol_{1:,:}]]: per unit only ψψᵀ
// ((k+1)(k+2)/2 FMAs, accumulated per chunk of units), then Σφφᵀ = B(Σψψᵀ)Bᵀ once per layer.
template <typename T, typename Sigma>
void unit_by_unit(const Problem& p, std::int64_t n, Generator<T>& generator, Scratch<T>& s) {
  constexpr int w = lanes<T>;
  const int k = s.k, m = k + 1;
  const T alpha = static_cast<T>(p.activation.alpha);
  const auto psi_at = [&](std::size_t u, int a) {
    return s.psi.data() + (u * static_cast<std::size_t>(m) + a) * w;
  };
  const auto sum_at = [&](int a, int b) {
    return s.psi_sum.data() + (static_cast<std::size_t>(a) * m + b) * w;
  };
  std::fill(s.psi_sum.begin(), s.psi_sum.end(), T(0));
  for (std::int64_t first = 0; first < n; first += Scratch<T>::chunk) {
    const auto units =
        static_cast<std::size_t>(std::min<std::int64_t>(Scratch<T>::chunk, n - first));
    generator.normals(s.normals.data(), units * static_cast<std::size_t>(k));
    const T* c00 = s.at(s.chol, 0, 0);
    for (std::size_t u = 0; u < units; ++u) {
      const T* g = s.normals.data() + u * static_cast<std::size_t>(k) * w;
      T y0[w], slope[w];
      for (int l = 0; l < w; ++l) y0[l] = c00[l] * g[l];
      activate_lanes<T, Sigma>(y0, alpha, psi_at(u, 0), slope);
      for (int r = 0; r < k; ++r) {
        T* psi = psi_at(u, 1 + r);
        for (int l = 0; l < w; ++l) psi[l] = slope[l] * g[r * w + l];
      }
    }
    for (int a = 0; a < m; ++a)
      for (int b = a; b < m; ++b) {
        T acc[w] = {};
        for (std::size_t u = 0; u < units; ++u) {
          const T* x = psi_at(u, a);
          const T* y = psi_at(u, b);
          for (int l = 0; l < w; ++l) acc[l] += x[l] * y[l];
        }
        T* out = sum_at(a, b);
        for (int l = 0; l < w; ++l) out[l] += acc[l];
      }
  }
  // Σφφᵀ = B S Bᵀ into the upper triangle of t (the layer's T is no longer needed once chol
  // holds its factor) with S = Σψψᵀ: B's row 0 picks ψ₀, row r ≥ 1 is chol_{r,a} on ψ_{1+a},
  // a ≤ r.
  const auto s_at = [&](int a, int b) { return a <= b ? sum_at(a, b) : sum_at(b, a); };
  for (int r = 0; r < k; ++r)
    for (int q = r; q < k; ++q) {
      T acc[w] = {};
      if (q == 0) {
        std::copy_n(s_at(0, 0), w, acc);
      } else if (r == 0) {
        for (int b = 0; b <= q; ++b) {
          const T* cqb = s.at(s.chol, q, b);
          const T* sab = s_at(0, 1 + b);
          for (int l = 0; l < w; ++l) acc[l] += cqb[l] * sab[l];
        }
      } else {
        for (int a = 0; a <= r; ++a)
          for (int b = 0; b <= q; ++b) {
            const T* cra = s.at(s.chol, r, a);
            const T* cqb = s.at(s.chol, q, b);
            const T* sab = s_at(1 + a, 1 + b);
            for (int l = 0; l < w; ++l) acc[l] += cra[l] * sab[l] * cqb[l];
          }
      }
      std::copy_n(acc, w, s.at(s.t, r, q));
    }
  next_covariance(p, n, k, s.t.data());
}

// Bartlett factor of a Wishart with m[l] degrees of freedom and identity scale, any m ≥ 0:
// W_m(I) = A Aᵀ with A lower triangular, A_ii² ~ χ²_{m−i} for i < m (else 0), A_ij ~ N(0, 1)
// for j < min(i, m). For m < k this is the LQ factorisation of m Gaussian columns.
template <typename T>
void bartlett(Generator<T>& generator, const T* m, Scratch<T>& s, std::vector<T>& a) {
  constexpr int w = lanes<T>;
  const int k = s.k;
  std::fill(a.begin(), a.end(), T(0));
  for (int i = 0; i < k; ++i) {
    T dof[w], chi2[w];
    for (int l = 0; l < w; ++l) dof[l] = m[l] - static_cast<T>(i);
    generator.chi_square(dof, chi2);
    T* aii = s.at(a, i, i);
    for (int l = 0; l < w; ++l) aii[l] = std::sqrt(chi2[l]);
  }
  generator.normals(s.normals.data(), s.below_diagonal());
  const T* g = s.normals.data();
  for (int i = 1; i < k; ++i)
    for (int j = 0; j < i; ++j, g += w) {
      T* aij = s.at(a, i, j);
      for (int l = 0; l < w; ++l) aij[l] = static_cast<T>(j) < m[l] ? g[l] : T(0);
    }
}

// out = chol·a (lower times lower), lane by lane.
template <typename T>
void lower_product(const Scratch<T>& s, const std::vector<T>& a, std::vector<T>& out) {
  constexpr int w = lanes<T>;
  const int k = s.k;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      T acc[w] = {};
      for (int q = j; q <= i; ++q) {
        const T* c = s.chol.data() + (static_cast<std::size_t>(i) * k + q) * w;
        const T* b = a.data() + (static_cast<std::size_t>(q) * k + j) * w;
        for (int l = 0; l < w; ++l) acc[l] += c[l] * b[l];
      }
      std::copy_n(acc, w, out.data() + (static_cast<std::size_t>(i) * k + j) * w);
    }
}

// σ(z) = max(z, αz): a unit's slope (sign of y₀) is independent of yyᵀ, so with B ~ Bin(n, ½)
// active units Σ φφᵀ = W_B(T) + α² W_{n−B}(T), independent Wisharts; W_m(LLᵀ) = L W_m(I) Lᵀ.
// α = 1 (linear) needs no split: Σ yyᵀ = W_n(T).
template <typename T>
void wishart_update(const Problem& p, std::int64_t n, Generator<T>& generator, Scratch<T>& s) {
  constexpr int w = lanes<T>;
  const int k = s.k;
  const double alpha = nn::negative_slope(p.activation);
  T active[w], inactive[w] = {};
  if (alpha == 1) {
    std::fill_n(active, w, static_cast<T>(n));
  } else {
    generator.binomial_half(n, active);
    for (int l = 0; l < w; ++l) inactive[l] = static_cast<T>(n) - active[l];
  }
  bartlett(generator, active, s, s.a1);
  lower_product(s, s.a1, s.m1);
  const bool second = alpha != 0 && alpha != 1;
  if (second) {
    bartlett(generator, inactive, s, s.a2);
    lower_product(s, s.a2, s.m2);
  }
  const T alpha2 = static_cast<T>(alpha * alpha);
  // acc += (m mᵀ)_rq: both factors are lower triangular, row r has no entries beyond column r.
  const auto gram = [&](std::vector<T>& m, int r, int q, T* acc) {
    for (int j = 0; j <= r; ++j) {
      const T* a = s.at(m, r, j);
      const T* b = s.at(m, q, j);
      for (int l = 0; l < w; ++l) acc[l] += a[l] * b[l];
    }
  };
  // Σφφᵀ = m1 m1ᵀ + α² m2 m2ᵀ into the upper triangle of t.
  for (int r = 0; r < k; ++r)
    for (int q = r; q < k; ++q) {
      T acc[w] = {}, acc2[w] = {};
      gram(s.m1, r, q, acc);
      if (second) gram(s.m2, r, q, acc2);
      T* out = s.at(s.t, r, q);
      for (int l = 0; l < w; ++l) out[l] = acc[l] + alpha2 * acc2[l];
    }
  next_covariance(p, n, k, s.t.data());
}

// The n_out outputs: iid N(0, T₀₀) given the last hidden layer.
template <typename T>
void sample_outputs(const Problem& p, Generator<T>& generator, Scratch<T>& s, OutputSums<T>& sums) {
  constexpr int w = lanes<T>;
  T sd[w];
  for (int l = 0; l < w; ++l) sd[l] = std::sqrt(s.t[static_cast<std::size_t>(l)]);
  for (std::int64_t first = 0; first < p.n_out; first += Scratch<T>::chunk) {
    const auto count =
        static_cast<std::size_t>(std::min<std::int64_t>(Scratch<T>::chunk, p.n_out - first));
    generator.normals(s.normals.data(), count);
    for (std::size_t i = 0; i < count; ++i) {
      T z[w];
      for (int l = 0; l < w; ++l) z[l] = sd[l] * s.normals[i * w + static_cast<std::size_t>(l)];
      sums.add(z);
    }
  }
}

// Runs every block of lanes<T> networks through the chain with `update(n, generator, scratch)`
// as the layer step.
template <typename T, typename Update>
void run_blocks(const Problem& p, const Replica& replica, std::int64_t first, std::size_t count,
                double* obs, Update&& update) {
  Scratch<T> s(static_cast<int>(1 + p.n0));
  for (std::size_t b = 0; b < count; b += lanes<T>) {
    Generator<T> generator;
    seed_block(generator, replica, first + static_cast<std::int64_t>(b));
    initial_covariance(p, s);
    for (const std::int64_t n : p.widths) {
      cholesky(s);
      update(n, generator, s);
    }
    OutputSums<T> sums;
    sample_outputs(p, generator, s, sums);
    observe_block(s.t.data(), s.k, sums, p.n_out, obs + b * observable_count);
  }
}

}  // namespace

template <typename T>
void sample_chain(const Problem& p, const Replica& replica, std::int64_t first, std::size_t count,
                  double* obs) {
  if (p.collapse && nn::is_homogeneous(p.activation.kind)) {
    run_blocks<T>(
        p, replica, first, count, obs,
        [&](std::int64_t n, Generator<T>& g, Scratch<T>& s) { wishart_update(p, n, g, s); });
    return;
  }
  nn::dispatch(p.activation, [&](auto sigma) {
    using Sigma = decltype(sigma);
    run_blocks<T>(p, replica, first, count, obs,
                  [&](std::int64_t n, Generator<T>& g, Scratch<T>& s) {
                    unit_by_unit<T, Sigma>(p, n, g, s);
                  });
  });
}

template void sample_chain<float>(const Problem&, const Replica&, std::int64_t, std::size_t,
                                  double*);
template void sample_chain<double>(const Problem&, const Replica&, std::int64_t, std::size_t,
                                   double*);

}  // namespace nnsweep::experiments::correlations
