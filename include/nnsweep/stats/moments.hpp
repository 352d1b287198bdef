#pragma once
// Streaming, mergeable statistics: central moments to 4th order of one observable (Pébay 2008),
// and the mean vector and covariance of several observables (Chan et al.), with delta-method
// standard errors for smooth functions of means (ratios such as E s² / (E s)²). Accumulation is
// in double whatever the kernel's scalar type. merge(a, b) equals adding b's samples after a's,
// up to rounding.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace nnsweep::stats {

class Moments {
 public:
  void add(double x);
  void merge(const Moments& other);

  std::int64_t count() const { return n_; }
  double mean() const { return n_ > 0 ? mean_ : std::numeric_limits<double>::quiet_NaN(); }
  double variance() const;             // unbiased
  double sem() const;                  // standard error of the mean
  double central_moment(int k) const;  // biased k-th central moment, k = 2, 3, 4
  double excess_kurtosis() const;      // m4 / m2² − 3 (biased)

 private:
  std::int64_t n_ = 0;
  double mean_ = 0, m2_ = 0, m3_ = 0, m4_ = 0;  // sums of powers of deviations
};

class CoMoments {
 public:
  explicit CoMoments(std::size_t dimension = 0);
  void add(const double* x);  // x[0..dimension)
  void merge(const CoMoments& other);

  std::size_t dimension() const { return mean_.size(); }
  std::int64_t count() const { return n_; }
  double mean(std::size_t i) const;
  double covariance(std::size_t i, std::size_t j) const;  // unbiased

 private:
  std::int64_t n_ = 0;
  std::vector<double> mean_;
  std::vector<double> comoment_;  // row-major dimension × dimension sums of deviation products
  std::vector<double> delta_;     // scratch
};

// An estimate and its standard error (NaN when it cannot be computed, e.g. too few samples).
struct Estimate {
  double value = std::numeric_limits<double>::quiet_NaN();
  double sem = std::numeric_limits<double>::quiet_NaN();
};

Estimate mean_of(const CoMoments& m, std::size_t i);
// f(means) with gradient g = ∂f/∂mean at the means: sem² = gᵀ Σ g / n.
Estimate delta_method(const CoMoments& m, double value, const std::vector<double>& gradient);
// mean_i / mean_j^power, e.g. power 2 for E s² / (E s)².
Estimate ratio_of_means(const CoMoments& m, std::size_t i, std::size_t j, double power);
// 3σ-style comparison helper: |value − expected| / sem.
inline double z_score(const Estimate& e, double expected) {
  return (e.value - expected) / e.sem;
}

}  // namespace nnsweep::stats
