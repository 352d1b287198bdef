#include "nnsweep/nn/schedule.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "nnsweep/core/fastmath.hpp"

namespace nnsweep::nn {

std::int64_t schedule_length(std::int64_t total, std::int64_t points) {
  return std::min(points, total + 1);
}

std::vector<std::int64_t> log_schedule(std::int64_t total, std::int64_t points) {
  assert(total >= 1 && points >= 2);
  const std::int64_t n = schedule_length(total, points);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  if (n == total + 1) {
    for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = i;
    return out;
  }
  const double log_total = fastmath::log(static_cast<double>(total));
  out[0] = 0;
  for (std::int64_t i = 1; i < n; ++i) {
    const double fraction = n == 2 ? 1.0 : static_cast<double>(i - 1) / static_cast<double>(n - 2);
    const std::int64_t nearest = std::llround(fastmath::exp(log_total * fraction));
    const std::int64_t room = total - (n - 1 - i);  // leaves one distinct point for each later i
    out[static_cast<std::size_t>(i)] =
        std::min(std::max(out[static_cast<std::size_t>(i) - 1] + 1, nearest), room);
  }
  out.back() = total;
  return out;
}

std::vector<std::int64_t> linear_schedule(std::int64_t total, std::int64_t points) {
  assert(total >= 1 && points >= 2);
  const std::int64_t n = schedule_length(total, points);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    out[static_cast<std::size_t>(i)] = (i * total + (n - 1) / 2) / (n - 1);
  return out;
}

}  // namespace nnsweep::nn
