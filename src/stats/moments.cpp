#include "nnsweep/stats/moments.hpp"

#include <algorithm>

namespace nnsweep::stats {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}

void Moments::add(double x) {
  const auto n1 = static_cast<double>(n_);
  ++n_;
  const auto n = static_cast<double>(n_);
  const double delta = x - mean_;
  const double delta_n = delta / n;
  const double delta_n2 = delta_n * delta_n;
  const double term = delta * delta_n * n1;
  mean_ += delta_n;
  m4_ += term * delta_n2 * (n * n - 3 * n + 3) + 6 * delta_n2 * m2_ - 4 * delta_n * m3_;
  m3_ += term * delta_n * (n - 2) - 3 * delta_n * m2_;
  m2_ += term;
}

void Moments::merge(const Moments& other) {
  if (other.n_ == 0) return;
  if (n_ == 0) {
    *this = other;
    return;
  }
  const auto na = static_cast<double>(n_), nb = static_cast<double>(other.n_);
  const double n = na + nb;
  const double d = other.mean_ - mean_;
  const double d2 = d * d;
  const double m2 = m2_ + other.m2_ + d2 * na * nb / n;
  const double m3 = m3_ + other.m3_ + d2 * d * na * nb * (na - nb) / (n * n) +
                    3 * d * (na * other.m2_ - nb * m2_) / n;
  const double m4 = m4_ + other.m4_ +
                    d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n) +
                    6 * d2 * (na * na * other.m2_ + nb * nb * m2_) / (n * n) +
                    4 * d * (na * other.m3_ - nb * m3_) / n;
  mean_ += d * nb / n;
  m2_ = m2;
  m3_ = m3;
  m4_ = m4;
  n_ += other.n_;
}

double Moments::variance() const {
  return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : nan;
}
double Moments::sem() const {
  return n_ > 1 ? std::sqrt(variance() / static_cast<double>(n_)) : nan;
}

double Moments::central_moment(int k) const {
  if (n_ == 0) return nan;
  const auto n = static_cast<double>(n_);
  switch (k) {
    case 2:
      return m2_ / n;
    case 3:
      return m3_ / n;
    case 4:
      return m4_ / n;
    default:
      return nan;
  }
}

double Moments::excess_kurtosis() const {
  const double m2 = central_moment(2);
  return central_moment(4) / (m2 * m2) - 3;
}

CoMoments::CoMoments(std::size_t dimension)
    : mean_(dimension, 0.0), comoment_(dimension * dimension, 0.0), delta_(dimension, 0.0) {}

void CoMoments::add(const double* x) {
  const std::size_t k = mean_.size();
  ++n_;
  const double inv_n = 1.0 / static_cast<double>(n_);
  for (std::size_t i = 0; i < k; ++i) {
    delta_[i] = x[i] - mean_[i];
    mean_[i] += delta_[i] * inv_n;
  }
  // Welford: C += (x − mean_old)(x − mean_new)ᵀ, kept symmetric by computing the upper half.
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = i; j < k; ++j) comoment_[i * k + j] += delta_[i] * (x[j] - mean_[j]);
}

void CoMoments::merge(const CoMoments& other) {
  if (other.n_ == 0) return;
  if (n_ == 0) {
    *this = other;
    return;
  }
  const std::size_t k = mean_.size();
  const auto na = static_cast<double>(n_), nb = static_cast<double>(other.n_);
  const double n = na + nb;
  for (std::size_t i = 0; i < k; ++i) delta_[i] = other.mean_[i] - mean_[i];
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = i; j < k; ++j)
      comoment_[i * k + j] += other.comoment_[i * k + j] + delta_[i] * delta_[j] * na * nb / n;
  for (std::size_t i = 0; i < k; ++i) mean_[i] += delta_[i] * nb / n;
  n_ += other.n_;
}

double CoMoments::mean(std::size_t i) const {
  return n_ > 0 ? mean_[i] : nan;
}

double CoMoments::covariance(std::size_t i, std::size_t j) const {
  if (n_ < 2) return nan;
  const std::size_t k = mean_.size();
  const double c = i <= j ? comoment_[i * k + j] : comoment_[j * k + i];
  return c / static_cast<double>(n_ - 1);
}

Estimate mean_of(const CoMoments& m, std::size_t i) {
  Estimate e;
  e.value = m.mean(i);
  if (m.count() > 1) e.sem = std::sqrt(m.covariance(i, i) / static_cast<double>(m.count()));
  return e;
}

Estimate delta_method(const CoMoments& m, double value, const std::vector<double>& gradient) {
  Estimate e;
  e.value = value;
  if (m.count() < 2) return e;
  double variance = 0;
  for (std::size_t i = 0; i < gradient.size(); ++i) {
    if (gradient[i] == 0) continue;
    for (std::size_t j = 0; j < gradient.size(); ++j)
      if (gradient[j] != 0) variance += gradient[i] * gradient[j] * m.covariance(i, j);
  }
  e.sem = std::sqrt(std::max(variance, 0.0) / static_cast<double>(m.count()));
  return e;
}

Estimate ratio_of_means(const CoMoments& m, std::size_t i, std::size_t j, double power) {
  const double a = m.mean(i), b = m.mean(j);
  std::vector<double> gradient(m.dimension(), 0.0);
  const double value = a / std::pow(b, power);
  gradient[i] += 1 / std::pow(b, power);
  gradient[j] += -power * a / std::pow(b, power + 1);
  return delta_method(m, value, gradient);
}

}  // namespace nnsweep::stats
