#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "nnsweep/core/fastmath.hpp"

using namespace nnsweep;

namespace {
// Error in units of the last place of T, against a long double reference.
template <typename T>
double ulp_error(T got, long double want) {
  if (std::isinf(want) || std::isinf(static_cast<long double>(got)))
    return got == static_cast<T>(want) ? 0 : 1e30;
  const T w = static_cast<T>(want);
  const T ulp = std::nextafter(std::fabs(w), std::numeric_limits<T>::infinity()) - std::fabs(w);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / ulp);
}
template <typename T, typename F, typename R>
double max_ulp(F f, R reference, double lo, double hi, int n) {
  double worst = 0;
  for (int i = 0; i <= n; ++i) {
    const T x = static_cast<T>(lo + (hi - lo) * i / n);
    worst = std::max(worst, ulp_error<T>(f(x), reference(static_cast<long double>(x))));
  }
  return worst;
}
}  // namespace

TEMPLATE_TEST_CASE("fastmath exp, log, log1p and tanh are within a few ulp", "[fastmath]", float,
                   double) {
  using T = TestType;
  const double e_hi = std::is_same_v<T, float> ? 88.0 : 709.0;
  const auto exp_f = [](T x) { return fastmath::exp(x); };
  const auto exp_r = [](long double x) { return std::exp(x); };
  // exp's last rounding (1 + t) costs a full ulp where e^r < 1: 2.5 ulp worst case.
  CHECK(max_ulp<T>(exp_f, exp_r, -20, 20, 200001) <= 2.5);
  CHECK(max_ulp<T>(exp_f, exp_r, -e_hi, e_hi, 20001) <= 2.5);
  const auto log_f = [](T x) { return fastmath::log(x); };
  const auto log_r = [](long double x) { return std::log(x); };
  CHECK(max_ulp<T>(log_f, log_r, 1e-6, 4, 200001) <= 2.0);
  CHECK(max_ulp<T>(log_f, log_r, 4, 1e30, 20001) <= 2.0);
  const auto log1p_f = [](T x) { return fastmath::log1p(x); };
  const auto log1p_r = [](long double x) { return std::log1p(x); };
  CHECK(max_ulp<T>(log1p_f, log1p_r, 0, 1, 100001) <= 3.0);
  CHECK(max_ulp<T>(log1p_f, log1p_r, 0, 1e-6, 10001) <= 3.0);
  const auto tanh_f = [](T x) { return fastmath::tanh(x); };
  const auto tanh_r = [](long double x) { return std::tanh(x); };
  CHECK(max_ulp<T>(tanh_f, tanh_r, -3, 3, 200001) <= 3.0);
  CHECK(max_ulp<T>(tanh_f, tanh_r, -40, 40, 20001) <= 3.0);
  CHECK(fastmath::exp(T(1000)) == std::numeric_limits<T>::infinity());
  CHECK(fastmath::exp(T(-1000)) == T(0));
  CHECK(std::isnan(fastmath::exp(std::numeric_limits<T>::quiet_NaN())));
  CHECK(fastmath::tanh(T(1e6)) == T(1));
  CHECK(fastmath::tanh(T(-1e6)) == T(-1));
  CHECK(fastmath::softplus(T(-800)) >= T(0));
  CHECK(fastmath::softplus(T(50)) == Approx(50));
  CHECK(fastmath::sigmoid(T(-800)) == T(0));
}

TEMPLATE_TEST_CASE("sincos_2pi matches sin and cos of 2πu", "[fastmath]", float, double) {
  using T = TestType;
  double worst = 0;
  for (int i = 0; i <= 400000; ++i) {
    const T u = static_cast<T>(i / 400000.0L);
    T s, c;
    fastmath::sincos_2pi(u, s, c);
    const long double angle =
        2 * 3.14159265358979323846264338327950288L * static_cast<long double>(u);
    // Absolute error relative to the ulp of 1 (the values are bounded by 1).
    const double ulp1 = std::numeric_limits<T>::epsilon();
    worst = std::max({worst, static_cast<double>(std::fabs(s - std::sin(angle))) / ulp1,
                      static_cast<double>(std::fabs(c - std::cos(angle))) / ulp1});
  }
  CHECK(worst <= 2.0);
}

TEMPLATE_TEST_CASE("vectorized loops give the same bits as scalar calls", "[fastmath]", float,
                   double) {
  // Determinism across pack sizes rests on this: a lane's value must not depend on whether the
  // loop it sits in was vectorized.
  using T = TestType;
  constexpr int n = 1024;
  std::vector<T> x(n), e(n), l(n), t(n), s(n), c(n);
  for (int i = 0; i < n; ++i) x[i] = static_cast<T>(0.001 + 7.3 * i / n);
  for (int i = 0; i < n; ++i) {  // vectorizable
    e[i] = fastmath::exp(x[i]);
    l[i] = fastmath::log(x[i]);
    t[i] = fastmath::tanh(x[i] - T(3));
    fastmath::sincos_2pi(x[i], s[i], c[i]);
  }
  volatile int stride = 1;  // defeats vectorization of the reference loop
  for (int i = 0; i < n; i += stride) {
    T si, ci;
    fastmath::sincos_2pi(x[i], si, ci);
    REQUIRE(e[i] == fastmath::exp(x[i]));
    REQUIRE(l[i] == fastmath::log(x[i]));
    REQUIRE(t[i] == fastmath::tanh(x[i] - T(3)));
    REQUIRE(s[i] == si);
    REQUIRE(c[i] == ci);
  }
}
